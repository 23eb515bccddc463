"""A PostgreSQL that is shutting down (or starting up) refuses new connections with 57P03,
"cannot connect now": every path answers 503 SERVICE_UNAVAILABLE with Retry-After, never an
internal error. Stopped for real with `pg_ctl stop -m smart` while a session holds it open
(smart shutdown waits for it), on a cluster of the test's own."""

from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import pytest

from app import migrations
from app.database import create_engine
from app.demo import load_demo
from tests.api.conftest import GraphQLClient, serve
from tests.conftest import Database
from tests.pg_cluster import cluster

pytestmark = pytest.mark.postgresql

HOME = "{ posts(first: 3) { nodes { title authors { name } } } }"  # a compiled read plan
FACETS = "{ posts { totalCount facets { levels { level count } } } }"  # Strawberry's executor


@pytest.fixture
async def shutting_down() -> AsyncIterator[GraphQLClient]:
    """An app whose database began a smart shutdown before the app connected to it."""
    with cluster() as pg:
        engine = create_engine(pg.url)
        async with engine.begin() as connection:
            await migrations.run_on(connection, "upgrade", "head")
        await load_demo(engine, posts=10)
        await engine.dispose()
        holder = await asyncpg.connect(host="127.0.0.1", port=pg.port, user="postgres")
        try:
            pg.stop("smart", wait=False)
            database = Database("postgresql", pg.url, engine)
            async for client in serve(database, response_cache=False):
                yield client
        finally:
            await holder.close()


@pytest.mark.parametrize(("query", "token"), [(HOME, None), (FACETS, None), (HOME, "qt_anything")])
async def test_every_path_answers_503_while_the_database_shuts_down(
    shutting_down: GraphQLClient, query: str, token: str | None
) -> None:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await shutting_down.http.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["SERVICE_UNAVAILABLE"]
    assert "57P03" not in response.text and "shutting down" not in response.text
