"""Which objects the content event log says changed, for this process's live subscriptions,
whichever process or host wrote the change.

PostgreSQL: the log's insert trigger sends a notification at commit (migration 0009); one
LISTEN connection per process wakes a reader, which reads the new events by id (ids grow in
commit order: see resolvers.events) and wakes the subscriptions watching the cache keys they
name (what a cached response showing that object would be purged by). A
notification is only a wake-up, so nothing is lost while the connection is down: once it is
back, the reader reads on from the last id it saw. LISTEN/NOTIFY rather than Redis: it is
transactional (no notification for a change that rolled back, none lost between a commit and
a publish), every writer sends it (workers, `quire worker`, the CLI, other hosts) and it needs
no other service.

SQLite serves one host: the reader polls the log every `poll_seconds`, and this process's own
writes wake it at once (`wake`).

The listener starts with the first subscription, so a process nobody subscribes to holds no
extra connection; or at once where there is a response cache, which follows the log to purge
what each event names, whichever process made the change (see app.response_cache).
"""

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # ships no type information
import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from models import ContentEvent
from resolvers.direct_reads import asyncpg_arguments
from resolvers.errors import QuireError
from schema.errors import UNAVAILABLE_MESSAGE

logger = logging.getLogger("quire.live")

CHANNEL = "quire_content_events"
APPLICATION_NAME = "quire-event-listener"  # its name in pg_stat_activity
NEWEST = "SELECT max(id) FROM content_events"
EVENTS_AFTER = "SELECT id, data FROM content_events WHERE id > $1 ORDER BY id LIMIT $2"
BATCH = 500  # events read per statement
RECENT = 2_000  # events kept in memory, for watches that add keys after a read (`catch_up`)
START_TIMEOUT = 10.0  # seconds a subscription waits for the listener to start
CHECK_SECONDS = 5.0  # PostgreSQL: how often an idle listener checks its connection
MAX_BACKOFF = 10.0


