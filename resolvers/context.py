"""Everything one request needs, built once per request by the app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from resolvers.loaders import Loaders


@dataclass
class Context:
    session_factory: async_sessionmaker[AsyncSession]
    secret_key: str
    now: datetime
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A short-lived session: fields resolve concurrently, so none of them shares one."""
        async with self.session_factory() as session:
            yield session
