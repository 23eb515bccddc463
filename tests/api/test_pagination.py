"""Relay cursor pagination over the posts list, as a frontend pages through it."""

from typing import Any

import pytest

from tests.api.conftest import GraphQLClient
from tests.api.reader import all_visible_posts, db_id, visible_post_ids_from_sql

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $order: PostOrder) {
  posts(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    edges { cursor node { id title publishedAt updatedAt readingTime } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

ORDERS = [
    None,
    {"field": "PUBLISHED_AT", "direction": "ASC"},
    {"field": "UPDATED_AT"},
    {"field": "TITLE"},
    {"field": "TITLE", "direction": "DESC"},
    {"field": "READING_TIME"},
    {"field": "READING_TIME", "direction": "DESC"},
]


async def page_forward(client: GraphQLClient, size: int, order: Any = None) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await client.data(PAGE, {"first": size, "after": after, "order": order}))["posts"]
        nodes.extend(edge["node"] for edge in page["edges"])
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]


async def page_backward(
    client: GraphQLClient, size: int, order: Any = None
) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    before = None
    while True:
        page = (await client.data(PAGE, {"last": size, "before": before, "order": order}))["posts"]
        nodes[:0] = [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasPreviousPage"]:
            return nodes
        before = page["pageInfo"]["startCursor"]


async def test_paging_forward_returns_every_visible_post_once_newest_first(
    client: GraphQLClient,
) -> None:
    nodes = await page_forward(client, 7)
    ids = [db_id(node["id"]) for node in nodes]
    assert len(ids) == len(set(ids))
    assert set(ids) == await visible_post_ids_from_sql(client.engine)
    keys = [(node["publishedAt"], db_id(node["id"])) for node in nodes]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize("order", ORDERS)
async def test_every_ordering_pages_forward_and_backward_to_the_same_total_order(
    client: GraphQLClient, order: Any
) -> None:
    whole = [node["id"] for node in await all_visible_posts_in(client, order)]
    assert [n["id"] for n in await page_forward(client, 6, order)] == whole
    assert [n["id"] for n in await page_backward(client, 6, order)] == whole


async def all_visible_posts_in(client: GraphQLClient, order: Any) -> list[dict[str, Any]]:
    return await page_forward(client, 100, order)


@pytest.mark.parametrize(
    ("order", "key"),
    [
        ({"field": "READING_TIME"}, "readingTime"),
        ({"field": "PUBLISHED_AT", "direction": "ASC"}, "publishedAt"),
    ],
)
async def test_ties_are_broken_by_id_in_the_direction_of_the_sort(
    client: GraphQLClient, order: Any, key: str
) -> None:
    nodes = await page_forward(client, 5, order)
    pairs = [(node[key], db_id(node["id"])) for node in nodes]
    assert pairs == sorted(pairs)
    assert len({node[key] for node in nodes}) < len(nodes) or key == "publishedAt"


async def test_default_page_is_twenty_posts(client: GraphQLClient) -> None:
    page = (await client.data("{ posts { nodes { id } pageInfo { hasNextPage } } }"))["posts"]
    assert len(page["nodes"]) == 20
    assert page["pageInfo"]["hasNextPage"] is True


async def test_total_count_counts_every_visible_post(client: GraphQLClient) -> None:
    data = await client.data("{ posts(first: 1) { totalCount } }")
    assert data["posts"]["totalCount"] == len(await visible_post_ids_from_sql(client.engine))
    assert data["posts"]["totalCount"] == len(await all_visible_posts(client))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("first: 101", "between 1 and 100"),
        ("first: 0", "between 1 and 100"),
        ("first: -5", "between 1 and 100"),
        ("last: 500", "between 1 and 100"),
        ("first: 2, last: 2", "not both"),
    ],
)
async def test_page_sizes_out_of_range_are_errors_not_clamped(
    client: GraphQLClient, arguments: str, message: str
) -> None:
    error = await client.error(f"{{ posts({arguments}) {{ nodes {{ id }} }} }}")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


async def test_a_cursor_reused_with_another_ordering_is_refused(client: GraphQLClient) -> None:
    page = (await client.data(PAGE, {"first": 2}))["posts"]
    error = await client.error(
        PAGE, {"first": 2, "after": page["pageInfo"]["endCursor"], "order": {"field": "TITLE"}}
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "different ordering or filter" in error["message"]


async def test_a_cursor_reused_with_another_filter_is_refused(client: GraphQLClient) -> None:
    query = (
        "query($after: String, $f: PostFilter) "
        "{ posts(first: 2, after: $after, filter: $f) { pageInfo { endCursor } } }"
    )
    cursor = (await client.data(query, {"f": {"featured": False}}))["posts"]["pageInfo"][
        "endCursor"
    ]
    error = await client.error(query, {"after": cursor, "f": {"featured": True}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-2] + ("AA" if c[-2:] != "AA" else "BB"),
        lambda c: "x" + c,
        lambda c: "not-a-cursor",
    ],
)
async def test_a_tampered_cursor_is_refused(client: GraphQLClient, tamper: Any) -> None:
    cursor = (await client.data(PAGE, {"first": 2}))["posts"]["pageInfo"]["endCursor"]
    error = await client.error(PAGE, {"first": 2, "after": tamper(cursor)})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "`after` is not a valid cursor."
    assert error["path"] == ["posts"]


async def test_a_window_between_two_cursors_knows_what_lies_on_both_sides(
    client: GraphQLClient,
) -> None:
    edges = (await client.data(PAGE, {"first": 10}))["posts"]["edges"]
    window = """
    query($after: String, $before: String, $first: Int, $last: Int) {
      posts(after: $after, before: $before, first: $first, last: $last) {
        nodes { id } pageInfo { hasNextPage hasPreviousPage }
      }
    }"""
    between = {"after": edges[2]["cursor"], "before": edges[6]["cursor"]}
    for size in ({"first": 10}, {"last": 10}, {}):
        page = (await client.data(window, {**between, **size}))["posts"]
        assert [n["id"] for n in page["nodes"]] == [e["node"]["id"] for e in edges[3:6]]
        assert page["pageInfo"] == {"hasNextPage": True, "hasPreviousPage": True}, size