class EventListener:
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], *, poll_seconds: float = 0.5
    ) -> None:
        self.session_factory = session_factory
        self._engine = session_factory.kw["bind"]
        self._poll_seconds = poll_seconds
        self._watchers: dict[str, set[Watch]] = {}
        self._recent: deque[tuple[int, frozenset[str]]] = deque(maxlen=RECENT)
        self._wake = asyncio.Event()
        self._last_id: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = asyncio.Event()
        self._connection: Any = None  # PostgreSQL: the LISTEN connection, which also reads
        self._polling: AsyncEngine | None = None  # SQLite: the engine that polls
        self._after_read: list[Callable[[], Awaitable[None]]] = []

    @property
    def _postgresql(self) -> bool:
        return bool(self._engine.dialect.name == "postgresql")

    @asynccontextmanager
    async def watching(self) -> AsyncIterator["Watch"]:
        """A watch of cache keys (resolvers.cache_keys) that events name from now on: the
        listener has started when this enters, so a change committed after it is seen."""
        await self._start()
        watch = Watch(self)
        try:
            yield watch
        finally:
            watch.keys(())

    def _rewatch(self, watch: "Watch", before: frozenset[str], after: frozenset[str]) -> None:
        for key in before - after:
            watchers = self._watchers.get(key)
            if watchers is not None:
                watchers.discard(watch)
                if not watchers:
                    del self._watchers[key]
        for key in after - before:
            self._watchers.setdefault(key, set()).add(watch)

    @property
    def last_id(self) -> int:
        """The id of the last event told to the watches."""
        return self._last_id or 0

    @property
    def known_id(self) -> int | None:
        """`last_id`, or None before the listener started (it knows nothing yet)."""
        return self._last_id

    def keys_between(self, after: int, through: int) -> set[str] | None:
        """The cache keys the events after `after` up to `through` name; None when the events
        kept in memory do not reach back that far."""
        if after >= through:
            return set()
        if not self._recent or self._recent[0][0] > after + 1:
            return None
        found: set[str] = set()
        for event_id, named in self._recent:
            if after < event_id <= through:
                found |= named
        return found

    def begin(self, *, after_read: Callable[[], Awaitable[None]] | None = None) -> None:
        """Start now rather than with the first subscription (the shared response cache
        follows the log: `after_read` runs each time new events were read)."""
        if after_read is not None:
            self._after_read.append(after_read)
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="quire-event-listener")

    def catch_up(self, watch: "Watch", keys: frozenset[str], since: int) -> None:
        """Set `watch` if an event after `since` named one of `keys` (keys it has just begun
        to watch, read before it watched them); when the events kept in memory do not reach
        back that far, set it anyway: one read too many, never one too few."""
        if self._recent and self._recent[0][0] > since + 1:
            watch.changed.set()
            return
        for event_id, named in reversed(self._recent):
            if event_id <= since:
                return
            if not named.isdisjoint(keys):
                watch.changed.set()
                return

    def wake(self) -> None:
        """This process wrote events: read them now rather than at the next poll."""
        if self._task is not None:
            self._wake.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._disconnect()
        if self._polling is not None:
            await self._polling.dispose()

    async def _start(self) -> None:
        try:
            async with asyncio.timeout(START_TIMEOUT):
                await self.running()
        except TimeoutError:
            raise QuireError(UNAVAILABLE_MESSAGE, code="SERVICE_UNAVAILABLE") from None

    async def running(self) -> None:
        """Start the listener, and wait until it knows where the log stands."""
        self.begin()
        await self._started.wait()

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            try:
                await self._connect()
                if self._last_id is None:  # after LISTEN: nothing committed later is missed
                    self._last_id = await self._newest_id()
                self._started.set()
                backoff = 0.5
                await self._read()  # what was written while the connection was down
                while True:
                    if await self._next_wake():
                        await self._read()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("The event listener lost the database (%s); retrying", error)
                await self._disconnect()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    async def _connect(self) -> None:
        if not self._postgresql or self._connection is not None:
            return
        arguments = asyncpg_arguments(self._engine)
        settings = {**arguments.pop("server_settings", {}), "application_name": APPLICATION_NAME}
        self._connection = await asyncpg.connect(**arguments, server_settings=settings)
        self._connection.add_termination_listener(lambda _connection: self._wake.set())
        await self._connection.add_listener(CHANNEL, lambda *_args: self._wake.set())

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(Exception):
                await connection.close(timeout=1)

    async def _next_wake(self) -> bool:
        """Whether there may be new events: after a notification or a write of this process,
        or the poll's time (SQLite). PostgreSQL's listener asks its connection something when
        nothing woke it for CHECK_SECONDS, and raises once it does not answer."""
        timeout = CHECK_SECONDS if self._postgresql else self._poll_seconds
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            pass
        woken = self._wake.is_set()
        self._wake.clear()
        if self._postgresql and not woken:
            # A connection can die without closing (a NAT's idle timeout): ask it something.
            if self._connection is None or self._connection.is_closed():
                raise ConnectionError("the LISTEN connection closed")
            await self._connection.fetchval("SELECT 1", timeout=CHECK_SECONDS)
        return woken or not self._postgresql

    async def _newest_id(self) -> int:
        if self._connection is not None:
            return int(await self._connection.fetchval(NEWEST) or 0)
        async with self._sqlite().connect() as connection:
            return int((await connection.scalar(select(func.max(ContentEvent.id)))) or 0)

    async def _events_after(self, after: int) -> list[tuple[int, dict[str, Any]]]:
        """The next events, on the listener's own connection: none of the app's pools (a
        request's statement count included) is touched."""
        if self._connection is not None:
            rows = await self._connection.fetch(EVENTS_AFTER, after, BATCH)
            return [(row["id"], _as_object(row["data"])) for row in rows]
        statement = (
            select(ContentEvent.id, ContentEvent.data)
            .where(ContentEvent.id > after)
            .order_by(ContentEvent.id)
            .limit(BATCH)
        )
        async with self._sqlite().connect() as connection:
            return [(row[0], row[1]) for row in await connection.execute(statement)]

    def _sqlite(self) -> AsyncEngine:
        """SQLite: an engine of the listener's own, on the app's database."""
        if self._polling is None:
            self._polling = create_async_engine(self._engine.url)
        return self._polling

    async def _read(self) -> None:
        """Tell the watches of every cache key the events after the last id seen name."""
        assert self._last_id is not None
        while True:
            rows = await self._events_after(self._last_id)
            for event_id, data in rows:
                named = frozenset(data.get("cacheKeys", ()))
                for key in named:
                    for watch in self._watchers.get(key, ()):
                        watch.changed.set()
                self._recent.append((event_id, named))
                self._last_id = event_id
            if rows:
                for hook in self._after_read:
                    try:
                        await hook()
                    except Exception:  # a follower's failure must not stop the listener
                        logger.warning("Following the event log failed", exc_info=True)
            if len(rows) < BATCH:
                return


class Watch:
    """One subscription's watch: set when an event names one of its keys."""

    def __init__(self, listener: EventListener) -> None:
        self._listener = listener
        self._keys: frozenset[str] = frozenset()
        self.changed = asyncio.Event()

    @property
    def position(self) -> int:
        """Where the log stands now: what a read made after this sees (`keys`' `since`)."""
        return self._listener.last_id

    def keys(self, keys: Iterable[str], *, since: int | None = None) -> None:
        """Watch these keys from now on (instead of the ones before); keys new to the watch
        also catch the events after `since` (a `position` taken before the read that found
        them), which were told before the watch listened for them."""
        before, self._keys = self._keys, frozenset(keys)
        self._listener._rewatch(self, before, self._keys)
        if since is not None and self._keys - before:
            self._listener.catch_up(self, self._keys - before, since)

    async def wait(self) -> None:
        """Until an event named one of the keys since the last wait returned."""
        await self.changed.wait()
        self.changed.clear()


def _as_object(data: Any) -> dict[str, Any]:
    """A `json` column as asyncpg gives it (text), or already decoded."""
    found = orjson.loads(data) if isinstance(data, str | bytes) else data
    return found if isinstance(found, dict) else {}
