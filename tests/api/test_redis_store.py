"""The shared response store's scripts against a real Redis: purges by key, answers read before
a purge refused, flushes, and key sets that forget expired entries."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.redis_client import connect
from app.response_cache import CachedResponse, RedisResponseStore
from tests.api.redis_server import REDIS_URL, unique_prefix


@pytest.fixture
async def store() -> AsyncIterator[tuple[RedisResponseStore, str]]:
    async for prefix in unique_prefix():
        found = RedisResponseStore(connect(REDIS_URL), prefix=prefix)
        yield found, prefix
        await found.close()


def entry(*keys: str) -> CachedResponse:
    return CachedResponse(body=b"{}", etag='"e"', cost=1, expires_at=1e12, keys=tuple(keys))


async def started(store: RedisResponseStore) -> int:
    since, _, _ = await store.get("-")
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


class Log:
    """The event log as the store follows it: its position and the keys of recent events."""

    def __init__(self, last_id: int, events: dict[int, set[str]]) -> None:
        self.last_id = last_id
        self.events = events

    def keys_between(self, after: int, through: int) -> set[str] | None:
        if any(event_id not in self.events for event_id in range(after + 1, through + 1)):
            return None
        return set().union(*(self.events[n] for n in range(after + 1, through + 1)))


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
