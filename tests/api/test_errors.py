"""Bad requests get a clear error with a code; nothing internal ever reaches the client."""

from typing import Any

import pytest

from resolvers import posts
from tests.api.conftest import GraphQLClient


async def test_syntax_errors_have_a_parse_code(client: GraphQLClient) -> None:
    body = await client.post("{ posts { ")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_unknown_fields_are_validation_errors(client: GraphQLClient) -> None:
    error = await client.error("{ posts { nodes { password } } }")
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_variable_of_the_wrong_type_is_bad_user_input(client: GraphQLClient) -> None:
    error = await client.error("query($n: Int) { posts(first: $n) { nodes { id } } }", {"n": "ten"})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unexpected_failures_are_masked_and_carry_no_internals(
    client: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("SELECT secret FROM posts; password=hunter2")

    monkeypatch.setattr(posts, "get_post", broken)
    response = await client.http.post("/graphql", json={"query": '{ post(slug: "x") { id } }'})
    assert response.status_code == 200
    body = response.json()
    assert body["errors"][0]["message"] == "Internal server error."
    assert body["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": response.headers["x-request-id"],
    }
    assert "secret" not in response.text and "Traceback" not in response.text
