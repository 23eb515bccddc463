"""The shared response store's scripts against a real Redis: purges by key, answers read before
a purge refused, flushes, and key sets that forget expired entries."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.redis_client import connect
from app.response_cache import CachedResponse, RedisResponseStore
from tests.api.redis_server import REDIS_URL, unique_prefix
from tests.event_log import Log


@pytest.fixture
async def store() -> AsyncIterator[tuple[RedisResponseStore, str]]:
    async for prefix in unique_prefix():
        found = RedisResponseStore(connect(REDIS_URL), prefix=prefix)
        yield found, prefix
        await found.close()


def entry(*keys: str) -> CachedResponse:
    return CachedResponse(body=b"{}", etag='"e"', cost=1, expires_at=1e12, keys=tuple(keys))


async def started(store: RedisResponseStore) -> int:
    since = (await store.get("-")).sequence
    assert since is not None
    return since


async def test_a_purge_drops_the_entries_of_its_keys_and_leaves_the_rest(
    store: tuple[RedisResponseStore, str],
) -> None:
    redis, _ = store
    since = await started(redis)
    await redis.put("a", since, entry("post:1", "posts"), 60)
    await redis.put("b", since, entry("post:2"), 60)
    assert await redis.purge(["post:1"])
    assert (await redis.get("a"))[1] is None
    assert (await redis.get("b"))[1] == entry("post:2")


async def test_an_answer_read_before_a_purge_of_its_keys_is_refused(
    store: tuple[RedisResponseStore, str],
) -> None:
    redis, _ = store
    since = await started(redis)
    await redis.purge(["post:1"])  # a write landed while the read ran
    await redis.put("a", since, entry("post:1", "posts"), 60)
    await redis.put("b", since, entry("post:2"), 60)
    assert (await redis.get("a"))[1] is None
    assert (await redis.get("b"))[1] is not None
    await redis.put("a", await started(redis), entry("post:1"), 60)  # read after: kept
    assert (await redis.get("a"))[1] is not None


async def test_a_flush_empties_everything_and_refuses_older_answers(
    store: tuple[RedisResponseStore, str],
) -> None:
    redis, _ = store
    since = await started(redis)
    await redis.put("a", since, entry("post:1"), 60)
    assert await redis.purge_all()
    assert (await redis.get("a"))[1] is None
    await redis.put("b", since, entry("post:2"), 60)
    assert (await redis.get("b"))[1] is None


async def test_a_keys_entries_forget_those_that_expired(
    store: tuple[RedisResponseStore, str],
) -> None:
    redis, prefix = store
    await redis.put("long", await started(redis), entry("posts"), 60)
    await redis.put("short", await started(redis), entry("posts"), 0.05)
    await asyncio.sleep(0.1)
    await redis.put("later", await started(redis), entry("posts"), 30)
    raw = Redis.from_url(REDIS_URL)
    try:
        members = await raw.zrange(f"{prefix}rc:k:posts", 0, -1)
        assert [member.decode().rsplit(":", 1)[1] for member in members] == ["later", "long"]
        assert 0 < await raw.pttl(f"{prefix}rc:k:posts") <= 60_000
    finally:
        await raw.aclose()


async def test_catching_up_with_the_log_purges_what_its_events_name(
    store: tuple[RedisResponseStore, str],
) -> None:
    redis, _ = store
    assert (await redis.get("-"))[2] == -1  # a new store follows no log yet
    await redis.catch_up(Log(3, {}))  # the first time: a flush, then at the log's position
    assert (await redis.get("-"))[2] == 3
    since = await started(redis)
    await redis.put("a", since, entry("post:1"), 60)
    await redis.put("b", since, entry("post:2"), 60)
    await redis.catch_up(Log(5, {4: {"post:2", "posts"}, 5: {"tag:1"}}))
    assert (await redis.get("a"))[1] is not None and (await redis.get("b"))[1] is None
    assert (await redis.get("-"))[2] == 5
    await redis.catch_up(Log(5, {}))  # there already: nothing happens
    assert (await redis.get("a"))[1] is not None


async def test_a_store_behind_a_log_it_no_longer_remembers_is_flushed(
    store: tuple[RedisResponseStore, str],
) -> None:
    redis, _ = store
    await redis.catch_up(Log(3, {}))
    await redis.put("a", await started(redis), entry("post:1"), 60)
    await redis.catch_up(Log(900, {899: {"tag:1"}, 900: {"tag:1"}}))  # 4 to 898 are gone
    assert (await redis.get("a"))[1] is None
    assert (await redis.get("-"))[2] == 900


async def test_writes_that_purge_out_of_commit_order_still_name_the_newest_write(
    store: tuple[RedisResponseStore, str],
) -> None:
    """Events 4 and 5 commit in that order, but 5's write purges first: the position stays at
    3 (4's keys are not purged yet), while the newest acknowledged write is 5, so that no
    worker reads a replica without it (app.replicas)."""
    redis, _ = store
    await redis.catch_up(Log(3, {}))
    await redis.purge(["post:5"], (5, 5))
    found = await redis.get("-")
    assert (found.through, found.newest) == (3, 5)
    await redis.purge(["post:4"], (4, 4))
    found = await redis.get("-")
    assert (found.through, found.newest) == (4, 5)  # following the log purges 5's keys again
    await redis.catch_up(Log(5, {4: {"post:4"}, 5: {"post:5"}}))
    assert (await redis.get("-")).through == 5


async def test_a_flush_owed_by_a_purge_that_failed_during_a_lookup_is_not_forgotten(
    store: tuple[RedisResponseStore, str],
) -> None:
    redis, _ = store
    redis._failed = 1  # a purge failed while Redis was unreachable
    lookups = [asyncio.ensure_future(redis.get("-")) for _ in range(2)]
    await asyncio.sleep(0)  # two lookups, which both flush, are on their way to Redis
    redis._failed += 1  # and another purge fails meanwhile
    since = (await lookups[0]).sequence
    await lookups[1]
    assert since is not None
    await redis.put("a", since, entry("post:1"), 60)
    assert (await redis.get("a")).entry is None  # that lookup flushed first
    await redis.put("a", await started(redis), entry("post:1"), 60)
    assert (await redis.get("a")).entry is not None  # and owes nothing more


async def test_purging_everything_forgets_the_log_position_of_a_database_replaced(
    store: tuple[RedisResponseStore, str],
) -> None:
    """`quire cache purge` after a restore: the new log's ids start again below the old one."""
    redis, _ = store
    await redis.catch_up(Log(500, {}))
    await redis.purge(["post:1"], (501, 501))
    assert await redis.purge_all()
    found = await redis.get("-")
    assert (found.through, found.newest) == (-1, -1)
    await redis.catch_up(Log(1, {}))  # the restored database's log
    await redis.put("a", await started(redis), entry("post:9"), 60)
    await redis.catch_up(Log(2, {2: {"post:9"}}))
    assert (await redis.get("a")).entry is None
