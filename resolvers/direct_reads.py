"""Reads run straight on the driver: statements built once, compiled once, executed on the
driver's own connections.

Through SQLAlchemy's async session, one statement of a page view cost about 0.45 ms of CPU on
PostgreSQL (pool checkout and ping, execution context, greenlet switches, result wrapping),
more on SQLite, where the driver itself needs a fraction of that; it was most of what a
compiled read still spent (see bench/README.md). The statements that every page view runs (a
page of live posts, a post by id or slug, the bylines and tags of a page, translations) are
built once already; here each is compiled once by SQLAlchemy's own dialect (same SQL text, same
bind casts, same type processing) and then run on:
- PostgreSQL: asyncpg's pool, with `Connection.fetch`, which prepares it once per connection;
- SQLite: a few aiosqlite connections set up as the engine's (`app.database`), with
  `execute_fetchall`, one trip to the connection's thread per statement.

Rows are of a class made per statement (an `asyncpg.Record`, or a tuple on SQLite) whose
attributes are the selected columns' names, processed by the column's type where it has a
result processor, as SQLAlchemy would: the code reading them does not know which way they came.

Errors become SQLAlchemy's (`OperationalError` when the database is unreachable or a statement
was cancelled, `DBAPIError` otherwise), so they are reported as every other database error is.
Each statement fires the engine's `before_cursor_execute` event, so the statement counters
(metrics, access log, tests) count these too.
"""

import asyncio
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from operator import itemgetter
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # ships no type information
from sqlalchemy import Float
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from resolvers import spans
from resolvers.errors import unavailable_sqlstate
from resolvers.lru import LRU

MAX_PREPARED = 1_024
APPLICATION_NAME = "quire-direct-reads"  # in pg_stat_activity, to tell this pool's connections
DIRECT_SETTINGS = {
    "application_name": APPLICATION_NAME,
    # plan_cache_mode stays PostgreSQL's choice. Forcing generic plans made the tag page at
    # 100k posts faster (0.28 ms against 0.48 ms, re-planned on every execution), and at 1M
    # posts 12 times slower (6.8 ms against 0.56 ms): a generic plan cannot see which tag.
}

SQLALCHEMY_ONLY_OPTIONS = ("prepared_statement_cache_size", "prepared_statement_name_func")


def asyncpg_arguments(engine: AsyncEngine) -> dict[str, Any]:
    """What asyncpg's own `connect` needs to reach the database of a PostgreSQL engine."""
    _args, url_args = engine.dialect.create_connect_args(engine.url)
    for option in SQLALCHEMY_ONLY_OPTIONS:  # what SQLAlchemy's adapter takes for itself
        url_args.pop(option, None)
    return dict(url_args)


# The database could not be reached, or gave up on the statement (statement timeout, shutdown);
# PostgreSQL's errors say so by their SQLSTATE (resolvers.errors.unavailable_sqlstate).
UNAVAILABLE = (
    sqlite3.OperationalError,  # "database is locked", as SQLAlchemy classes it
    ConnectionError,
    OSError,
    TimeoutError,
)


class PreparedRead:
    """One statement compiled for a driver: its SQL, how to order and convert its parameters,
    and the class of its rows (built on `row_base`)."""

    def __init__(
        self, statement: ClauseElement, dialect: Dialect, row_base: type = asyncpg.Record
    ) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if (
            compiled.positiontup is None
            or compiled.post_compile_params
            or compiled.literal_execute_params
            or compiled.escaped_bind_names
        ):
            raise ValueError("only positional statements whose SQL is final once compiled")
        self.sql = compiled.string
        self._compiled = compiled
        self._order = list(compiled.positiontup)
        self._bind = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        columns = list(statement.selected_columns)  # type: ignore[attr-defined]
        names = [column.key for column in columns]
        if len(set(names)) != len(names):
            raise ValueError("selected column names must be unique")
        attributes: dict[str, Any] = {"__slots__": ()}
        for index, column in enumerate(columns):
            process = _result_processor(column.type, dialect)
            attributes[column.key] = property(_processed(index, process))
        self.row_class: type = type("Row", (row_base,), attributes)

    def arguments(self, params: dict[str, Any]) -> list[Any]:
        values = self._compiled.construct_params(params)
        assert values is not None
        arguments = []
        for name in self._order:
            value, process = values[name], self._bind.get(name)
            arguments.append(value if process is None else process(value))
        return arguments


