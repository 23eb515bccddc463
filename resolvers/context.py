"""Everything one request needs, built once per request by the app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.accounts import Viewer
from resolvers.loaders import Loaders


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


@dataclass
class Context:
    session_factory: async_sessionmaker[AsyncSession]
    secret_key: str
    now: datetime
    request: RequestState = field(default_factory=RequestState)
    viewer: Viewer | None = None
    login: LoginPolicy = field(default_factory=LoginPolicy)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A short-lived session: fields resolve concurrently, so none of them shares one."""
        async with self.session_factory() as session:
            yield session
