"""Databases for the suite: every API test runs on SQLite and on PostgreSQL.

PostgreSQL comes from QUIRE_TEST_POSTGRES_URL (default: the local server's `test` database). Each
run creates throw-away databases next to it. With CI=true an unreachable server fails the run;
elsewhere those tests are skipped with the reason shown.
"""

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app import migrations
from app.database import create_engine

POSTGRES_URL = os.environ.get(
    "QUIRE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
DEMO_POSTS = 110


def missing_service(reason: str) -> NoReturn:
    """Skip a test whose server or tool is missing, with the reason shown, except in CI,
    where every service is required and its absence fails the run."""
    if IN_CI:
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


DEMO_SEED = 7


async def _postgres_admin() -> AsyncEngine:
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect():
            pass
    except Exception as error:  # any connection failure means "no server here"
        await engine.dispose()
        missing_service(
            f"PostgreSQL unreachable at {make_url(POSTGRES_URL).render_as_string()}: {error}"
        )
    return engine


@dataclass
class Database:
    """A fresh, migrated database on one backend."""

    backend: str
    url: str
    engine: AsyncEngine


async def create_database(backend: str, tmp_path: Path) -> tuple[Database, Any]:
    """Returns the database and an async cleanup callable."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / f'quire-{uuid.uuid4().hex[:8]}.db'}"
        admin = None
        name = None
    else:
        admin = await _postgres_admin()
        name = f"quire_test_{uuid.uuid4().hex[:12]}"
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    async with engine.begin() as connection:
        await migrations.run_on(connection, "upgrade", "head")

    async def cleanup() -> None:
        await engine.dispose()
        if admin is not None:
            async with admin.connect() as connection:
                await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.dispose()

    return Database(backend=backend, url=url, engine=engine), cleanup


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgresql_only` are deselected on the SQLite backend (not skipped: there
    is nothing missing to report)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("backend") == "sqlite"
        if on_sqlite and item.get_closest_marker("postgresql_only"):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def demo_db(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """The demo blog, loaded once per backend and never modified by tests."""
    from app.demo import load_demo

    database, cleanup = await create_database(backend, tmp_path_factory.mktemp(backend))
    await load_demo(database.engine, posts=DEMO_POSTS, seed=DEMO_SEED, now=datetime.now(UTC))
    yield database
    await cleanup()


@pytest.fixture
async def scratch_db(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty migrated database a test may change freely."""
    database, cleanup = await create_database(backend, tmp_path)
    yield database
    await cleanup()


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key namespace of the test's own on the test Redis, emptied afterwards (skips, or
    fails in CI, without Redis)."""
    from tests.api.redis_server import unique_prefix  # it imports this module

    async for prefix in unique_prefix():
        yield prefix


@pytest.fixture
def count_statements() -> Any:
    """count_statements(engine or client) -> a counter of every SQL statement executed."""
    attached: list[tuple[AsyncEngine, StatementCounter]] = []

    def attach(target: Any) -> StatementCounter:
        """Counts on an engine, or on every engine of a test client (its `engines`)."""
        counter = StatementCounter()
        for engine in getattr(target, "engines", [target]):
            event.listen(engine.sync_engine, "before_cursor_execute", counter)
            attached.append((engine, counter))
        return counter

    yield attach
    for engine, counter in attached:
        event.remove(engine.sync_engine, "before_cursor_execute", counter)
