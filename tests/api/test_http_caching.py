"""HTTP caching: ETags and 304 for anonymous GET queries, Cache-Control for every response."""

from typing import Any

from models import EditorRole
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import make_editor, publish
from tests.api.test_response_cache import UPDATE
from tests.conftest import Database

QUERY = {"query": "{ posts(first: 3) { nodes { title } } }"}
DEFAULT = "public, max-age=0, must-revalidate"
PRIVATE = "private, no-store"


async def test_an_anonymous_get_carries_an_etag_and_the_public_cache_control(
    client: GraphQLClient,
) -> None:
    response = await client.http.get("/graphql", params=QUERY)
    assert response.status_code == 200
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10
    assert response.headers["cache-control"] == DEFAULT
    assert response.headers["vary"] == "Authorization, Accept"
    again = await client.http.get("/graphql", params=QUERY)
    assert again.headers["etag"] == etag


async def test_a_matching_if_none_match_gets_304_without_body_or_sql(
    client: GraphQLClient, count_statements: Any
) -> None:
    etag = (await client.http.get("/graphql", params=QUERY)).headers["etag"]
    counter = count_statements(client)
    for validator in (etag, f"W/{etag}", f'"other", {etag}'):
        response = await client.http.get(
            "/graphql", params=QUERY, headers={"if-none-match": validator}
        )
        assert response.status_code == 304, validator
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == DEFAULT
    assert counter.count == 0
    stale = await client.http.get("/graphql", params=QUERY, headers={"if-none-match": '"old"'})
    assert stale.status_code == 200 and stale.json()["data"]


async def test_304_works_with_the_response_cache_off(
    demo_db: Database, count_statements: Any
) -> None:
    async for client in serve(demo_db, response_cache=False):
        etag = (await client.http.get("/graphql", params=QUERY)).headers["etag"]
        counter = count_statements(client)
        response = await client.http.get("/graphql", params=QUERY, headers={"if-none-match": etag})
        assert response.status_code == 304
        assert counter.count > 0  # ran, then compared


async def test_changed_content_gets_a_new_etag_and_a_full_response(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    post = await publish(editor, "Old title")
    before = await scratch_client.http.get("/graphql", params=QUERY)
    saved = await editor.run(
        UPDATE, {"id": post["id"], "version": post["version"], "input": {"title": "New title"}}
    )
    assert saved["errors"] == []
    after = await scratch_client.http.get(
        "/graphql", params=QUERY, headers={"if-none-match": before.headers["etag"]}
    )
    assert after.status_code == 200
    assert after.json()["data"]["posts"]["nodes"] == [{"title": "New title"}]
    assert after.headers["etag"] != before.headers["etag"]


async def test_authenticated_post_mutation_and_error_responses_are_private(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    http = scratch_client.http
    responses = {
        "authenticated GET": await http.get("/graphql", params=QUERY, headers=editor.headers),
        "anonymous POST": await http.post("/graphql", json=QUERY),
        "mutation": await http.post(
            "/graphql",
            json={"query": "mutation { logout { ok } }"},
            headers=editor.headers,
        ),
        "GET with errors": await http.get("/graphql", params={"query": "{ nope }"}),
        "GET refused": await http.get("/graphql", params={"query": "mutation { logout { ok } }"}),
    }
    for name, response in responses.items():
        assert response.headers["cache-control"] == PRIVATE, name
        assert "etag" not in response.headers, name
    assert responses["mutation"].json()["data"]["logout"]["ok"] is True


async def test_cache_control_is_configurable(demo_db: Database) -> None:
    policy = "public, max-age=60, stale-while-revalidate=30"
    async for client in serve(demo_db, cache_control=policy):
        response = await client.http.get("/graphql", params=QUERY)
        assert response.headers["cache-control"] == policy
        private = await client.http.post("/graphql", json=QUERY)
        assert private.headers["cache-control"] == PRIVATE
