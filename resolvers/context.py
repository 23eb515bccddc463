"""Everything one request needs, built once per request by the app."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.accounts import Viewer
from resolvers.loaders import Loaders

logger = logging.getLogger("quire.context")


class Quota(Protocol):
    """A rate limiter: takes `cost` tokens from `key`'s budget (app.ratelimit implements it)."""

    async def take(self, key: str, cost: int) -> Any: ...


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
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    _reader: AsyncSession | None = field(default=None, init=False, repr=False)
    _reader_turn: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)
    _finished: bool = field(default=False, init=False, repr=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session of its own, for a mutation's transaction. What this request read before
        is forgotten first, so the mutation's payload (and any later mutation of the same
        request) reads what was written, not an earlier snapshot or a loader's cache."""
        async with self._reader_turn:
            await self._release_reader()
        self.loaders = Loaders(self)
        async with self.session_factory() as session:
            yield session

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
                self._reader = (self.read_session_factory or self.session_factory)()
            yield self._reader

    async def finish(self) -> None:
        """End of the request: wait for the read session's turn, then give its connection back
        to the pool. Never raises; a connection that fails to close is the pool's problem."""
        async with self._reader_turn:
            self._finished = True
            try:
                await self._release_reader()
            except Exception:
                logger.warning("Closing the read session failed", exc_info=True)

    async def _release_reader(self) -> None:
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await reader.close()
