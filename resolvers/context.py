"""Everything one request needs, built once per request by the app."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeAlias, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers import events
from resolvers.accounts import Viewer
from resolvers.cache_keys import ReadKeys
from resolvers.direct_reads import DirectReads
from resolvers.loaders import Loaders

logger = logging.getLogger("quire.context")

T = TypeVar("T")
Session: TypeAlias = AsyncSession
"""A write's session, as the GraphQL layer names it (it never opens one)."""
Write: TypeAlias = Callable[[AsyncSession], Awaitable[T]]


class Quota(Protocol):
    """A rate limiter: takes `cost` tokens from `key`'s budget (app.ratelimit implements it)."""

    async def take(self, key: str, cost: int) -> Any: ...


class Watch(Protocol):
    """Which changes a subscription waits for: the cache keys (resolvers.cache_keys) of what
    its last message showed."""

    @property
    def position(self) -> int:
        """Where the event log stands now, for `keys`' `since`."""
        ...

    def keys(self, keys: Iterable[str], *, since: int | None = None) -> None:
        """Watch these keys from now on; keys new to the watch also catch what changed after
        `since` (a `position` taken before the read that found them)."""
        ...

    async def wait(self) -> None:
        """Until an event named one of the keys since the last wait returned."""
        ...


class Live(Protocol):
    """What a long-lived operation (a subscription, over WebSocket: app.subscriptions) needs
    of its connection."""

    def watching(self) -> AbstractAsyncContextManager[Watch]: ...

    async def renew(self) -> tuple[datetime, Viewer | None]:
        """Checks the connection's authorization again (raising a QuireError once it has been
        revoked or has expired): the time now, and the viewer as the token stands now (a role
        changed since the connection opened counts from the next message)."""
        ...


@dataclass(frozen=True)
class ReplicaReads:
    """A request's reads on a read replica (app.replicas): `failed` tells the app the replica
    failed under it; the primary's read pools are where it reads instead."""

    failed: Callable[[BaseException], None]
    primary_session_factory: async_sessionmaker[AsyncSession]
    primary_direct: DirectReads | None


@dataclass(frozen=True)
class LoginPolicy:
    """How logins are issued and throttled (per account and per client, apart from queries)."""

    session_ttl: timedelta = timedelta(days=7)
    per_account: Quota | None = None
    per_client: Quota | None = None
    failure_delay_seconds: float = 0.5


@dataclass
class RequestState:
    """What the HTTP layer and the schema's guards tell each other about one request."""

    request_id: str = "-"
    client_key: str = "anonymous"
    cost: int | None = None
    rate: Any = None  # the rate limiter's decision, for the response headers
    throttled: bool = False
    charged: bool = False  # the rate limit has taken this request's cost (once per request)
    executor: str | None = None  # compiled | fallback | strawberry, once an operation ran
    document: Any = None  # the request's parsed document (schema.document), looked up once
    read_keys: ReadKeys = field(default_factory=ReadKeys)  # the cache keys of what it read
    purged_keys: set[str] = field(default_factory=set)  # the cache keys its writes made stale
    # The newest event whose write had purged the response cache when it looked this request up
    # (an event id): its reads go to no replica behind that (app.replicas).
    events_acknowledged: int = 0
    # The ids of the events its writes recorded, first and last, when they were one span.
    recorded_events: tuple[int, int] | None = None
    wrote_twice: bool = False  # more than one transaction recorded events


