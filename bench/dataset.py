"""Benchmark datasets, written by Quire's own CLI and reused while they hold the asked size.

SQLite: `bench/.data/quire-<posts>.db`. PostgreSQL: a database `quire_bench_<posts>` on the
server of `--postgres-url`. A dataset is (re)loaded with
`quire demo load --posts N --seed 1 --taxonomy large` (300 authors, 500 tags with a long tail)
unless it already holds exactly N English posts (the demo adds Spanish translations on top) and
that taxonomy's tags.
"""

import asyncio
import os
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]  # ships no type information

from bench.servers import ROOT

DATA_DIR = Path(__file__).resolve().parent / ".data"
SEED = 1
TAXONOMY = "large"
TAXONOMY_TAGS = 501  # its public tags and the internal one


@dataclass(frozen=True)
class Dataset:
    backend: str  # "sqlite" or "postgresql"
    posts: int  # English posts asked of `quire demo load`
    url: str  # SQLAlchemy URL, as QUIRE_DATABASE_URL
    loaded_now: bool
    load_seconds: float | None


def prepare(backend: str, posts: int, *, postgres_url: str) -> Dataset:
    if backend == "sqlite":
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite+aiosqlite:///{DATA_DIR / f'quire-{posts}.db'}"
    elif backend == "postgresql":
        url = asyncio.run(_ensure_postgres_database(postgres_url, f"quire_bench_{posts}"))
    else:
        raise ValueError(f"unknown backend {backend!r}")
    quire("db", "upgrade", database_url=url)
    found, tags = shape(url)
    if (found, tags) == (posts, TAXONOMY_TAGS):
        return Dataset(backend, posts, url, loaded_now=False, load_seconds=None)
    print(f"Loading {posts} posts into {redacted(url)} (it holds {found})...", flush=True)
    started = time.monotonic()
    extra = ["--replace"] if found else []
    quire(
        "demo",
        "load",
        "--posts",
        str(posts),
        "--seed",
        str(SEED),
        "--taxonomy",
        TAXONOMY,
        *extra,
        database_url=url,
    )
    if backend == "postgresql":
        # What autovacuum would do after a bulk load, done now so the plans are settled.
        asyncio.run(_vacuum_analyze(url))
    return Dataset(backend, posts, url, loaded_now=True, load_seconds=time.monotonic() - started)


def quire(*args: str, database_url: str) -> None:
    env = {**os.environ, "QUIRE_DATABASE_URL": database_url}
    subprocess.run(["uv", "run", "--frozen", "quire", *args], cwd=ROOT, env=env, check=True)


def shape(url: str) -> tuple[int, int]:
    """How many English posts and how many tags the dataset holds."""
    query = "SELECT (SELECT count(*) FROM posts WHERE language = 'en'), (SELECT count(*) FROM tags)"
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as connection:
            posts, tags = connection.execute(query).fetchone()
            return int(posts), int(tags)

    async def count() -> tuple[int, int]:
        connection = await asyncpg.connect(driver_dsn(url))
        try:
            row = await connection.fetchrow(query)
            return int(row[0]), int(row[1])
        finally:
            await connection.close()

    return asyncio.run(count())


def database_version(url: str) -> str:
    """The server's version and the dataset's migration revision."""
    revision_query = "SELECT version_num FROM alembic_version"
    if url.startswith("sqlite"):
        with sqlite3.connect(sqlite_path(url)) as connection:
            revision = connection.execute(revision_query).fetchone()[0]
        return f"SQLite {sqlite3.sqlite_version}, schema revision {revision}"

    async def version() -> str:
        connection = await asyncpg.connect(driver_dsn(url))
        try:
            server = await connection.fetchval("SHOW server_version")
            revision = await connection.fetchval(revision_query)
        finally:
            await connection.close()
        return f"PostgreSQL {server}, schema revision {revision}"

    return asyncio.run(version())


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite+aiosqlite:///")


def driver_dsn(url: str) -> str:
    """asyncpg's DSN for a SQLAlchemy `postgresql+asyncpg://` URL."""
    return "postgresql://" + url.split("://", 1)[1]


def redacted(url: str) -> str:
    scheme, rest = url.split("://", 1)
    if "@" in rest:
        credentials, host = rest.rsplit("@", 1)
        rest = f"{credentials.split(':', 1)[0]}@{host}"
    return f"{scheme}://{rest}"


async def _ensure_postgres_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url` if needed; its SQLAlchemy URL."""
    base = server_url.rsplit("/", 1)[0]
    connection = await asyncpg.connect(driver_dsn(server_url))
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"{base}/{name}"


async def _vacuum_analyze(url: str) -> None:
    connection = await asyncpg.connect(driver_dsn(url))
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
