"""Query limits are checked before execution, with a clear error and QUERY_TOO_COMPLEX."""

import asyncio

import pytest

from tests.api.conftest import GraphQLClient


async def test_the_cost_of_an_accepted_query_is_reported(client: GraphQLClient) -> None:
    body = await client.post("{ posts(first: 10) { nodes { title authors { name } } } }")
    # 10 posts x (the nodes list + each post's authors list) + the connection itself
    assert body["extensions"]["cost"] == {"requested": 10 * (1 + 1 + 1), "limit": 5000}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "{ " + " ".join(f"a{i}: posts(first: 1) {{ totalCount }}" for i in range(31)) + " }",
            "aliases",
        ),
        (
            "{ authors(first: 100) { nodes { posts(first: 100) { nodes { title } } } } }",
            "Query cost 20200 exceeds the limit of 5000",
        ),
        (
            "{ posts(first: 1) { nodes { translations { translations { translations { translations "
            "{ translations { translations { translations { translations { translations "
            "{ translations { translations { title } } } } } } } } } } } } } }",
            "Query depth",
        ),
        (
            "{ " + " ".join(f"f{i}: tags(first: 1) {{ totalCount }}" for i in range(12)) + " }",
            "root fields",
        ),
    ],
)
async def test_queries_over_a_limit_are_refused_before_running(
    client: GraphQLClient,
    count_statements,  # type: ignore[no-untyped-def]
    query: str,
    message: str,
) -> None:
    counter = count_statements(client)
    body = await client.post(query)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert message in body["errors"][0]["message"]
    assert counter.count == 0


async def test_a_fragment_bomb_is_costed_without_expanding_it(client: GraphQLClient) -> None:
    fragments = ["fragment F0 on Post { title }"]
    for level in range(1, 30):
        fragments.append(f"fragment F{level} on Post {{ ...F{level - 1} ...F{level - 1} }}")
    query = " ".join(fragments) + " { posts(first: 1) { nodes { ...F29 } } }"
    body = await client.post(query)
    assert "errors" not in body, body
    assert body["extensions"]["cost"]["requested"] == 2


async def test_cyclic_fragments_are_a_validation_error(client: GraphQLClient) -> None:
    query = "fragment A on Post { ...B } fragment B on Post { ...A } { posts { nodes { ...A } } }"
    error = (await client.post(query))["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_deeply_nested_braces_are_refused_without_recursion(client: GraphQLClient) -> None:
    query = "{" * 5000 + "}" * 5000
    body = await client.post(query)
    assert body["errors"][0]["extensions"]["code"] in {"GRAPHQL_PARSE_FAILED", "QUERY_TOO_COMPLEX"}


async def test_an_overloaded_directive_gets_one_error_not_one_per_repetition(
    client: GraphQLClient,
) -> None:
    repeated = " ".join("@include(if: true)" for _ in range(100))
    body = await client.post(f"{{ posts(first: 1) {repeated} {{ nodes {{ title }} }} }}")
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]
    assert "100 directives" in body["errors"][0]["message"]
    fine = " ".join("@include(if: true)" for _ in range(3))
    body = await client.post(f"{{ a: posts(first: 1) {fine} {{ nodes {{ title }} }} }}")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"  # repeated
    assert len(body["errors"]) == 2


async def test_a_document_with_too_many_tokens_is_refused(client: GraphQLClient) -> None:
    query = "{ " + " ".join("__typename" for _ in range(2500)) + " }"
    error = (await client.post(query))["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "tokens" in error["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "{ __schema { " + " ".join(f"a{i}: types {{ name }}" for i in range(3)) + " } }",
            "Aliases",
        ),
        ("{ __schema { queryType { name } } s2: __schema { types { name } } }", "at most once"),
        (
            "{ __schema { types { fields { type { "
            + "ofType { " * 14
            + "name"
            + " }" * 14
            + " } } } } }",
            "Introspection may nest",
        ),
    ],
)
async def test_introspection_cannot_be_used_to_bypass_the_limits(
    client: GraphQLClient, query: str, message: str
) -> None:
    error = (await client.post(query))["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert message in error["message"]


async def test_the_full_introspection_query_graphiql_sends_is_accepted(
    client: GraphQLClient,
) -> None:
    from graphql import get_introspection_query

    query = get_introspection_query(descriptions=True, input_value_deprecation=True)
    body = await client.post(query)
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_a_page_size_from_a_variable_default_is_costed(client: GraphQLClient) -> None:
    query = (
        "query($n: Int = 100) { posts(first: $n) { nodes { authors "
        "{ posts(first: $n) { nodes { id } } } } } }"
    )
    error = (await client.post(query))["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_variables_nested_hundreds_deep_are_refused_cleanly(client: GraphQLClient) -> None:
    body = '{"query": "{ __typename }", "variables": {"x": ' + "[" * 500 + "]" * 500 + "}}"
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "recursion" not in error["message"]


async def test_a_fragment_bomb_around_bylines_is_answered_without_expanding_it(
    client: GraphQLClient,
) -> None:
    # The page looks ahead for `authors` to fetch bylines with it: that lookahead must not
    # expand the fragments either (2^29 copies would exhaust the worker's memory).
    fragments = ["fragment F0 on Post { title }"]
    for level in range(1, 30):
        fragments.append(f"fragment F{level} on Post {{ ...F{level - 1} ...F{level - 1} }}")
    query = (
        " ".join(fragments) + " { posts(first: 2) { edges { node { ...F29 authors { name } } } } }"
    )
    body = await asyncio.wait_for(client.post(query), timeout=10)
    assert "errors" not in body, body
    assert all(edge["node"]["authors"] for edge in body["data"]["posts"]["edges"])