@dataclass
class Context:
    session_factory: async_sessionmaker[AsyncSession]
    secret_key: str
    now: datetime
    request: RequestState = field(default_factory=RequestState)
    viewer: Viewer | None = None
    login: LoginPolicy = field(default_factory=LoginPolicy)
    preview_ttl: timedelta = timedelta(days=1)  # how long a preview link works
    # Sessions for `reader` (app.database: autocommit); the write sessions' factory if None.
    read_session_factory: async_sessionmaker[AsyncSession] | None = None
    # Where `rows` runs the statements built once; None: on the read session.
    direct: DirectReads | None = None
    # A subscription's connection; None over HTTP, where no subscription runs.
    live: Live | None = None
    # Told after a commit that recorded events, with the last one's id: this process's
    # subscriptions see them at once, and its reads go to no replica that lacks them.
    wrote_events: Callable[[int], None] | None = None
    # Reads on a read replica (app.replicas); None: on the primary.
    replica: "ReplicaReads | None" = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    _reader: AsyncSession | None = field(default=None, init=False, repr=False)
    _connection: Any = field(default=None, init=False, repr=False)  # the direct reads' one
    _reader_turn: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _finished: bool = field(default=False, init=False, repr=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session of its own, for a mutation's transaction. What this request read before
        is forgotten first, so the mutation's payload (and any later mutation of the same
        request) reads what was written, not an earlier snapshot or a loader's cache."""
        async with self._reader_turn:
            await self._release_reader()
            await self._release_connection()
            self._read_the_primary()  # what the request reads next includes what it wrote
        self.loaders = Loaders(self)
        async with self.session_factory() as session:
            yield session

    async def transaction(self, write: "Write[T]") -> T:
        """`write` in one transaction of a session of its own: all of it lands, or (when it
        raises) none of it. How the GraphQL layer writes without ever opening a session."""
        async with self.session() as session:
            async with session.begin():
                result = await write(session)
            purged = events.purged(session)
            self.request.purged_keys |= purged  # committed: now stale
            if (span := events.recorded_span(session)) is not None:
                self.request.wrote_twice = self.request.recorded_events is not None
                self.request.recorded_events = span
            if span is not None and self.wrote_events is not None:
                self.wrote_events(span[1])
            return result

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """The request's one read session. Fields resolve concurrently, so they take turns on
        it: a request checks out one connection however many fields it resolves. Not
        re-entrant: never open it again while holding it."""
        async with self._reader_turn:
            if self._finished:
                # A resolver left running after the response was settled (a sibling of a
                # field that failed): its answer would be thrown away anyway.
                raise RuntimeError("The request has finished.")
            if self._reader is None:
                # One connection at a time per request: the direct one holds no state.
                await self._release_connection()
                self._reader = await self._open_reader()
            yield self._reader

    async def _open_reader(self) -> AsyncSession:
        reader = (self.read_session_factory or self.session_factory)()
        if self.replica is None:
            return reader
        try:
            await reader.connection()  # on a replica: a replica that is down is found now
        except OperationalError as error:
            await reader.close()
            self._fail_over(error)
            return await self._open_reader()
        return reader

    @property
    def dialect(self) -> str:
        """The database's dialect name: "postgresql" or "sqlite"."""
        return str(self.session_factory.kw["bind"].dialect.name)

    async def rows(
        self, statement: Any, params: dict[str, Any], *, built_once: bool = True
    ) -> Sequence[Any]:
        """The rows of a statement of columns (no ORM entities), with `params` bound: when it
        is `built_once`, on the driver directly where the app has direct reads and the
        statement can run there; else on the read session (also when the request has one open
        already: a request holds one connection at a time, so two pools cannot wait on each
        other). Takes turns like `reader`. On a replica that fails, once more on the
        primary: a read is safe to repeat."""
        try:
            return await self._rows(statement, params, built_once)
        except OperationalError as error:
            if self.replica is None:
                raise
            async with self._reader_turn:
                await self._release_reader()
                await self._release_connection()
                self._fail_over(error)
        return await self._rows(statement, params, built_once)

    def _fail_over(self, error: OperationalError) -> None:
        """The replica failed this request: it is skipped from now on, and the request reads
        the primary."""
        if self.replica is not None:
            self.replica.failed(error)
            self._read_the_primary()

    def _read_the_primary(self) -> None:
        if self.replica is not None:
            self.read_session_factory = self.replica.primary_session_factory
            self.direct = self.replica.primary_direct
            self.replica = None

    async def _rows(
        self, statement: Any, params: dict[str, Any], built_once: bool
    ) -> Sequence[Any]:
        direct = self.direct if built_once else None
        prepared = direct.prepared(statement) if direct is not None else None
        if prepared is None or self._reader is not None:
            async with self.reader() as session:
                return (await (await session.connection()).execute(statement, params)).all()
        assert self.direct is not None
        async with self._reader_turn:
            if self._finished:
                raise RuntimeError("The request has finished.")
            fresh = self._connection is None
            if fresh:
                self._connection = await self.direct.acquire()
            try:
                return await self.direct.fetch(self._connection, prepared, params)
            except Exception:
                if not self.direct.is_broken(self._connection):
                    raise
                await self._release_connection()  # the next read takes a new one
                if not fresh:
                    raise
            # A connection the pool held broke while idle (a database restart): once more on
            # a new one, as the sessions' pool pre-ping would have. A read is safe to repeat.
            self._connection = await self.direct.acquire()
            return await self.direct.fetch(self._connection, prepared, params)

    async def renew(self) -> None:
        """A subscription's next message: its connection's authorization is checked again, and
        it reads afresh (loaders, read keys, the time) as a new request would. Between
        messages (after `finish`) it holds no connection."""
        assert self.live is not None
        self.now, self.viewer = await self.live.renew()
        async with self._reader_turn:
            await self._release_reader()
            await self._release_connection()
            self._finished = False
        self.loaders = Loaders(self)
        self.request.read_keys = ReadKeys()

    async def finish(self) -> None:
        """End of the request: wait for the read session's turn, then give its connection back
        to the pool. Never raises; a connection that fails to close is the pool's problem."""
        async with self._reader_turn:
            self._finished = True
            try:
                await self._release_reader()
            except Exception:
                logger.warning("Closing the read session failed", exc_info=True)
            try:
                await self._release_connection()
            except Exception:
                logger.warning("Releasing the read connection failed", exc_info=True)

    async def _release_reader(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await reader.close()

    async def _release_connection(self) -> None:
        if self._connection is not None:
            assert self.direct is not None
            connection, self._connection = self._connection, None
            await self.direct.release(connection)
