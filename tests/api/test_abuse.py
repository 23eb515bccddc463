"""The abuse suite: every kind of hostile request gets a fast, clear 4xx (or a GraphQL error
with a code), leaks nothing internal, and leaves the server answering the next reader."""

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.api.conftest import GraphQLClient
from tests.api.reader import all_visible_posts

INTERNALS = ("Traceback", 'File "', "sqlalchemy", "asyncpg", "sqlite3", "SELECT ", "site-packages")
NORMAL = {"query": "{ posts(first: 2) { nodes { title } } }"}


@dataclass(frozen=True)
class Hostile:
    name: str
    status: int
    code: str
    body: Any = None  # JSON-encoded unless bytes
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def _query(text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"query": text, "variables": variables or {}}


ALIAS_BOMB = "{ " + " ".join(f"a{i}: posts {{ totalCount }}" for i in range(200)) + " }"
DEPTH_BOMB = "{ posts { nodes { " + "translations { " * 20 + "title" + " }" * 20 + " } } }"
FRAGMENT_BOMB = (
    " ".join(
        ["fragment F0 on Post { authors { posts(first: 100) { nodes { title } } } }"]
        + [f"fragment F{i} on Post {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 25)]
    )
    + " { posts(first: 100) { nodes { ...F24 } } }"
)
HOSTILE = [
    Hostile("alias bomb", 200, "QUERY_TOO_COMPLEX", _query(ALIAS_BOMB)),
    Hostile("depth bomb", 200, "QUERY_TOO_COMPLEX", _query(DEPTH_BOMB)),
    Hostile("fragment bomb", 200, "QUERY_TOO_COMPLEX", _query(FRAGMENT_BOMB)),
    Hostile("brace bomb", 200, "QUERY_TOO_COMPLEX", _query("{" * 100_00 + "}" * 100_00)),
    Hostile("token flood", 200, "GRAPHQL_PARSE_FAILED", _query("{ " + "__typename " * 3000 + "}")),
    Hostile("huge page", 200, "BAD_USER_INPUT", _query("{ posts(first: 1000000) { totalCount } }")),
    Hostile("negative page", 200, "BAD_USER_INPUT", _query("{ posts(last: -1) { totalCount } }")),
    Hostile(
        "int overflow",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        _query("{ posts(first: 99999999999) { totalCount } }"),
    ),
    Hostile(
        "garbage cursor",
        200,
        "BAD_USER_INPUT",
        _query('{ posts(after: "\' OR 1=1 --") { totalCount } }'),
    ),
    Hostile("garbage id", 200, "BAD_USER_INPUT", _query('{ node(id: "../../etc/passwd") { id } }')),
    Hostile(
        "NUL in string",
        200,
        "BAD_USER_INPUT",
        _query("query($s: String) { post(slug: $s) { id } }", {"s": "a\x00"}),
    ),
    Hostile("unknown field", 200, "GRAPHQL_VALIDATION_FAILED", _query("{ posts { password } }")),
    Hostile("malformed JSON", 400, "BAD_REQUEST", b'{"query": '),
    Hostile("JSON array", 400, "BAD_REQUEST", b"[]"),
    Hostile("batch flood", 400, "BAD_REQUEST", [NORMAL] * 500),
    Hostile("invalid UTF-8", 400, "BAD_REQUEST", b'{"query": "\xc3\x28"}'),
    Hostile("oversized body", 413, "BAD_REQUEST", _query("{ __typename }" + " " * 300_000)),
    Hostile(
        "text/plain CSRF",
        415,
        "BAD_REQUEST",
        b'{"query": "{ __typename }"}',
        headers={"content-type": "text/plain"},
    ),
    Hostile(
        "form CSRF",
        415,
        "BAD_REQUEST",
        b"query=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    ),
    Hostile(
        "GET mutation",
        405,
        "BAD_REQUEST",
        method="GET",
        params={"query": "mutation { createPost }"},
    ),
    Hostile(
        "unauthenticated mutation",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        _query('mutation { deletePost(id: "UG9zdDox") }'),
    ),
    Hostile(
        "garbage variables over GET",
        400,
        "BAD_REQUEST",
        method="GET",
        params={"query": "{ __typename }", "variables": "{nope"},
    ),
]


def _ids(case: Hostile) -> str:
    return case.name


@pytest.mark.parametrize("case", HOSTILE, ids=_ids)
async def test_hostile_request_gets_a_clear_error_and_the_next_reader_is_served(
    client: GraphQLClient, case: Hostile
) -> None:
    headers = {"content-type": "application/json", **case.headers}
    if case.method == "GET":
        response = await client.http.get("/graphql", params=case.params)
    elif isinstance(case.body, bytes):
        response = await client.http.post("/graphql", content=case.body, headers=headers)
    else:
        response = await client.http.post("/graphql", json=case.body, headers=headers)

    assert response.status_code == case.status, response.text[:300]
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == case.code
    assert error["message"] and len(error["message"]) < 300
    for internal in INTERNALS:
        assert internal not in response.text

    after = await client.http.post("/graphql", json=NORMAL)
    assert after.status_code == 200
    assert len(after.json()["data"]["posts"]["nodes"]) == 2


@pytest.mark.parametrize(
    "text", ["%", "_", "\\", "%_%", "' OR '1'='1", "'; DROP TABLE posts; --", "😀", "15%"]
)
async def test_sql_and_like_wildcards_in_filter_text_match_literally(
    client: GraphQLClient, text: str
) -> None:
    everything = await all_visible_posts(client)
    expected = sum(
        any(text.lower() in (post[key] or "").lower() for key in ("title", "excerpt", "body"))
        for post in everything
    )
    body = await client.post(
        "query($f: PostFilter) { posts(filter: $f) { totalCount } }", {"f": {"text": text}}
    )
    assert "errors" not in body
    assert body["data"]["posts"]["totalCount"] == expected
    assert expected < len(everything)
