"""`alembic upgrade head` gives exactly the models' schema, and downgrade/upgrade round-trips."""

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from app import migrations
from models import Base
from tests.conftest import create_database


def _modelled(name: str | None, kind: str, _parent: object) -> bool:
    """Everything but the full-text index (models.search: outside the models' metadata, as
    SQLAlchemy cannot describe SQLite's FTS5 table and its shadow tables)."""
    return not (kind in ("table", "index") and (name or "").startswith(SEARCH_INDEX))


SEARCH_INDEX = ("post_search", "ix_post_search")


def _drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": _modelled}
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_upgrade_head_matches_the_models_exactly(backend: str, tmp_path: Path) -> None:
    database, cleanup = await create_database(backend, tmp_path)
    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_drift) == []
            assert await migrations.current_revision(connection) == migrations.head_revision()
    finally:
        await cleanup()


async def test_downgrade_to_base_and_upgrade_again_round_trips(
    backend: str, tmp_path: Path
) -> None:
    database, cleanup = await create_database(backend, tmp_path)
    try:
        async with database.engine.begin() as connection:
            await migrations.run_on(connection, "downgrade", "base")
            assert await connection.run_sync(_tables) == set()
        async with database.engine.begin() as connection:
            await migrations.run_on(connection, "upgrade", "head")
        async with database.engine.connect() as connection:
            tables = await connection.run_sync(_tables)
            assert "post_search" in tables
            modelled = {t for t in tables if not t.startswith(SEARCH_INDEX)}
            assert modelled == set(Base.metadata.tables)
            assert await connection.run_sync(_drift) == []
    finally:
        await cleanup()


async def test_sqlite_tables_keep_autoincrement_through_every_migration(tmp_path: Path) -> None:
    """Batch migrations rebuild SQLite tables; ids of deleted rows must still never come back."""
    database, cleanup = await create_database("sqlite", tmp_path)
    try:
        async with database.engine.connect() as connection:
            rows = await connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE sql LIKE '%AUTOINCREMENT%'"
            )
            assert {"posts", "authors", "tags", "editors", "api_tokens"} <= set(rows.scalars())
    finally:
        await cleanup()
