"""The event listener's bookkeeping: which watches an event wakes, and how a watch that adds
keys after its read catches the events it was not yet listening for."""

from types import SimpleNamespace

from app.event_listener import RECENT, EventListener, Watch


def listener() -> EventListener:
    engine = SimpleNamespace(dialect=SimpleNamespace(name="sqlite"))
    return EventListener(SimpleNamespace(kw={"bind": engine}))  # type: ignore[arg-type]


def told(found: EventListener, *events: tuple[int, set[str]]) -> None:
    """As `_read` tells events to the watches."""
    for event_id, keys in events:
        named = frozenset(keys)
        for key in named:
            for watch in found._watchers.get(key, ()):
                watch.changed.set()
        found._recent.append((event_id, named))
        found._last_id = event_id


def test_an_event_wakes_the_watches_of_its_keys_only() -> None:
    found = listener()
    found._last_id = 0
    post, tag = Watch(found), Watch(found)
    post.keys(["post:1"])
    tag.keys(["tag:3"])
    told(found, (1, {"post:2", "posts"}), (2, {"tag:3", "tags", "posts"}))
    assert not post.changed.is_set() and tag.changed.is_set()
    post.keys(())
    assert found._watchers == {"tag:3": {tag}}


def test_keys_added_after_a_read_catch_the_events_since_it() -> None:
    found = listener()
    found._last_id = 10
    watch = Watch(found)
    watch.keys(["post:1"])
    since = watch.position
    told(found, (11, {"tag:3"}), (12, {"author:5"}))  # during the read and the send
    watch.keys(["post:1", "author:9"], since=since)
    assert not watch.changed.is_set()  # nothing it shows changed
    watch.keys(["post:1", "author:9", "tag:3"], since=since)
    assert watch.changed.is_set()


def test_when_memory_does_not_reach_back_far_enough_it_reads_again() -> None:
    found = listener()
    found._last_id = 0
    watch = Watch(found)
    since = watch.position
    told(found, *[(n, {"post:2"}) for n in range(1, RECENT + 10)])
    watch.keys(["tag:3"], since=since)
    assert watch.changed.is_set()  # one read too many, never one too few


def test_events_before_since_are_not_caught() -> None:
    found = listener()
    found._last_id = 0
    told(found, (1, {"tag:3"}))
    watch = Watch(found)
    watch.keys(["tag:3"], since=1)
    assert not watch.changed.is_set()
