"""Per-client rate limits weighted by query cost: 429 with Retry-After, shared through Redis."""

import os
from typing import Any

from tests.api.conftest import GraphQLClient, serve
from tests.conftest import Database

REDIS_URL = os.environ.get("QUIRE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHEAP = "{ posts(first: 2) { totalCount } }"  # cost 2
LIMITS = {"rate_limit_enabled": True, "rate_limit_burst": 10, "rate_limit_per_second": 0.01}


async def _spend(client: GraphQLClient, times: int, **headers: str) -> list[Any]:
    responses = []
    for _ in range(times):
        responses.append(await client.http.post("/graphql", json={"query": CHEAP}, headers=headers))
    return responses


async def test_a_client_over_its_budget_gets_429_with_retry_after(demo_db: Database) -> None:
    async for client in serve(demo_db, **LIMITS):
        ok = await _spend(client, 5)
        assert [r.status_code for r in ok] == [200] * 5
        assert [r.headers["ratelimit-remaining"] for r in ok] == ["8", "6", "4", "2", "0"]
        refused = (await _spend(client, 1))[0]
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
        assert "data" not in refused.json() or refused.json()["data"] is None


async def test_clients_behind_a_trusted_proxy_have_separate_budgets(demo_db: Database) -> None:
    async for client in serve(demo_db, trusted_proxy_header="x-forwarded-for", **LIMITS):
        first = await _spend(client, 6, **{"x-forwarded-for": "203.0.113.7"})
        assert first[-1].status_code == 429
        # A spoofed left-most address does not help: the proxy's own entry is the last one.
        spoofed = await _spend(client, 1, **{"x-forwarded-for": "1.2.3.4, 203.0.113.7"})
        assert spoofed[0].status_code == 429
        other = await _spend(client, 1, **{"x-forwarded-for": "198.51.100.9"})
        assert other[0].status_code == 200
        # A proxy may add its entry as a header line of its own: the last line still counts.
        lines = [("x-forwarded-for", "192.0.2.99"), ("x-forwarded-for", "203.0.113.7")]
        response = await client.http.post("/graphql", json={"query": CHEAP}, headers=lines)
        assert response.status_code == 429


async def test_an_expensive_query_spends_more_of_the_budget(demo_db: Database) -> None:
    async for client in serve(
        demo_db, rate_limit_enabled=True, rate_limit_burst=100, rate_limit_per_second=0.01
    ):
        response = await client.http.post(
            "/graphql", json={"query": "{ posts(first: 30) { nodes { title } } }"}
        )
        assert response.headers["ratelimit-remaining"] == str(100 - 60)


async def test_two_app_instances_on_one_redis_share_one_budget(
    demo_db: Database, redis_prefix: str
) -> None:
    settings = {"redis_url": REDIS_URL, "redis_prefix": redis_prefix, **LIMITS}
    async for worker_a in serve(demo_db, **settings):
        async for worker_b in serve(demo_db, **settings):
            statuses = []
            for worker in (worker_a, worker_b, worker_a, worker_b, worker_a, worker_b):
                statuses.append((await _spend(worker, 1))[0].status_code)
            assert statuses == [200, 200, 200, 200, 200, 429]
