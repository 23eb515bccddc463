"""Read replicas, against a real PostgreSQL streaming replica: a cluster of the test's own and a
replica of it made with `pg_basebackup -R`, both on loopback ports.

Which database answered is told by what it answers: with the replica's replay paused, a title
changed on the primary by hand (SQL, no event: Quire cannot know) is old on the replica and new
on the primary."""

import asyncio
import time
from base64 import b64encode
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from app import migrations
from app.database import create_engine
from app.demo import load_demo
from tests.api.conftest import GraphQLClient, serve
from tests.api.mutations import UPDATE_POST
from tests.conftest import Database
from tests.pg_cluster import Cluster, cluster, replica_of
from tests.server_process import editor_token

pytestmark = pytest.mark.postgresql

POST = "query($id: ID!) { post(id: $id) { title } }"  # a compiled read plan
FACETS = "{ posts { totalCount facets { levels { level count } } } }"  # Strawberry's executor


class Pair:
    def __init__(self, primary: Cluster, replica: Cluster, database: Database) -> None:
        self.primary = primary
        self.replica = replica
        self.database = database
        self.row_id = 0
        self.post_id = ""  # its global ID
        self.token = ""

    async def sql(self, on: Cluster, statement: str, *args: Any) -> Any:
        connection = await asyncpg.connect(host="127.0.0.1", port=on.port, user="postgres")
        try:
            return await connection.fetchval(statement, *args)
        finally:
            await connection.close()

    async def pause_replay(self) -> None:
        await self.sql(self.replica, "SELECT pg_wal_replay_pause()")

    async def resume_replay(self) -> None:
        await self.sql(self.replica, "SELECT pg_wal_replay_resume()")
        await self.caught_up()

    async def caught_up(self) -> None:
        target = await self.sql(self.primary, "SELECT pg_current_wal_lsn()::text")
        for _ in range(200):
            done = await self.sql(
                self.replica, "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", target
            )
            if done:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the replica did not catch up")

    async def retitle_by_hand(self, title: str) -> None:
        """A change on the primary that records no event: no process of Quire hears of it."""
        await self.sql(
            self.primary, "UPDATE posts SET title = $1 WHERE id = $2", title, self.row_id
        )


@pytest.fixture(scope="module")
def clusters() -> Iterator[tuple[Cluster, Cluster]]:
    with cluster() as primary, replica_of(primary) as replica:
        yield primary, replica


@pytest.fixture(scope="module")
async def pair(clusters: tuple[Cluster, Cluster]) -> AsyncIterator[Pair]:
    primary, replica = clusters
    engine = create_engine(primary.url)
    async with engine.begin() as connection:
        await migrations.run_on(connection, "upgrade", "head")
    await load_demo(engine, posts=10)
    made = Pair(primary, replica, Database("postgresql", primary.url, engine))
    published = "SELECT min(id) FROM posts WHERE status = 'published'"
    made.row_id = await made.sql(primary, published)
    made.post_id = b64encode(f"Post:{made.row_id}".encode()).decode()
    made.token = await editor_token(made.database, "replica tests")
    await made.caught_up()
    yield made
    await engine.dispose()


async def serve_with_replica(pair: Pair, **settings: Any) -> AsyncIterator[GraphQLClient]:
    settings = {
        "database_replica_urls": [pair.replica.url],
        "replica_check_seconds": 0.1,
        "response_cache": False,  # every read reaches a database
        **settings,
    }
    async for client in serve(pair.database, **settings):
        await replica_used(client, True)
        yield client


async def replica_used(client: GraphQLClient, expected: bool, seconds: float = 20) -> None:
    """Wait until an anonymous read would (or would not) go to the replica."""
    deadline = time.monotonic() + seconds
    while (client.app.state.replicas.choose() is not None) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"the replica's use never became {expected}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def client(pair: Pair) -> AsyncIterator[GraphQLClient]:
    async for made in serve_with_replica(pair, replica_max_lag_seconds=3600):
        yield made
    await pair.resume_replay()  # whatever the test left paused


async def title(client: GraphQLClient, pair: Pair, *, editor: bool = False) -> str:
    headers = {"authorization": f"Bearer {pair.token}"} if editor else {}
    response = await client.http.post(
        "/graphql", json={"query": POST, "variables": {"id": pair.post_id}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return str(body["data"]["post"]["title"])


async def test_anonymous_reads_go_to_the_replica_and_editors_read_the_primary(
    client: GraphQLClient, pair: Pair
) -> None:
    before = await title(client, pair)
    await pair.pause_replay()
    await pair.retitle_by_hand("Changed on the primary")
    assert await title(client, pair) == before  # the replica, paused before the change
    assert await title(client, pair, editor=True) == "Changed on the primary"
    await pair.resume_replay()
    assert await title(client, pair) == "Changed on the primary"
    await pair.retitle_by_hand(before)
    await pair.caught_up()


async def test_a_write_is_never_read_back_older_from_a_replica_that_lacks_it(
    client: GraphQLClient, pair: Pair
) -> None:
    await pair.pause_replay()
    version = await pair.sql(pair.primary, "SELECT version FROM posts WHERE id = $1", pair.row_id)
    response = await client.http.post(
        "/graphql",
        json={
            "query": UPDATE_POST,
            "variables": {"id": pair.post_id, "version": version, "input": {"title": "Saved"}},
        },
        headers={"authorization": f"Bearer {pair.token}"},
    )
    assert response.json()["data"]["updatePost"]["errors"] == [], response.text
    # The replica lacks the save's event: the anonymous read goes to the primary.
    assert await title(client, pair) == "Saved"
    await pair.resume_replay()
    # Caught up, the replica is used again: a change it has not replayed shows it.
    await replica_used(client, True)
    await pair.pause_replay()
    await pair.retitle_by_hand("Unseen by the replica")
    assert await title(client, pair) == "Saved"
    await pair.resume_replay()


async def test_a_replica_lagging_past_the_bound_is_skipped(pair: Pair) -> None:
    async for client in serve_with_replica(pair, replica_max_lag_seconds=0.5):
        await pair.pause_replay()
        await pair.retitle_by_hand("Changed while the replica lags")
        await replica_used(client, False)
        assert await title(client, pair) == "Changed while the replica lags"
        await pair.resume_replay()
        await replica_used(client, True)
        assert await title(client, pair) == "Changed while the replica lags"


async def test_a_replica_that_goes_down_costs_no_client_an_error(
    client: GraphQLClient, pair: Pair
) -> None:
    pair.replica.stop("immediate")
    try:
        for _ in range(3):  # before and after the checker noticed
            assert await title(client, pair)
            facets = await client.data(FACETS)
            assert facets["posts"]["totalCount"] > 0
        await replica_used(client, False)
    finally:
        pair.replica.start()
    await replica_used(client, True)
    assert await title(client, pair)
