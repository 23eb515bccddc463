"""The in-process response store: purges by key, and never keeps what a purge made stale."""

from app.response_cache import CachedResponse, MemoryResponseStore
from tests.event_log import Log


async def following(store: MemoryResponseStore) -> MemoryResponseStore:
    """`store` once its process's event listener has started (at event 0)."""
    await store.catch_up(Log(0, {}))
    return store


def entry(*keys: str, body: bytes = b"{}") -> CachedResponse:
    return CachedResponse(body=body, etag='"e"', cost=1, expires_at=1e12, keys=tuple(keys))


async def test_a_purge_drops_the_entries_of_its_keys_and_leaves_the_rest() -> None:
    store = await following(MemoryResponseStore(max_entries=10))
    since = (await store.get("a")).sequence
    assert since is not None
    await store.put("a", since, entry("post:1"), 60)
    await store.put("b", since, entry("post:2"), 60)
    await store.put("list", since, entry("post:1", "post:2", "posts"), 60)
    assert await store.purge(["post:1", "posts"])
    assert (await store.get("a"))[1] is None and (await store.get("list"))[1] is None
    assert (await store.get("b"))[1] == entry("post:2")


async def test_an_answer_read_before_a_purge_of_its_keys_is_not_kept() -> None:
    store = await following(MemoryResponseStore(max_entries=10))
    since = (await store.get("a")).sequence
    assert since is not None
    await store.purge(["post:1"])  # a write landed while the read ran
    await store.put("a", since, entry("post:1"), 60)
    assert (await store.get("a"))[1] is None
    await store.put("b", since, entry("post:2"), 60)  # nothing it read was purged
    assert (await store.get("b"))[1] is not None


async def test_a_flush_refuses_every_answer_that_started_before_it() -> None:
    store = await following(MemoryResponseStore(max_entries=10))
    since = (await store.get("a")).sequence
    assert since is not None
    await store.put("a", since, entry("post:1"), 60)
    await store.purge_all()
    assert (await store.get("a"))[1] is None
    await store.put("b", since, entry("post:2"), 60)
    assert (await store.get("b"))[1] is None


async def test_evicted_entries_leave_no_trace_in_the_key_index() -> None:
    store = await following(MemoryResponseStore(max_entries=2))
    since = (await store.get("x")).sequence
    assert since is not None
    for n in range(50):
        await store.put(f"e{n}", since, entry(f"post:{n}", "posts"), 60)
    assert set(store._entries_of) == {"post:48", "post:49", "posts"}
    assert store._entries_of["posts"] == {"e48", "e49"}


async def test_forgotten_purge_marks_make_older_answers_unkeepable() -> None:
    store = await following(MemoryResponseStore(max_entries=10))
    store._marks.maxsize = 2
    since = (await store.get("x")).sequence
    assert since is not None
    for n in range(3):
        await store.purge([f"post:{n}"])  # the mark of post:0 is forgotten
    await store.put("a", since, entry("post:0"), 60)
    assert (await store.get("a"))[1] is None
    later = (await store.get("x")).sequence
    assert later is not None
    await store.put("a", later, entry("post:0"), 60)
    assert (await store.get("a"))[1] is not None


async def test_following_the_log_purges_what_other_processes_events_name() -> None:
    store = MemoryResponseStore(max_entries=10)
    assert (await store.get("x")).sequence is None  # nothing is served before the log is known
    await store.catch_up(Log(3, {}))  # the first time: a flush, then at the log's position
    assert (await store.get("x")).through == 3
    since = (await store.get("x")).sequence
    assert since is not None
    await store.put("a", since, entry("post:1"), 60)
    await store.put("b", since, entry("post:2"), 60)
    await store.purge(["post:9"], (4, 4))  # this process's own write: the position moves
    assert (await store.get("x")).through == 4
    await store.catch_up(Log(6, {5: {"post:2", "posts"}, 6: {"tag:1"}}))  # another's
    assert (await store.get("a")).entry is not None and (await store.get("b")).entry is None
    assert (await store.get("x")).through == 6
    await store.catch_up(Log(900, {900: {"tag:1"}}))  # 7 to 899 are forgotten: a flush
    assert (await store.get("a")).entry is None
    assert (await store.get("x")).through == 900


async def test_a_write_purging_before_an_earlier_one_is_the_newest_acknowledged() -> None:
    store = MemoryResponseStore(max_entries=10)
    await store.catch_up(Log(3, {}))
    await store.purge(["post:5"], (5, 5))
    found = await store.get("x")
    assert (found.through, found.newest) == (3, 5)
