"""Single lookups by slug and global ID, nested fields, and the author and tag lists."""

from typing import Any

import pytest

from tests.api.conftest import GraphQLClient
from tests.api.reader import all_visible_posts, db_id, global_id

POST_PAGE = """
query($slug: String!) {
  post(slug: $slug) {
    id slug title html readingTime includesCode level language
    authors { slug } primaryAuthor { slug } tags { slug } primaryTag { slug }
    translations { slug language translations { slug } }
  }
}
"""


async def test_post_by_slug_has_authors_tags_and_its_translations(client: GraphQLClient) -> None:
    everything = await all_visible_posts(client)
    spanish = next(post for post in everything if post["language"] == "es")
    data = await client.data(POST_PAGE, {"slug": spanish["slug"]})
    post = data["post"]
    assert post["slug"] == spanish["slug"]
    assert post["primaryAuthor"] == post["authors"][0]
    assert post["primaryTag"] == post["tags"][0]
    english = [t for t in post["translations"] if t["language"] == "en"]
    assert len(english) == 1
    assert {"slug": spanish["slug"]} in english[0]["translations"]
    assert post["html"].startswith("<")


async def test_post_by_id_and_node_return_the_same_post(client: GraphQLClient) -> None:
    first = (await client.data("{ posts(first: 1) { nodes { id slug } } }"))["posts"]["nodes"][0]
    data = await client.data(
        "query($id: ID!) { post(id: $id) { slug } node(id: $id) { id ... on Post { slug } } }",
        {"id": first["id"]},
    )
    assert data == {
        "post": {"slug": first["slug"]},
        "node": {"id": first["id"], "slug": first["slug"]},
    }


async def test_nodes_returns_mixed_types_in_order_with_null_for_missing(
    client: GraphQLClient,
) -> None:
    author = (await client.data("{ authors(first: 1) { nodes { id name } } }"))["authors"]["nodes"][
        0
    ]
    tag = (await client.data("{ tags(first: 1) { nodes { id name } } }"))["tags"]["nodes"][0]
    missing = global_id("Post", 999_999)
    data = await client.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
        {"ids": [tag["id"], missing, author["id"]]},
    )
    assert data["nodes"] == [
        {"__typename": "Tag", "id": tag["id"]},
        None,
        {"__typename": "Author", "id": author["id"]},
    ]


async def test_a_malformed_id_among_nodes_is_null_with_an_error_at_its_position(
    client: GraphQLClient,
) -> None:
    tag = (await client.data("{ tags(first: 1) { nodes { id } } }"))["tags"]["nodes"][0]
    body = await client.post(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [tag["id"], "not-an-id"]}
    )
    assert body["data"] == {"nodes": [{"id": tag["id"]}, None]}
    (error,) = body["errors"]
    assert error["path"] == ["nodes", 1]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "`ids` is not a valid ID: 'not-an-id'."


async def test_missing_slug_is_null_not_an_error(client: GraphQLClient) -> None:
    data = await client.data(
        '{ post(slug: "nope") { id } author(slug: "nope") { id } tag(slug: "nope") { id } }'
    )
    assert data == {"post": None, "author": None, "tag": None}


async def test_author_page_lists_only_their_posts_and_counts_them(client: GraphQLClient) -> None:
    everything = await all_visible_posts(client)
    top = await client.data(
        "{ authors(first: 1, orderBy: { field: POST_COUNT }) { nodes { slug postCount } } }"
    )
    author = top["authors"]["nodes"][0]
    expected = [p["id"] for p in everything if author["slug"] in {a["slug"] for a in p["authors"]}]
    data = await client.data(
        "query($slug: String!) { author(slug: $slug) { postCount "
        "posts(first: 100) { totalCount nodes { id } } } }",
        {"slug": author["slug"]},
    )
    assert [n["id"] for n in data["author"]["posts"]["nodes"]] == expected
    assert data["author"]["postCount"] == data["author"]["posts"]["totalCount"] == len(expected)
    assert author["postCount"] == len(expected)


async def test_tag_page_lists_only_its_posts(client: GraphQLClient) -> None:
    everything = await all_visible_posts(client)
    slug = everything[0]["tags"][0]["slug"]
    data = await client.data(
        "query($slug: String!) { tag(slug: $slug) { postCount "
        "posts(first: 100) { nodes { id } } } }",
        {"slug": slug},
    )
    expected = [p["id"] for p in everything if slug in {t["slug"] for t in p["tags"]}]
    assert [n["id"] for n in data["tag"]["posts"]["nodes"]] == expected
    assert data["tag"]["postCount"] == len(expected)


async def test_authors_order_by_post_count_then_id(client: GraphQLClient) -> None:
    data = await client.data(
        "{ authors(first: 100, orderBy: { field: POST_COUNT }) { nodes { id postCount } } }"
    )
    keys = [(-n["postCount"], -db_id(n["id"])) for n in data["authors"]["nodes"]]
    assert keys == sorted(keys)


async def test_authors_filter_by_name_and_published_posts(client: GraphQLClient) -> None:
    every = (await client.data("{ authors(first: 100) { nodes { name postCount } } }"))["authors"][
        "nodes"
    ]
    without = await client.data(
        "{ authors(first: 100, filter: { hasPublishedPosts: false }) { nodes { name } } }"
    )
    assert {a["name"] for a in without["authors"]["nodes"]} == {
        a["name"] for a in every if a["postCount"] == 0
    }
    assert without["authors"]["nodes"], "the demo blog has an author without posts"
    fragment = every[0]["name"][1:4].upper()
    by_name = await client.data(
        "query($n: String!) { authors(first: 100, filter: { name: $n }) { nodes { name } } }",
        {"n": fragment},
    )
    assert {a["name"] for a in by_name["authors"]["nodes"]} == {
        a["name"] for a in every if fragment.lower() in a["name"].lower()
    }


async def test_tags_page_backward_and_forward_alike(client: GraphQLClient) -> None:
    forward = (await client.data("{ tags(first: 100) { nodes { slug } } }"))["tags"]["nodes"]
    backward = (await client.data("{ tags(last: 100) { nodes { slug } } }"))["tags"]["nodes"]
    assert forward == backward and len(forward) >= 10


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{ post(id: "bm9wZQ==") { id } }', "not a valid ID"),
        ('{ post(id: "%%%") { id } }', "not a valid ID"),
        ('{ node(id: "Zm9vOjE=") { id } }', "not the ID of a Post, Author, Tag or Publication"),
        ("{ post { id } }", "exactly one of `id` or `slug`"),
        ('{ post(slug: "a", id: "UG9zdDox") { id } }', "exactly one of `id` or `slug`"),
    ],
)
async def test_bad_ids_and_lookups_are_clear_errors(
    client: GraphQLClient, query: str, message: str
) -> None:
    error = await client.error(query)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


async def test_an_author_id_given_to_post_is_refused(client: GraphQLClient) -> None:
    author = (await client.data("{ authors(first: 1) { nodes { id } } }"))["authors"]["nodes"][0]
    error = await client.error("query($id: ID!) { post(id: $id) { id } }", {"id": author["id"]})
    assert error["message"] == "`id` is not the ID of a Post."


async def test_too_many_node_ids_are_refused(client: GraphQLClient) -> None:
    ids: list[Any] = [global_id("Post", n) for n in range(101)]
    error = await client.error("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert "at most 100" in error["message"]
