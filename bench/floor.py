"""The floor: Quire's home, tag and post pages without GraphQL, as fast as this stack goes.

Hand-written SQL on the same async driver Quire uses (asyncpg or aiosqlite), the same
visibility rule and ordering, JSON built by hand and serialised with orjson, in bare Starlette
routes under the same uvicorn. Each route reads the same request body the GraphQL endpoint
gets (the operation's variables) and answers the same `{"data": ...}` document, so every
Quire figure can be given as a ratio to the floor measured in the same run.

    QUIRE_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/quire_bench_1000 \\
        uv run uvicorn bench.floor:app --port 8100 --log-level warning

The SQL is written for PostgreSQL; on SQLite `$n` becomes `?n` and `= ANY($n)` a `json_each`
list, with the per-connection pragmas Quire sets.
"""

import asyncio
import base64
import hashlib
import hmac
import os
import re
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

import aiosqlite
import asyncpg  # type: ignore[import-untyped]  # ships no type information
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PAGE_SIZE = 20
POOL_SIZE = 10  # Quire's QUIRE_DB_POOL_SIZE default
SECRET_KEY = os.environ.get("QUIRE_SECRET_KEY", "insecure-local-development-key").encode()

# What an anonymous reader sees: published, or scheduled and its instant has come.
VISIBLE = "p.status IN ('published', 'scheduled') AND p.published_at <= $1"
LIST_COLUMNS = "p.id, p.title, p.slug, p.excerpt, p.published_at, p.reading_time"
NEWEST_FIRST = f"ORDER BY p.published_at DESC, p.id DESC LIMIT {PAGE_SIZE + 1}"

HOME_PAGE = f"SELECT {LIST_COLUMNS} FROM posts p WHERE {VISIBLE} {NEWEST_FIRST}"
# The tag's links in publish order (each holds its post's date, migration 0015): a page of links
# whether the tag is rare or common.
TAG_PAGE = f"""
SELECT {LIST_COLUMNS} FROM post_tags pt JOIN posts p ON p.id = pt.post_id
WHERE pt.tag_id = (SELECT t.id FROM tags t WHERE t.slug = $2 AND t.visibility = 'public')
  AND pt.published_at <= $1 AND {VISIBLE}
ORDER BY pt.published_at DESC, pt.post_id DESC LIMIT {PAGE_SIZE + 1}
"""
POST_BY_SLUG = f"""
SELECT p.id, p.title, p.slug, p.html, p.published_at, p.reading_time, p.language,
       p.translation_group
FROM posts p WHERE p.slug = $2 AND {VISIBLE}
"""
AUTHORS = """
SELECT pa.post_id, a.name, a.slug FROM post_authors pa JOIN authors a ON a.id = pa.author_id
WHERE pa.post_id = ANY($1) ORDER BY pa.post_id, pa.position
"""
PUBLIC_TAGS = """
SELECT pt.post_id, t.name, t.slug FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
WHERE pt.post_id = ANY($1) AND t.visibility = 'public' ORDER BY pt.post_id, pt.position
"""
TRANSLATIONS = f"""
SELECT p.language, p.title, p.slug FROM posts p
WHERE p.translation_group = $2 AND p.id <> $3 AND {VISIBLE}
ORDER BY p.language, p.id
"""


class Connection(Protocol):
    async def fetch(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]: ...


class Database(Protocol):
    """One backend: a pool of connections and how values cross the driver."""

    def connection(self) -> AbstractAsyncContextManager[Connection]: ...
    def now(self) -> Any: ...
    def ids(self, ids: list[int]) -> Any: ...
    def timestamp(self, value: Any) -> datetime: ...
    async def close(self) -> None: ...


@dataclass
class Stats:
    """Requests served and SQL statements run, read by the runner at /stats. Both are added
    when a request gives its connection back, so requests still running are not half-counted."""

    requests: int = 0
    statements: int = 0

    def add(self, statements: int) -> None:
        self.requests += 1
        self.statements += statements


STATS = Stats()


