"""Hostile or malformed input is the client's error (4xx or BAD_USER_INPUT), never a 500 or a
masked internal error. Found by review: each case once reached the database driver."""

from base64 import b64encode
from typing import Any

import pytest

from tests.api.conftest import GraphQLClient

POSTS = "query($f: PostFilter) { posts(filter: $f) { totalCount } }"


def _raw_id(text: str) -> str:
    return b64encode(text.encode()).decode()


@pytest.mark.parametrize("body", [b"null", b'"query"', b"5", b"true", b"[]", b"\xff\xfe{}"])
async def test_a_body_that_is_not_a_json_object_is_a_400(
    client: GraphQLClient, body: bytes
) -> None:
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "Traceback" not in response.text


@pytest.mark.parametrize("row_id", ["3000000000", "9223372036854775808", "0", "-1", "1e3"])
async def test_ids_outside_the_id_range_are_bad_user_input(
    client: GraphQLClient, row_id: str
) -> None:
    error = await client.error(
        "query($id: ID!) { node(id: $id) { id } }", {"id": _raw_id(f"Post:{row_id}")}
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('{ post(slug: "a\\u0000b") { id } }', {}),
        ("query($s: String) { post(slug: $s) { id } }", {"s": "a\x00b"}),
        (POSTS, {"f": {"text": "a\x00b"}}),
        (POSTS, {"f": {"tags": {"anyOf": ["web\x00"]}}}),
        ("query($n: String) { authors(filter: { name: $n }) { totalCount } }", {"n": "\x00"}),
    ],
)
async def test_nul_and_unpaired_surrogates_are_bad_user_input(
    client: GraphQLClient, query: str, variables: dict[str, Any]
) -> None:
    error = await client.error(query, variables)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "without NUL" in error["message"]


async def test_an_unpaired_surrogate_escaped_in_json_is_refused_as_invalid_json(
    client: GraphQLClient,
) -> None:
    body = '{"query": "query($s: String) { post(slug: $s) { id } }", "variables": {"s": "\\ud800"}}'
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("filter_", "message"),
    [
        ({"publishedAt": {"from": "0001-01-01T00:00:00+14:00"}}, "between the years 1 and 9999"),
        ({"publishedAt": {"to": "9999-12-31T23:59:59-14:00"}}, "between the years 1 and 9999"),
        ({"or": [{"featured": True}] * 1100}, "at most 200 values"),
        ({"and": [{"text": "a"}] * 60}, "at most 50 conditions"),
        ({"or": [{"languages": ["en"] * 100}] * 3}, "at most 200 values"),
        ({"or": []}, "`or` needs at least one value"),
        ({"levels": []}, "`levels` needs at least one value"),
        ({"tags": {"anyOf": []}}, "`tags.anyOf` needs at least one value"),
        ({"tags": {}}, "`tags` needs `anyOf` or `allOf`"),
    ],
)
async def test_out_of_range_empty_or_oversized_filters_are_refused(
    client: GraphQLClient, filter_: dict[str, Any], message: str
) -> None:
    error = await client.error(POSTS, {"f": filter_})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]
