"""The HTTP surface around GraphQL: GET queries, GraphiQL, CORS and the health check."""

import pytest

from tests.api.conftest import GraphQLClient, serve
from tests.conftest import Database

ORIGIN = "https://blog.example.com"


async def test_queries_work_over_get_for_caches(client: GraphQLClient) -> None:
    response = await client.http.get(
        "/graphql", params={"query": "{ posts(first: 1) { totalCount } }"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["posts"]["totalCount"] > 0


async def test_browsers_get_graphiql(client: GraphQLClient) -> None:
    response = await client.http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_graphiql_can_be_switched_off(demo_db: Database) -> None:
    async for client in serve(demo_db, graphiql=False):
        response = await client.http.get("/graphql", headers={"accept": "text/html"})
        assert response.status_code == 404
        assert "graphiql" not in response.text.lower()


async def test_health_endpoint_answers(client: GraphQLClient) -> None:
    response = await client.http.get("/healthz")
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(("origin", "allowed"), [(ORIGIN, True), ("https://evil.example", False)])
async def test_cors_allows_only_configured_origins(
    demo_db: Database, origin: str, allowed: bool
) -> None:
    async for client in serve(demo_db, cors_origins=[ORIGIN]):
        response = await client.http.options(
            "/graphql",
            headers={
                "origin": origin,
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type",
            },
        )
        assert (response.headers.get("access-control-allow-origin") == origin) is allowed
        if not allowed:  # a refusal a developer can act on, not a bare 400 or 405
            assert response.status_code == 403
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "CORS_ORIGIN_NOT_ALLOWED"
            assert origin in error["message"] and "QUIRE_CORS_ORIGINS" in error["message"]


async def test_a_preflight_without_cors_configured_says_what_to_set(client: GraphQLClient) -> None:
    response = await client.http.options(
        "/graphql",
        headers={"origin": ORIGIN, "access-control-request-method": "POST"},
    )
    assert response.status_code == 403
    assert "QUIRE_CORS_ORIGINS" in response.json()["errors"][0]["message"]
    plain = await client.http.options("/graphql")  # not a preflight: as before
    assert plain.status_code == 405
