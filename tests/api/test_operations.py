"""Health probes, metrics, logs, and surviving a database outage."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.api.conftest import GraphQLClient, serve
from tests.conftest import Database
from tests.tcp_proxy import TcpProxy

QUERY = {"query": "query Home { posts(first: 3) { nodes { title } } }", "operationName": "Home"}


@pytest.fixture(scope="module")
async def client(demo_db: Database) -> AsyncIterator[GraphQLClient]:
    """The demo blog without the response cache: these tests watch queries execute."""
    async for client in serve(demo_db, response_cache=False):
        yield client


async def test_readyz_reports_a_migrated_reachable_database(client: GraphQLClient) -> None:
    response = await client.http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def test_readyz_is_503_while_migrations_are_pending(scratch_db: Database) -> None:
    from app import migrations

    async with scratch_db.engine.begin() as connection:
        await migrations.run_on(connection, "downgrade", "base")
    async for client in serve(scratch_db):
        response = await client.http.get("/readyz")
        assert response.status_code == 503
        assert response.json()["reason"] == "migrations pending"


async def test_metrics_count_requests_errors_and_sql_by_operation(client: GraphQLClient) -> None:
    await client.http.post("/graphql", json=QUERY)
    await client.http.post("/graphql", json={"query": "{ nope }"})
    text = (await client.http.get("/metrics")).text
    assert 'quire_requests_total{operation="Home",status="200"}' in text
    assert 'quire_request_duration_seconds_bucket{le="0.005",operation="Home"}' in text
    assert 'quire_errors_total{code="GRAPHQL_VALIDATION_FAILED"}' in text
    assert "quire_sql_statements_per_request_count" in text


async def test_each_request_is_logged_with_id_operation_status_and_sql_count(
    client: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="quire.access"):
        await client.http.post("/graphql", json=QUERY, headers={"x-request-id": "req-42"})
    fields = [r.fields for r in caplog.records if r.name == "quire.access"][-1]  # type: ignore[attr-defined]
    assert fields["request_id"] == "req-42"
    assert fields["operation"] == "Home"
    assert fields["status"] == 200
    assert fields["sql_statements"] == 1  # the page; no nested field needs a loader
    assert fields["duration_ms"] > 0


async def test_an_unexpected_error_is_logged_with_the_request_id_the_client_got(
    client: GraphQLClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from resolvers import posts

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(posts, "get_post", broken)
    with caplog.at_level(logging.ERROR, logger="quire.errors"):
        response = await client.http.post("/graphql", json={"query": '{ post(slug: "x") { id } }'})
    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error."
    request_id = error["extensions"]["requestId"]
    assert request_id == response.headers["x-request-id"]
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and "disk on fire" in logged[0].exc_text  # type: ignore[operator]
    assert "disk on fire" not in response.text


async def test_the_pool_survives_a_database_outage(demo_db: Database) -> None:
    if demo_db.backend != "postgresql":
        pytest.skip("an outage of an embedded SQLite file is not a thing")
    url = make_url(demo_db.url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    database = Database(demo_db.backend, proxied, demo_db.engine)
    async for client in serve(database, response_cache=False):
        assert (await client.http.post("/graphql", json=QUERY)).status_code == 200

        await proxy.cut()
        started = time.perf_counter()
        down = await client.http.post("/graphql", json=QUERY)
        assert down.status_code == 503
        assert down.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert "asyncpg" not in down.text and "127.0.0.1" not in down.text
        assert time.perf_counter() - started < 5, "requests during an outage must fail fast"
        assert (await client.http.get("/readyz")).status_code == 503
        with_token = await client.http.post(
            "/graphql", json=QUERY, headers={"authorization": "Bearer qt_anything"}
        )
        assert with_token.status_code == 503
        assert with_token.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"

        await proxy.start()  # the database is back on the same port
        for _ in range(20):
            if (await client.http.post("/graphql", json=QUERY)).status_code == 200:
                break
            await asyncio.sleep(0.25)
        else:
            pytest.fail("the service did not recover after the database came back")
    await proxy.cut()


async def test_with_introspection_off_the_schema_stays_private(demo_db: Database) -> None:
    async for client in serve(demo_db, introspection=False):
        schema = await client.post("{ __schema { types { name } } }")
        assert schema["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        typo = await client.post("{ posts { nodes { titel } } }")
        assert "Did you mean" not in typo["errors"][0]["message"]
        assert (await client.post("{ posts(first: 1) { totalCount } }"))["data"]
    async for client in serve(demo_db):
        typo = await client.post("{ posts { nodes { titel } } }")
        assert "Did you mean 'title'" in typo["errors"][0]["message"]


async def test_postgresql_sessions_carry_the_statement_timeout(demo_db: Database) -> None:
    if demo_db.backend != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting")
    async for client in serve(demo_db, db_statement_timeout_ms=1234):
        assert len(client.engines) == 2  # writes, and reads in autocommit
        for engine in client.engines:
            async with engine.connect() as connection:
                result = await connection.exec_driver_sql("SHOW statement_timeout")
                assert result.scalar() == "1234ms"
        for engine, in_transaction in (
            (client.app.state.read_engine, False),
            (client.engine, True),
        ):
            async with engine.connect() as connection:
                await connection.exec_driver_sql("SELECT 1")
                raw = await connection.get_raw_connection()
                assert raw.driver_connection.is_in_transaction() is in_transaction


async def test_without_introspection_variable_errors_suggest_nothing(demo_db: Database) -> None:
    query = "query($f: PostFilter) { posts(filter: $f) { totalCount } }"
    async for client in serve(demo_db, introspection=False):
        body = await client.post(query, {"f": {"levels": ["BEGINER"]}})
        assert "Did you mean" not in body["errors"][0]["message"]
    async for client in serve(demo_db):
        body = await client.post(query, {"f": {"levels": ["BEGINER"]}})
        assert "Did you mean" in body["errors"][0]["message"]


async def test_one_line_per_request_never_with_the_query_string(
    client: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="quire.access"):
        await client.http.get(
            "/graphql",
            params={"query": "query Secretly { __typename }", "operationName": "Secretly"},
        )
        await client.http.get("/healthz")  # a probe that succeeds: debug level only
        await client.http.get("/nowhere")
    lines = [r for r in caplog.records if r.name == "quire.access"]
    seen = [(r.fields["method"], r.fields["path"], r.fields["status"]) for r in lines]  # type: ignore[attr-defined]
    assert seen == [("GET", "/graphql", 200), ("GET", "/nowhere", 404)]
    graphql = lines[0].fields  # type: ignore[attr-defined]
    assert graphql["operation"] == "Secretly" and graphql["http_version"] == "1.1"
    assert "__typename" not in lines[0].getMessage() + str(graphql)