def _result_processor(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy would apply to a column's values, asked without the column's database
    type. A float (a search's score) is one from both drivers already: asyncpg's dialect
    cannot choose without the database type, and refuses."""
    if isinstance(type_, Float) and not type_.asdecimal:
        return None
    process: Callable[[Any], Any] | None = type_.dialect_impl(dialect).result_processor(
        dialect, None
    )
    return process


def _processed(index: int, process: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    if process is None:
        return itemgetter(index)
    return lambda row: process(row[index])


class DirectReads(ABC):
    """A worker's connections for direct reads, and the statements compiled for them."""

    row_base: type

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine  # whose event listeners count statements; same URL and settings
        self.dialect = engine.dialect
        self.executed = 0  # statements run here, for tests and curious operators
        self._prepared: LRU[int, tuple[ClauseElement, PreparedRead | None]] = LRU(MAX_PREPARED)

    def prepared(self, statement: ClauseElement) -> PreparedRead | None:
        """The statement compiled for the driver, or None when it cannot run here (it must
        then run through SQLAlchemy). Kept by identity: pass statements that are built once."""
        key = id(statement)
        found = self._prepared.get(key)
        if found is not None and found[0] is statement:
            return found[1]
        try:
            prepared: PreparedRead | None = PreparedRead(statement, self.dialect, self.row_base)
        except Exception:  # SQLAlchemy runs it instead, and raises whatever is wrong with it
            prepared = None
        self._prepared.put(key, (statement, prepared))  # holding it keeps its id unique
        return prepared

    async def fetch(
        self, connection: Any, prepared: PreparedRead, params: dict[str, Any]
    ) -> Sequence[Any]:
        arguments = prepared.arguments(params)
        dispatch = self.engine.sync_engine.dispatch
        if dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(None, None, prepared.sql, arguments, None, False)
        self.executed += 1
        try:
            with spans.query(self.dialect.name, prepared.sql):
                return await self._fetch(connection, prepared, arguments)
        except Exception as error:
            raise _translated(error, prepared.sql, broken=self.is_broken(connection)) from error

    async def acquire(self) -> Any:
        try:
            return await self._acquire()
        except Exception as error:
            raise _translated(error, "") from error

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def _acquire(self) -> Any: ...

    @abstractmethod
    async def release(self, connection: Any) -> None: ...

    @abstractmethod
    async def _fetch(
        self, connection: Any, prepared: PreparedRead, arguments: list[Any]
    ) -> Sequence[Any]: ...

    @abstractmethod
    def is_broken(self, connection: Any) -> bool:
        """The connection closed under its holder (a dead socket, a terminated backend)."""


class PostgresReads(DirectReads):
    """asyncpg's pool, in autocommit (no transaction around a read), with the statement
    timeout of the app's engines."""

    row_base = asyncpg.Record

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        pool_size: int,
        connect_timeout: float,
        server_settings: dict[str, str],
    ) -> None:
        super().__init__(engine)
        self.connect_timeout = connect_timeout
        self._pool_size = pool_size
        self._server_settings = server_settings
        self._pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        self._pool = asyncpg.create_pool(
            **asyncpg_arguments(self.engine),
            min_size=0,
            max_size=self._pool_size,
            timeout=self.connect_timeout,
            server_settings={**self._server_settings, **DIRECT_SETTINGS},
            reset=_nothing_to_reset,
        )
        await self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def _acquire(self) -> Any:
        assert self._pool is not None, "start() was not awaited"
        return await self._pool.acquire(timeout=self.connect_timeout)

    async def release(self, connection: Any) -> None:
        assert self._pool is not None
        await self._pool.release(connection)

    async def _fetch(
        self, connection: Any, prepared: PreparedRead, arguments: list[Any]
    ) -> Sequence[Any]:
        rows: Sequence[Any] = await connection.fetch(
            prepared.sql, *arguments, record_class=prepared.row_class
        )
        return rows

    def is_broken(self, connection: Any) -> bool:
        try:
            return bool(connection.is_closed())
        except asyncpg.InterfaceError:  # closing detached it from its pool proxy already
            return True


class SQLiteReads(DirectReads):
    """Up to `pool_size` aiosqlite connections (a thread each), opened as needed and set up by
    `setup` as the engine's are (pragmas, the Unicode `lower`). SQLite in WAL mode lets them
    read while another connection writes."""

    row_base = tuple

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        pool_size: int,
        connect_timeout: float,
        connect: Callable[[], Awaitable[Any]],
    ) -> None:
        super().__init__(engine)
        self._connect = connect
        self._timeout = connect_timeout
        self._idle: asyncio.Queue[Any] = asyncio.Queue()
        self._opened: list[Any] = []
        self._free_slots = asyncio.Semaphore(pool_size)

    async def start(self) -> None:
        pass  # connections open on first use

    async def close(self) -> None:
        for connection in self._opened:
            await connection.close()
        self._opened.clear()

    async def _acquire(self) -> Any:
        async with asyncio.timeout(self._timeout):  # all busy: fail fast, as a pool would
            await self._free_slots.acquire()
        try:
            if not self._idle.empty():
                return self._idle.get_nowait()
            connection = await self._connect()
            self._opened.append(connection)
            return connection
        except BaseException:
            self._free_slots.release()
            raise

    async def release(self, connection: Any) -> None:
        self._idle.put_nowait(connection)
        self._free_slots.release()

    async def _fetch(
        self, connection: Any, prepared: PreparedRead, arguments: list[Any]
    ) -> Sequence[Any]:
        row_class = prepared.row_class
        return [
            row_class(row) for row in await connection.execute_fetchall(prepared.sql, arguments)
        ]

    def is_broken(self, connection: Any) -> bool:
        return False  # a file: a failed statement leaves the connection usable


async def _nothing_to_reset(_connection: Any) -> None:
    """These connections only run SELECTs in autocommit and never change session state, so
    they need no reset when a request gives them back. The default (`RESET ALL`, `UNLISTEN *`,
    `CLOSE ALL`, unlocking advisory locks) is one more round trip per request; asyncpg still
    rolls back a transaction left open, before calling this."""


def _translated(error: Exception, sql: str, *, broken: bool = False) -> Exception:
    """SQLAlchemy's exception for a driver error, as SQLAlchemy would have raised it; a
    `broken` connection (it closed, whatever the error said) makes the database unavailable."""
    if broken or isinstance(error, UNAVAILABLE) or unavailable_sqlstate(error):
        return OperationalError(sql, None, error)
    if isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError | sqlite3.Error):
        return DBAPIError(sql, None, error)
    return error
