"""GraphQL over HTTP: media types, status codes and request errors, as the specification and a
careful client expect them."""

from typing import Any

import pytest

from tests.api.conftest import GraphQLClient

GQL = "application/graphql-response+json"
QUERY = "{ posts(first: 1) { totalCount } }"


async def _post(client: GraphQLClient, body: Any, **headers: str) -> Any:
    headers = {"content-type": "application/json", **headers}
    if isinstance(body, bytes | str):
        return await client.http.post("/graphql", content=body, headers=headers)
    return await client.http.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json"),
        ("application/json", "application/json"),
        (GQL, GQL),
        (f"{GQL}, application/json;q=0.9", GQL),
        (f"application/json, {GQL};q=0.5", "application/json"),
        ("*/*", "application/json"),
    ],
)
async def test_the_response_uses_the_negotiated_media_type(
    client: GraphQLClient, accept: str | None, media_type: str
) -> None:
    headers = {"accept": accept} if accept else {}
    response = await _post(client, {"query": QUERY}, **headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.json()["data"]["posts"]["totalCount"] > 0


async def test_an_unacceptable_accept_header_is_406(client: GraphQLClient) -> None:
    response = await _post(client, {"query": QUERY}, accept="text/xml")
    assert response.status_code == 406


@pytest.mark.parametrize(
    ("query", "code"),
    [("{ posts { ", "GRAPHQL_PARSE_FAILED"), ("{ nope }", "GRAPHQL_VALIDATION_FAILED")],
)
async def test_requests_that_cannot_run_are_400_under_the_graphql_media_type(
    client: GraphQLClient, query: str, code: str
) -> None:
    strict = await _post(client, {"query": query}, accept=GQL)
    assert strict.status_code == 400
    assert "data" not in strict.json()
    assert strict.json()["errors"][0]["extensions"]["code"] == code
    legacy = await _post(client, {"query": query}, accept="application/json")
    assert legacy.status_code == 200
    assert legacy.json()["errors"][0]["extensions"]["code"] == code


async def test_a_field_error_keeps_200_and_partial_data(client: GraphQLClient) -> None:
    response = await _post(
        client, {"query": '{ posts(first: 1) { totalCount } post(id: "x") { id } }'}, accept=GQL
    )
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["posts"]["totalCount"] > 0 and body["data"]["post"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_mutation_over_get_is_405(client: GraphQLClient) -> None:
    response = await client.http.get("/graphql", params={"query": "mutation { x }"})
    assert response.status_code == 405
    assert "POST" in response.json()["errors"][0]["message"]


async def test_queries_over_get_take_json_variables(client: GraphQLClient) -> None:
    response = await client.http.get(
        "/graphql",
        params={
            "query": "query($n: Int) { posts(first: $n) { nodes { id } } }",
            "variables": '{"n": 2}',
        },
    )
    assert response.status_code == 200
    assert len(response.json()["data"]["posts"]["nodes"]) == 2


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"query": "{ __typename }"}'),
        ("application/x-www-form-urlencoded", "query=%7B__typename%7D"),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{ __typename }\r\n--x--',
        ),
        ("", '{"query": "{ __typename }"}'),
    ],
)
async def test_bodies_a_cross_site_form_could_send_are_refused(
    client: GraphQLClient, content_type: str, body: str
) -> None:
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": content_type}
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        (b"[1, 2]", "Batched operations are not supported"),
        (b'[{"query": "{ __typename }"}]', "Batched operations are not supported"),
        (b'"{ __typename }"', "must be a JSON object"),
        (b"{}", "needs a `query` string"),
        (b'{"query": 5}', "needs a `query` string"),
        (b'{"query": "{ __typename }", "variables": [1]}', "`variables` must be a JSON object"),
        (b'{"query": "{ __typename }", "operationName": 3}', "`operationName` must be a string"),
    ],
)
async def test_malformed_bodies_get_a_clear_400(
    client: GraphQLClient, body: bytes, message: str
) -> None:
    response = await _post(client, body)
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


async def test_an_oversized_body_is_413(client: GraphQLClient) -> None:
    padding = " " * 200_000
    response = await _post(client, {"query": "{ __typename }" + padding})
    assert response.status_code == 413


async def test_an_unknown_operation_name_is_400(client: GraphQLClient) -> None:
    response = await _post(client, {"query": "query A { __typename }", "operationName": "B"})
    assert response.status_code == 400
    assert 'Unknown operation named "B"' in response.json()["errors"][0]["message"]


async def test_every_response_carries_a_request_id_and_security_headers(
    client: GraphQLClient,
) -> None:
    response = await _post(client, {"query": QUERY}, **{"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    other = await _post(client, {"query": QUERY}, **{"x-request-id": "bad id with spaces"})
    assert len(other.headers["x-request-id"]) == 32


async def test_a_subscription_over_post_is_pointed_to_the_websocket_not_a_405(
    client: GraphQLClient,
) -> None:
    response = await _post(client, {"query": "subscription { __typename }"}, accept=GQL)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "WebSocket" in error["message"]


async def test_several_operations_without_an_operation_name_are_refused(
    client: GraphQLClient,
) -> None:
    query = "query A { posts { totalCount } } query B { tags { totalCount } }"
    response = await _post(client, {"query": query}, accept=GQL)
    assert response.status_code == 400
    assert "operationName" in response.json()["errors"][0]["message"]
    named = await _post(client, {"query": query, "operationName": "B"}, accept=GQL)
    assert named.json()["data"]["tags"]["totalCount"] > 0


async def test_when_execution_nulls_the_result_data_stays_null_with_200(
    client: GraphQLClient,
) -> None:
    # `posts` is non-null, so its field error nulls the whole result after execution began.
    response = await _post(client, {"query": "{ posts(first: 0) { totalCount } }"}, accept=GQL)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["posts"]


async def test_head_requests_are_answered_like_get(client: GraphQLClient) -> None:
    response = await client.http.head("/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 200