class PostgresConnection:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection
        self.statements = 0

    async def fetch(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]:
        self.statements += 1
        rows: Sequence[Sequence[Any]] = await self._connection.fetch(sql, *args)
        return rows


class Postgres:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, dsn: str) -> "Postgres":
        return cls(await asyncpg.create_pool(dsn, min_size=1, max_size=POOL_SIZE))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self._pool.acquire() as connection:
            wrapped = PostgresConnection(connection)
            yield wrapped
            STATS.add(wrapped.statements)

    def now(self) -> Any:
        return datetime.now(UTC)

    def ids(self, ids: list[int]) -> Any:
        return ids

    def timestamp(self, value: Any) -> datetime:
        assert isinstance(value, datetime)
        return value  # timestamptz arrives aware, in UTC

    async def close(self) -> None:
        await self._pool.close()


class SqliteConnection:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self.statements = 0

    async def fetch(self, sql: str, *args: Any) -> Sequence[Sequence[Any]]:
        self.statements += 1
        rows = await self._connection.execute_fetchall(_sqlite_sql(sql), args)
        return list(rows)


class Sqlite:
    """A fixed pool of aiosqlite connections (each one a thread), set up as Quire sets them."""

    def __init__(self, connections: list[aiosqlite.Connection]) -> None:
        self._all = connections
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for connection in connections:
            self._idle.put_nowait(connection)

    @classmethod
    async def open(cls, path: str, size: int = 5) -> "Sqlite":
        connections = []
        for _ in range(size):
            connection = await aiosqlite.connect(path)
            for pragma in (
                "journal_mode=WAL",
                "busy_timeout=5000",
                "foreign_keys=ON",
                "synchronous=NORMAL",
            ):
                await connection.execute(f"PRAGMA {pragma}")
            connections.append(connection)
        return cls(connections)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        connection = await self._idle.get()
        wrapped = SqliteConnection(connection)
        try:
            yield wrapped
            STATS.add(wrapped.statements)
        finally:
            self._idle.put_nowait(connection)

    def now(self) -> Any:
        # SQLAlchemy stores naive UTC text with microseconds on SQLite; compare like with like.
        return datetime.now(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def ids(self, ids: list[int]) -> Any:
        return orjson.dumps(ids).decode()

    def timestamp(self, value: Any) -> datetime:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    async def close(self) -> None:
        for connection in self._all:
            await connection.close()


_ANY = re.compile(r"= ANY\(\$(\d+)\)")
_PARAM = re.compile(r"\$(\d+)")


@lru_cache(maxsize=64)
def _sqlite_sql(sql: str) -> str:
    sql = _ANY.sub(r"IN (SELECT value FROM json_each($\1))", sql)
    return _PARAM.sub(r"?\1", sql)


async def open_database(url: str) -> Database:
    """A SQLAlchemy URL (QUIRE_DATABASE_URL) opened with the bare driver behind it."""
    if url.startswith("sqlite+aiosqlite:///"):
        return await Sqlite.open(url.removeprefix("sqlite+aiosqlite:///"))
    if url.startswith("postgresql+asyncpg://"):
        return await Postgres.open("postgresql://" + url.removeprefix("postgresql+asyncpg://"))
    raise ValueError(f"the floor runs on sqlite+aiosqlite or postgresql+asyncpg, not {url!r}")


# --- JSON, shaped like Quire's answers ------------------------------------------------------------


def global_id(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def signed_cursor(scope: str, published_at: datetime, row_id: int) -> str:
    """A keyset cursor signed the way Quire signs its own (the same work per page)."""
    payload = orjson.dumps({"f": scope, "k": [published_at.isoformat(), row_id]})
    signature = hmac.new(SECRET_KEY, payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(signature)}"


def _grouped(rows: Sequence[Sequence[Any]]) -> dict[int, list[dict[str, Any]]]:
    groups: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for post_id, name, slug in rows:
        groups[post_id].append({"name": name, "slug": slug})
    return groups


async def _bylines(
    db: Database, connection: Connection, ids: list[int]
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, list[dict[str, Any]]]]:
    authors = await connection.fetch(AUTHORS, db.ids(ids))
    tags = await connection.fetch(PUBLIC_TAGS, db.ids(ids))
    return _grouped(authors), _grouped(tags)


async def post_list(db: Database, scope: str, sql: str, *args: Any) -> dict[str, Any]:
    """A page of 20 posts with authors and tags, as `posts { nodes {...} pageInfo {...} }`."""
    async with db.connection() as connection:
        rows = await connection.fetch(sql, db.now(), *args)
        page = rows[:PAGE_SIZE]
        ids = [row[0] for row in page]
        authors, tags = await _bylines(db, connection, ids)
    nodes = []
    for post_id, title, slug, excerpt, published_at, reading_time in page:
        nodes.append(
            {
                "id": global_id("Post", post_id),
                "title": title,
                "slug": slug,
                "excerpt": excerpt,
                "publishedAt": db.timestamp(published_at),
                "readingTime": reading_time,
                "authors": authors.get(post_id, []),
                "tags": tags.get(post_id, []),
            }
        )
    end_cursor = None
    if page:
        last = page[-1]
        end_cursor = signed_cursor(scope, db.timestamp(last[4]), last[0])
    return {
        "posts": {
            "nodes": nodes,
            "pageInfo": {"hasNextPage": len(rows) > PAGE_SIZE, "endCursor": end_cursor},
        }
    }


async def post_page(db: Database, slug: str) -> dict[str, Any]:
    """One post with authors, tags and translations, as `post(slug:) {...}`."""
    async with db.connection() as connection:
        now = db.now()
        rows = await connection.fetch(POST_BY_SLUG, now, slug)
        if not rows:
            return {"post": None}
        post_id, title, post_slug, html, published_at, reading_time, language, group = rows[0]
        authors, tags = await _bylines(db, connection, [post_id])
        translations = (
            await connection.fetch(TRANSLATIONS, now, group, post_id) if group is not None else []
        )
    return {
        "post": {
            "id": global_id("Post", post_id),
            "title": title,
            "slug": post_slug,
            "html": html,
            "publishedAt": db.timestamp(published_at),
            "readingTime": reading_time,
            "language": language,
            "authors": authors.get(post_id, []),
            "tags": tags.get(post_id, []),
            "translations": [
                {"language": lang, "title": t_title, "slug": t_slug}
                for lang, t_title, t_slug in translations
            ],
        }
    }


# --- Routes -------------------------------------------------------------------------------------


async def _variables(request: Request) -> dict[str, Any]:
    body = orjson.loads(await request.body())
    variables: dict[str, Any] = body.get("variables") or {}
    return variables


def _json(data: dict[str, Any]) -> Response:
    return Response(orjson.dumps({"data": data}), media_type="application/json")


async def home(request: Request) -> Response:
    await _variables(request)
    return _json(await post_list(request.app.state.db, "home", HOME_PAGE))


async def tag(request: Request) -> Response:
    variables = await _variables(request)
    return _json(await post_list(request.app.state.db, "tag", TAG_PAGE, variables["tag"]))


async def post(request: Request) -> Response:
    variables = await _variables(request)
    return _json(await post_page(request.app.state.db, variables["slug"]))


async def readyz(request: Request) -> Response:
    async with request.app.state.db.connection() as connection:
        await connection.fetch("SELECT 1")  # counted like a page; the runner reads deltas only
    return Response(b"ok")


async def stats(_request: Request) -> Response:
    return Response(orjson.dumps({"requests": STATS.requests, "statements": STATS.statements}))


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.db = await open_database(
        os.environ.get("QUIRE_DATABASE_URL", "sqlite+aiosqlite:///./quire.db")
    )
    try:
        yield
    finally:
        await app.state.db.close()


app = Starlette(
    routes=[
        Route("/home", home, methods=["POST"]),
        Route("/tag", tag, methods=["POST"]),
        Route("/post", post, methods=["POST"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/stats", stats, methods=["GET"]),
    ],
    lifespan=lifespan,
)
