"""Async engines, session factories and the direct reads' connections, with the per-connection
settings each backend needs."""

import os
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.settings import Settings
from resolvers.direct_reads import DirectReads, PostgresReads, SQLiteReads


def create_engine(
    database_url: str,
    *,
    pool_size: int = 10,
    echo: bool = False,
    statement_timeout_ms: int = 0,
    connect_timeout: float = 10.0,
    read_only: bool = False,
) -> AsyncEngine:
    """The engine of `database_url`; with `read_only`, on PostgreSQL, one for the requests'
    reads: its connections run in autocommit mode, so a read has no BEGIN and ROLLBACK around
    it and the pool's ping is one statement instead of three, for the same answers (under
    READ COMMITTED every statement sees its own snapshot in a transaction too). It is a pool of
    its own, where a read replica's URL could go. SQLite reads share the one engine: its driver
    starts no transaction for a SELECT anyway."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    connect_args: dict[str, Any] = {"timeout": connect_timeout}
    if url.get_driver_name() == "asyncpg":
        connect_args["server_settings"] = session_settings(statement_timeout_ms)
    # pre_ping replaces connections a database restart killed; pool_timeout makes requests
    # fail fast instead of queueing when no connection can be had.
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        pool_pre_ping=True,
        pool_timeout=connect_timeout,
        connect_args=connect_args,
        **({"isolation_level": "AUTOCOMMIT"} if read_only else {}),
    )


def session_settings(statement_timeout_ms: int) -> dict[str, str]:
    """PostgreSQL settings of every connection: one slow query cannot hold a worker's
    connection for longer than the statement timeout."""
    return {"statement_timeout": str(statement_timeout_ms)} if statement_timeout_ms else {}


SQLITE_PRAGMAS = ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL")


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
    # SQLite's own lower() folds ASCII only; case-insensitive filters must match "Ó" with "ó".
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def in_memory(database_url: str) -> bool:
    """Whether the database is an in-memory SQLite one, which no other connection sees."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        return False
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def create_direct_reads(
    engine: AsyncEngine,
    *,
    pool_size: int,
    connect_timeout: float,
    statement_timeout_ms: int,
) -> DirectReads | None:
    """The driver's own connections for the reads built once (resolvers.direct_reads), set up
    as `engine`'s are; None for an in-memory SQLite database, which other connections would
    not see."""
    if engine.dialect.name == "postgresql":
        return PostgresReads(
            engine,
            pool_size=pool_size,
            connect_timeout=connect_timeout,
            server_settings=session_settings(statement_timeout_ms),
        )
    path = engine.url.database
    if not path or in_memory(str(engine.url)):
        return None

    async def connect() -> aiosqlite.Connection:
        connection = await aiosqlite.connect(path, timeout=connect_timeout)
        for pragma in SQLITE_PRAGMAS:
            await connection.execute(f"PRAGMA {pragma}")
        await connection.create_function("lower", 1, _lower, deterministic=True)
        return connection

    # SQLite reads are CPU work in each connection's thread: more threads than cores only add
    # contention (at 100k posts, 10 connections served the home page at 717 req/s on 2 cores,
    # 2 connections at 1,080).
    return SQLiteReads(
        engine,
        pool_size=min(pool_size, os.cpu_count() or 2),
        connect_timeout=connect_timeout,
        connect=connect,
    )


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def configured_engine(settings: Settings, url: str, *, read_only: bool = False) -> AsyncEngine:
    """`create_engine` for `url` with the pool, echo and timeouts `settings` give."""
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        echo=settings.db_echo,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        connect_timeout=settings.db_connect_timeout_seconds,
        read_only=read_only,
    )


async def configured_direct_reads(settings: Settings, engine: AsyncEngine) -> DirectReads | None:
    """`engine`'s direct reads as `settings` size them, started (asyncpg's pool connects
    lazily: a database down at startup is no error); None when they are off or unavailable."""
    if not settings.direct_reads:
        return None
    direct = create_direct_reads(
        engine,
        pool_size=settings.db_pool_size,
        connect_timeout=settings.db_connect_timeout_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )
    if direct is not None:
        await direct.start()
    return direct


async def reset_sequences(connection: AsyncConnection, tables: Sequence[str]) -> None:
    """After rows were written with explicit ids (a bulk load, a restore), move PostgreSQL's
    sequences past the largest id (SQLite's AUTOINCREMENT follows by itself)."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
        )
