"""Direct reads: the statements built once run on the driver's own connections (asyncpg's pool,
aiosqlite connections) and answer exactly what they answer through SQLAlchemy.

Every request of the comparisons goes to two apps over the same database and clock, one with
direct reads (the default) and one with `direct_reads=False`: status, Cache-Control and body
must be byte for byte the same, and the first app must really have run statements directly.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from models import Post, PostStatus
from resolvers.direct_reads import APPLICATION_NAME, DirectReads, PreparedRead
from resolvers.visibility import post_is_visible
from tests.api.conftest import GraphQLClient, serve
from tests.api.test_compiled_reads import NOW, PLANNED, _fill, answer_both, demo_values
from tests.conftest import Database

# Through Strawberry (no plan covers them): its ORM reads open the read session first, and the
# statements built once then run on that session (a request holds one connection at a time).
STRAWBERRY_PATH: list[tuple[str, dict[str, Any]]] = [
    (
        """{ posts(first: 5) { nodes { title authors { name postCount } tags { slug }
        translations { title language authors { name } } } facets { levels { level count } } } }""",
        {},
    ),
    ('{ post(slug: "__translated_slug__") { title translations { slug status } } }', {}),
]


@pytest.fixture(scope="module")
async def clients(demo_db: Database) -> AsyncIterator[tuple[GraphQLClient, GraphQLClient]]:
    async for direct in serve(demo_db, response_cache=False, clock=lambda: NOW):
        async for plain in serve(
            demo_db, response_cache=False, direct_reads=False, clock=lambda: NOW
        ):
            assert plain.app.state.direct_reads is None
            yield direct, plain


@pytest.fixture(scope="module")
async def known(clients: tuple[GraphQLClient, GraphQLClient]) -> dict[str, str]:
    return await demo_values(clients[1])


def _direct(client: GraphQLClient) -> DirectReads:
    direct: DirectReads = client.app.state.direct_reads
    return direct


@pytest.mark.parametrize(("query", "variables"), PLANNED)
async def test_planned_documents_run_directly_and_answer_what_sqlalchemy_answers(
    clients: tuple[GraphQLClient, GraphQLClient],
    known: dict[str, str],
    query: str,
    variables: dict[str, Any],
) -> None:
    before = _direct(clients[0]).executed
    body = await answer_both(clients, _fill(query, known), _fill(variables, known))
    assert b'"errors"' not in body and b'"data":{' in body
    # A count alone runs on the session, and so does the page of a search in another order
    # than relevance (built per request).
    on_the_session = ("totalCount" in query and "nodes" not in query) or "SearchByDate" in query
    if not on_the_session:
        assert _direct(clients[0]).executed > before, "nothing ran directly"


@pytest.mark.parametrize(("query", "variables"), STRAWBERRY_PATH)
async def test_strawberry_path_documents_answer_what_sqlalchemy_answers(
    clients: tuple[GraphQLClient, GraphQLClient],
    known: dict[str, str],
    query: str,
    variables: dict[str, Any],
) -> None:
    body = await answer_both(clients, _fill(query, known), _fill(variables, known))
    assert b'"errors"' not in body and b'"data":{' in body


@pytest.mark.postgresql_only
async def test_a_connection_killed_while_idle_is_replaced_without_an_error(
    demo_db: Database,
) -> None:
    query = "{ posts(first: 3) { nodes { title authors { name } } } }"
    async for client in serve(demo_db, response_cache=False):
        assert (await client.data(query))["posts"]["nodes"]
        # As a database restart or a failover would: every idle connection of the pool dies.
        async with client.engine.connect() as connection:
            killed = await connection.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                f"WHERE application_name = '{APPLICATION_NAME}' AND pid <> pg_backend_pid()"
            )
            assert killed.scalar() >= 1
        for _ in range(3):
            response = await client.http.post("/graphql", json={"query": query})
            assert response.status_code == 200, response.text
            assert response.json()["data"]["posts"]["nodes"]


@pytest.mark.postgresql_only
async def test_a_read_on_a_connection_found_broken_is_run_again_on_a_new_one(
    demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race the kill above rarely hits: the pool hands out a connection whose socket died
    # before asyncpg noticed. Its first statement fails; the read runs again on a new one.
    acquire = DirectReads.acquire
    acquired: list[Any] = []

    async def stale_first(self: DirectReads) -> Any:
        connection = await acquire(self)
        if not acquired:
            connection._con.terminate()  # a socket that died while idle (under the proxy)
        acquired.append(connection)
        return connection

    monkeypatch.setattr(DirectReads, "acquire", stale_first)
    async for client in serve(demo_db, response_cache=False):
        data = await client.data("{ posts(first: 2) { nodes { title } } }")
        assert len(data["posts"]["nodes"]) == 2
        assert len(acquired) == 2


@pytest.mark.postgresql_only
async def test_direct_connections_carry_the_statement_timeout(demo_db: Database) -> None:
    async for client in serve(demo_db, db_statement_timeout_ms=1234):
        direct = _direct(client)
        connection = await direct.acquire()
        try:
            assert await connection.fetchval("SHOW statement_timeout") == "1234ms"
            assert await connection.fetchval("SHOW application_name") == APPLICATION_NAME
            assert not connection.is_in_transaction()  # autocommit: no BEGIN around a read
        finally:
            await direct.release(connection)


async def test_a_database_error_of_a_direct_read_is_masked(
    demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    compile_for_driver = PreparedRead.__init__

    def broken(self: PreparedRead, *args: Any) -> None:
        compile_for_driver(self, *args)
        self.sql = "SELECT no_such_column FROM posts"  # the database refuses it

    monkeypatch.setattr(PreparedRead, "__init__", broken)
    async for client in serve(demo_db, response_cache=False):
        response = await client.http.post(
            "/graphql", json={"query": "{ posts(first: 2) { nodes { title } } }"}
        )
        error = response.json()["errors"][0]
        # Classed as SQLAlchemy classes the driver's error: sqlite3's OperationalError covers
        # "database is locked" too, so it reads as unavailable.
        unavailable = demo_db.backend == "sqlite"
        expected = "SERVICE_UNAVAILABLE" if unavailable else "INTERNAL_SERVER_ERROR"
        assert error["extensions"]["code"] == expected
        assert "requestId" in error["extensions"]
        assert "no_such_column" not in response.text and "asyncpg" not in response.text


def test_rows_carry_the_columns_as_sqlalchemy_would_convert_them() -> None:
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    statement = select(Post.id, Post.status).where(post_is_visible(NOW))
    prepared = PreparedRead(statement, dialect())
    assert isinstance(prepared.row_class.__dict__["status"], property)
    arguments = prepared.arguments({"now": NOW})
    # Bound as SQLAlchemy binds them: the enum as its stored text, the clock as UTC.
    assert "published" in arguments and NOW in arguments
    assert not any(isinstance(argument, PostStatus) for argument in arguments)


def test_statements_with_expanding_lists_are_left_to_sqlalchemy() -> None:
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    with pytest.raises(ValueError):
        PreparedRead(select(Post.id).where(Post.id.in_([1, 2])), dialect())


async def test_the_statement_counters_see_direct_statements(
    clients: tuple[GraphQLClient, GraphQLClient], count_statements: Any
) -> None:
    counter = count_statements(clients[0])
    before = _direct(clients[0]).executed
    await clients[0].data("{ posts(first: 3) { nodes { title tags { slug } } } }")
    assert counter.count == 2  # the page and its tags
    assert _direct(clients[0]).executed == before + 2  # both run directly


def test_sqlite_rows_are_converted_as_sqlalchemy_converts_them() -> None:
    from sqlalchemy.dialects.sqlite.aiosqlite import dialect

    from resolvers.loaders import _relations_statement

    prepared = PreparedRead(select(Post.published_at, Post.includes_code), dialect(), tuple)
    row = prepared.row_class(("2026-11-24 10:30:00.000000", 1))
    assert row.published_at == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    assert row.includes_code is True
    # A list bound per call is one JSON parameter on SQLite, so even the bylines' statement
    # has final SQL and runs directly.
    links = PreparedRead(_relations_statement("sqlite", frozenset({"name"})), dialect(), tuple)
    assert links.arguments({"post_ids": [3, 1]}).count("[3, 1]") == 2
