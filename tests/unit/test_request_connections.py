"""A request holds one database connection at a time: its direct reads' connection or its read
session, never both (two pools could otherwise wait on each other under load)."""

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.database import create_engine, create_session_factory
from models import Post
from resolvers.context import Context
from resolvers.direct_reads import DirectReads, PreparedRead
from schema.compiled import MAX_CONVERTED_KEY_CHARS, _scalars_key


class CountingReads(DirectReads):
    """Direct reads that hand out tokens and record what is held."""

    row_base = tuple

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.held: set[int] = set()
        self.acquired = 0

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def _acquire(self) -> Any:
        self.acquired += 1
        self.held.add(self.acquired)
        return self.acquired

    async def release(self, connection: Any) -> None:
        self.held.remove(connection)

    async def _fetch(
        self, connection: Any, prepared: PreparedRead, arguments: list[Any]
    ) -> Sequence[Any]:
        return []

    def is_broken(self, connection: Any) -> bool:
        return False


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    yield engine
    await engine.dispose()


@pytest.fixture
def direct(engine: AsyncEngine) -> CountingReads:
    return CountingReads(engine)


@pytest.fixture
def ctx(engine: AsyncEngine, direct: CountingReads) -> Context:
    return Context(
        session_factory=create_session_factory(engine),
        secret_key="x",
        now=datetime.now(UTC),
        direct=direct,
    )


STATEMENT = select(Post.id)  # built once (here: for the whole module)


async def test_opening_the_read_session_gives_the_direct_connection_back(
    ctx: Context, direct: CountingReads
) -> None:
    await ctx.rows(STATEMENT, {})
    assert direct.held == {1}
    async with ctx.reader():
        assert direct.held == set()
    await ctx.finish()
    assert direct.held == set()


async def test_with_the_read_session_open_direct_statements_run_on_it(
    ctx: Context, direct: CountingReads
) -> None:
    async with ctx.reader():
        pass
    with pytest.raises(Exception, match="no such table"):  # the session ran it: empty file
        await ctx.rows(STATEMENT, {})
    assert direct.acquired == 0
    await ctx.finish()


def test_converted_arguments_are_kept_for_short_plain_variables_only() -> None:
    def key(**variables: Any) -> Any:
        return _scalars_key(variables)

    assert key(tag="infrastructure") is not None
    assert key(n=1) != key(n=True) != key(n=1.0)  # equal as values, not as arguments
    assert key(after="x" * (MAX_CONVERTED_KEY_CHARS + 1)) is None
    assert key(tags=["a"]) is None
