"""A tag's and an author's pages walk their link tables in publish order (each link holds a copy
of its post's date, kept by the database's triggers: migration 0015). Whatever changes a post's
date (publishing, rescheduling, unpublishing, SQL outside the API) or its links, the pages list
exactly the live posts of that tag or author, newest first, through every cursor."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from app.demo import load_demo
from models import EditorRole, Post, PostAuthor, PostTag
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import Editor, make_editor
from tests.api.mutations import (
    CREATE_AUTHOR,
    CREATE_TAG,
    PUBLISH_POST,
    UNPUBLISH_POST,
    row_id,
    succeed,
    unique,
)
from tests.conftest import Database

CREATE = """mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id version } errors { field code message } } }"""
PAGE = """query($f: PostFilter, $after: String) {
  posts(first: 2, after: $after, filter: $f) {
    nodes { id publishedAt } pageInfo { hasNextPage endCursor }
  }
}"""
TAG_POSTS = """query($slug: String!, $after: String) {
  tag(slug: $slug) { posts(first: 2, after: $after) {
    nodes { id publishedAt } pageInfo { hasNextPage endCursor } } }
}"""
AUTHOR_POSTS = TAG_POSTS.replace("tag(slug", "author(slug")
BACKWARDS = """query($f: PostFilter, $before: String) {
  posts(last: 2, before: $before, filter: $f) {
    nodes { id } pageInfo { hasPreviousPage startCursor }
  }
}"""


async def _walk_back(client: GraphQLClient, filter_: dict[str, Any]) -> list[str]:
    """Every post id of a list, from its end through its cursors two at a time."""
    ids: list[str] = []
    before = None
    while True:
        connection = (await client.data(BACKWARDS, {"f": filter_, "before": before}))["posts"]
        ids = [node["id"] for node in connection["nodes"]] + ids
        if not connection["pageInfo"]["hasPreviousPage"]:
            return ids
        before = connection["pageInfo"]["startCursor"]


EVERYTHING = """query($after: String) {
  posts(first: 100, after: $after) {
    nodes { id publishedAt tags { slug } authors { slug } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture
async def blog(scratch_db: Database) -> AsyncIterator[GraphQLClient]:
    await load_demo(scratch_db.engine, posts=20, seed=3, now=datetime.now(UTC))
    async for client in serve(scratch_db):
        yield client


async def _walk(client: GraphQLClient, query: str, variables: dict[str, Any]) -> list[str]:
    """Every post id of a list, through its cursors two at a time."""
    ids, after = [], None
    while True:
        data = await client.data(query, {**variables, "after": after})
        connection = data["posts"] if "posts" in data else next(iter(data.values()))["posts"]
        ids += [node["id"] for node in connection["nodes"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return ids
        after = connection["pageInfo"]["endCursor"]


async def _expected(client: GraphQLClient, kind: str, slug: str) -> list[str]:
    """The live posts with that tag or author, newest first, from the whole home list."""
    found, after = [], None
    while True:
        page = (await client.data(EVERYTHING, {"after": after}))["posts"]
        found += [p for p in page["nodes"] if slug in {x["slug"] for x in p[kind]}]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return [p["id"] for p in found]


async def _assert_pages(client: GraphQLClient, tag: str, author: str) -> None:
    tagged, written = (
        await _expected(client, "tags", tag),
        await _expected(client, "authors", author),
    )
    assert tagged and written
    assert await _walk(client, PAGE, {"f": {"tags": {"anyOf": [tag]}}}) == tagged
    assert await _walk_back(client, {"tags": {"anyOf": [tag]}}) == tagged
    assert await _walk_back(client, {"authors": {"anyOf": [author]}}) == written
    assert await _walk(client, PAGE, {"f": {"tags": {"allOf": [tag]}}}) == tagged
    assert await _walk(client, TAG_POSTS, {"slug": tag}) == tagged
    assert await _walk(client, PAGE, {"f": {"authors": {"anyOf": [author]}}}) == written
    assert await _walk(client, AUTHOR_POSTS, {"slug": author}) == written
    # Another condition with the anchor's: the posts' own columns, checked on the join.
    english = {"tags": {"anyOf": [tag]}, "languages": ["en"]}
    assert await _walk(client, PAGE, {"f": english}) == tagged


async def test_pages_follow_every_change_of_dates_and_links(
    blog: GraphQLClient, scratch_db: Database
) -> None:
    admin: Editor = await make_editor(blog, scratch_db, EditorRole.ADMIN, "pages-admin")
    tag = (await succeed(admin, CREATE_TAG, {"input": {"name": unique("Pages")}}))["tag"]
    author = (await succeed(admin, CREATE_AUTHOR, {"input": {"name": unique("Writer")}}))["author"]
    slugs = await blog.data(
        "query($t: ID!, $a: ID!) { t: node(id: $t) { ... on Tag { slug } }"
        " a: node(id: $a) { ... on Author { slug } } }",
        {"t": tag["id"], "a": author["id"]},
    )
    tag_slug, author_slug = slugs["t"]["slug"], slugs["a"]["slug"]
    now = datetime.now(UTC).replace(microsecond=0)
    posts = []
    for days in (5, 1, 9, 3, 7, 3, 3):  # three on one date: their ids order them
        made = (
            await succeed(
                admin,
                CREATE,
                {
                    "input": {
                        "title": unique("Dated"),
                        "body": "Text.",
                        "tagIds": [tag["id"]],
                        "authorIds": [author["id"]],
                    }
                },
            )
        )["post"]
        at = (now - timedelta(days=days)).isoformat()
        posts.append((await succeed(admin, PUBLISH_POST, {**_v(made), "at": at}))["post"])
    await _assert_pages(blog, tag_slug, author_slug)

    # Unpublished, then published again at another date; one scheduled for later.
    unpublished = (await succeed(admin, UNPUBLISH_POST, _v(posts[0])))["post"]
    await _assert_pages(blog, tag_slug, author_slug)
    moved = (now - timedelta(days=20)).isoformat()
    await succeed(admin, PUBLISH_POST, {**_v(unpublished), "at": moved})
    await succeed(
        admin,
        PUBLISH_POST,
        {
            **_v((await succeed(admin, UNPUBLISH_POST, _v(posts[1])))["post"]),
            "at": (now + timedelta(days=2)).isoformat(),
        },
    )
    await _assert_pages(blog, tag_slug, author_slug)

    # SQL outside the API: a post's date changed, and a demo post linked to the tag and author.
    mine = {row_id(post["id"]) for post in posts}
    listed = (await blog.data("{ posts(first: 10) { nodes { id } } }"))["posts"]["nodes"]
    linked = next(row_id(node["id"]) for node in listed if row_id(node["id"]) not in mine)
    async with scratch_db.engine.begin() as connection:
        await connection.execute(
            update(Post)
            .where(Post.id == row_id(posts[2]["id"]))
            .values(published_at=now - timedelta(hours=1))
        )
        await connection.execute(
            insert(PostTag).values(post_id=linked, tag_id=row_id(tag["id"]), position=9)
        )
        await connection.execute(
            insert(PostAuthor).values(post_id=linked, author_id=row_id(author["id"]), position=9)
        )
    await _assert_pages(blog, tag_slug, author_slug)


def _v(post: dict[str, Any]) -> dict[str, Any]:
    return {"id": post["id"], "version": post["version"]}
