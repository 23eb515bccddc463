"""Drafts, scheduled posts and internal tags never reach an anonymous reader, on any path."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from models import Author, Post, PostAuthor, PostStatus, PostTag, Tag, TagVisibility
from tests.api.conftest import GraphQLClient
from tests.api.reader import db_id, global_id

NOW = datetime.now(UTC)


async def _seed(client: GraphQLClient) -> dict[str, int]:
    """One author and tag, a public and an internal tag, and one post of each visibility, all
    translations of each other, so every path has something it must hide."""
    rows = {
        "live": (PostStatus.PUBLISHED, NOW - timedelta(days=2), "en"),
        "draft": (PostStatus.DRAFT, None, "es"),
        "future": (PostStatus.SCHEDULED, NOW + timedelta(days=3), "fr"),
        "future_published": (PostStatus.PUBLISHED, NOW + timedelta(days=1), "de"),
        "due": (PostStatus.SCHEDULED, NOW - timedelta(minutes=5), "it"),
    }
    ids: dict[str, int] = {}
    async with client.engine.begin() as connection:
        ids["author"] = (
            await connection.execute(insert(Author).values(name="Ana", slug="ana"))
        ).inserted_primary_key[0]
        ids["public"] = (
            await connection.execute(
                insert(Tag).values(name="Web", slug="web", visibility=TagVisibility.PUBLIC)
            )
        ).inserted_primary_key[0]
        ids["internal"] = (
            await connection.execute(
                insert(Tag).values(name="Secret", slug="secret", visibility=TagVisibility.INTERNAL)
            )
        ).inserted_primary_key[0]
        for name, (status, when, language) in rows.items():
            result = await connection.execute(
                insert(Post).values(
                    title=f"{name} post",
                    slug=name.replace("_", "-"),
                    body="Hello.",
                    html="<p>Hello.</p>",
                    status=status,
                    published_at=when,
                    language=language,
                    translation_group="group-1",
                    reading_time=1,
                    includes_code=False,
                    featured=False,
                )
            )
            ids[name] = result.inserted_primary_key[0]
            await connection.execute(
                insert(PostAuthor).values(post_id=ids[name], author_id=ids["author"], position=0)
            )
            await connection.execute(
                insert(PostTag).values(post_id=ids[name], tag_id=ids["internal"], position=0)
            )
            await connection.execute(
                insert(PostTag).values(post_id=ids[name], tag_id=ids["public"], position=1)
            )
    return ids


HIDDEN = ["draft", "future", "future_published"]
VISIBLE = ["live", "due"]


@pytest.fixture
async def seeded(scratch_client: GraphQLClient) -> tuple[GraphQLClient, dict[str, int]]:
    return scratch_client, await _seed(scratch_client)


def _ids(nodes: list[dict[str, Any]]) -> set[int]:
    return {db_id(node["id"]) for node in nodes}


async def test_lists_counts_and_nested_connections_show_only_live_posts(seeded: Any) -> None:
    client, ids = seeded
    data = await client.data(
        """{
          posts { totalCount nodes { id } }
          author(slug: "ana") { postCount posts { totalCount nodes { id } } }
          tag(slug: "web") { postCount posts { totalCount nodes { id } } }
          authors { nodes { postCount } }
        }"""
    )
    expected = {ids[name] for name in VISIBLE}
    for connection in (data["posts"], data["author"]["posts"], data["tag"]["posts"]):
        assert _ids(connection["nodes"]) == expected
        assert connection["totalCount"] == len(expected)
    assert data["author"]["postCount"] == data["tag"]["postCount"] == len(expected)
    assert data["authors"]["nodes"] == [{"postCount": len(expected)}]


@pytest.mark.parametrize("name", HIDDEN)
async def test_hidden_posts_are_null_by_slug_id_and_node(seeded: Any, name: str) -> None:
    client, ids = seeded
    post_id = global_id("Post", ids[name])
    data = await client.data(
        "query($slug: String!, $id: ID!) { bySlug: post(slug: $slug) { id } "
        "byId: post(id: $id) { id } "
        "node(id: $id) { id } nodes(ids: [$id]) { id } }",
        {"slug": name.replace("_", "-"), "id": post_id},
    )
    assert data == {"bySlug": None, "byId": None, "node": None, "nodes": [None]}


async def test_translations_list_only_live_versions(seeded: Any) -> None:
    client, ids = seeded
    data = await client.data('{ post(slug: "live") { translations { id language } } }')
    assert _ids(data["post"]["translations"]) == {ids["due"]}


async def test_facets_count_only_live_posts_and_public_tags(seeded: Any) -> None:
    client, _ = seeded
    data = await client.data(
        "{ posts { facets { languages { language count } tags { tag { slug } count } "
        "authors { author { slug } count } } } }"
    )
    facets = data["posts"]["facets"]
    assert sorted((f["language"], f["count"]) for f in facets["languages"]) == [
        ("en", 1),
        ("it", 1),
    ]
    assert facets["tags"] == [{"tag": {"slug": "web"}, "count": 2}]
    assert facets["authors"] == [{"author": {"slug": "ana"}, "count": 2}]


async def test_internal_tags_are_invisible_everywhere(seeded: Any) -> None:
    client, ids = seeded
    data = await client.data(
        'query($id: ID!) { tag(slug: "secret") { id } node(id: $id) { id } '
        "tags { totalCount nodes { slug } } "
        'post(slug: "live") { tags { slug } primaryTag { slug } } }',
        {"id": global_id("Tag", ids["internal"])},
    )
    assert data["tag"] is None and data["node"] is None
    assert data["tags"] == {"totalCount": 1, "nodes": [{"slug": "web"}]}
    assert data["post"]["tags"] == [{"slug": "web"}]
    assert data["post"]["primaryTag"] == {"slug": "web"}


async def test_filtering_by_an_internal_tag_is_an_unknown_tag_error(seeded: Any) -> None:
    client, _ = seeded
    error = await client.error(
        '{ posts(filter: { tags: { anyOf: ["secret"] } }) { nodes { id } } }'
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] == "Unknown tag slug: secret."
