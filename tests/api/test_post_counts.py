"""The maintained counts (resolvers.post_counts) equal a recount after any sequence of writes
through the API, answer the filter menus exactly as counting the posts does, step aside while a
scheduled post's instant has come uncounted, and are rebuilt by `quire db rebuild` after writes
that bypass the API."""

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text, update
from typer.testing import CliRunner

from app.cli import cli
from app.database import create_session_factory
from app.demo import load_demo
from app.settings import get_settings
from models import EditorRole, Post, PostStatus, PostTag
from resolvers import post_counts, schedule
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import Editor, make_editor
from tests.api.mutations import (
    CREATE_PUBLICATION,
    CREATE_TAG,
    DELETE_AUTHOR,
    DELETE_POST,
    DELETE_TAG,
    MERGE_TAGS,
    PUBLISH_POST,
    UNPUBLISH_POST,
    UPDATE_POST,
    succeed,
    unique,
)
from tests.clock import Clock
from tests.conftest import Database

CREATE = """mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id version } errors { field code message } } }"""
CONTENT = """{
  posts(first: 100, filter: {status: [DRAFT, SCHEDULED, PUBLISHED]}) {
    nodes { id version status }
  }
  tags(first: 100) { nodes { id slug version } }
  authors(first: 100) { nodes { id slug version } }
  publications { id slug }
}"""
FACETS = """query($f: PostFilter, $d: Boolean) {
  posts(first: 1, filter: $f) {
    totalCount
    facets(disjunctive: $d) {
      levels { level count }
      languages { language count }
      includesCode { includesCode count }
      tags { tag { slug } count }
      authors { author { slug } count }
      publications { publication { slug } count }
    }
  }
}"""
TAG_PAGE = """query($slug: String!, $f: PostFilter) {
  tag(slug: $slug) { posts(first: 1, filter: $f) { totalCount facets { levels { level count }
    tags { tag { slug } count } authors { author { slug } count } } } }
}"""
LIVE = {"publishedAt": {"from": "1970-01-01T00:00:00Z"}}
"""A condition every live post meets that the counts do not answer: the posts are counted."""
CODE = "Some text.\n\n```python\nprint(1)\n```\n"
LEVELS = ["BEGINNER", "INTERMEDIATE", "ADVANCED", None]


@pytest.fixture
async def blog(scratch_db: Database) -> AsyncIterator[GraphQLClient]:
    await load_demo(scratch_db.engine, posts=30, seed=5, now=datetime.now(UTC))
    async for client in serve(scratch_db):
        yield client


async def _admin(client: GraphQLClient, database: Database) -> Editor:
    return await make_editor(client, database, EditorRole.ADMIN, unique("admin").split()[1])


async def _counts(database: Database) -> tuple[dict[Any, int], dict[Any, int]]:
    async with database.engine.connect() as connection:
        stored = await connection.run_sync(post_counts.stored_on)
        recounted = await connection.run_sync(post_counts.recount_on)
    return stored, recounted


def _menus(answer: dict[str, Any]) -> dict[str, Any]:
    """A facets answer as comparable sets (the order of ties is not the point here)."""
    posts = answer["posts"] if "posts" in answer else answer["tag"]["posts"]
    menus: dict[str, Any] = {"total": posts["totalCount"]}
    for name, values in posts["facets"].items():
        menus[name] = sorted(repr(sorted(entry.items())) for entry in values)
    return menus


async def _filters(client: GraphQLClient) -> list[dict[str, Any] | None]:
    """No condition and one condition on each dimension, with values that exist."""
    content = await client.data(
        CONTENT.replace(", filter: {status: [DRAFT, SCHEDULED, PUBLISHED]}", "")
    )
    tag = content["tags"]["nodes"][0]["slug"]
    author = content["authors"]["nodes"][-1]["slug"]
    filters: list[dict[str, Any] | None] = [
        None,
        {"levels": ["BEGINNER"]},
        {"levels": ["INTERMEDIATE", "ADVANCED"]},
        {"languages": ["es"]},
        {"includesCode": True},
        {"tags": {"anyOf": [tag]}},
        {"tags": {"allOf": [tag]}},
        {"authors": {"anyOf": [author]}},
        {"status": ["PUBLISHED"], "includesCode": False},
        # Several conditions: the cells answer the totals, levels, languages and code.
        {"levels": ["BEGINNER", "ADVANCED"], "tags": {"anyOf": [tag]}},
        {"languages": ["en"], "includesCode": True, "authors": {"anyOf": [author]}},
        {"tags": {"anyOf": [tag]}, "authors": {"anyOf": [author]}},
    ]
    if content["publications"]:
        filters.append({"publications": [p["slug"] for p in content["publications"]]})
    return filters


NAMED = """{
  tags(first: 100, orderBy: {field: POST_COUNT}) { nodes { slug postCount } }
  authors(first: 100, orderBy: {field: POST_COUNT}) { nodes { slug postCount } }
}"""


async def _assert_post_counts_match_the_posts(client: GraphQLClient) -> None:
    """Tags' and authors' postCount, and their order by it, as counting the posts gives."""
    named = await client.data(NAMED)
    live = (await client.data(FACETS, {"f": LIVE, "d": False}))["posts"]["facets"]
    for kind, facet in (("tags", "tag"), ("authors", "author")):
        nodes = named[kind]["nodes"]
        counted = {node["slug"]: node["postCount"] for node in nodes if node["postCount"]}
        assert counted == {entry[facet]["slug"]: entry["count"] for entry in live[kind]}, kind
        descending = [node["postCount"] for node in nodes]
        assert descending == sorted(descending, reverse=True), kind


async def _assert_menus_match_the_posts(client: GraphQLClient) -> None:
    await _assert_post_counts_match_the_posts(client)
    for filter_ in await _filters(client):
        for disjunctive in (False, True):
            counted = await client.data(FACETS, {"f": filter_, "d": disjunctive})
            live = {**(filter_ or {}), **LIVE}
            recounted = await client.data(FACETS, {"f": live, "d": disjunctive})
            assert _menus(counted) == _menus(recounted), (filter_, disjunctive)


async def test_counts_equal_a_recount_after_random_writes(
    blog: GraphQLClient, scratch_db: Database
) -> None:
    admin = await _admin(blog, scratch_db)
    assert (await _counts(scratch_db))[0] == (await _counts(scratch_db))[1]  # the demo's load
    publication = await succeed(
        admin, CREATE_PUBLICATION, {"input": {"name": unique("Publication")}}
    )
    publication_id = publication["publication"]["id"]
    rng = random.Random(14)
    for step in range(60):
        content = await admin.data(CONTENT)
        posts = content["posts"]["nodes"]
        tags = content["tags"]["nodes"]
        authors = content["authors"]["nodes"]
        action = rng.choice(
            ["create", "create", "update", "update", "publish", "unpublish", "delete", "tag"]
        )
        if step % 20 == 19:
            action = rng.choice(["delete_tag", "merge_tags", "delete_author"])
        await _write(admin, rng, action, posts, tags, authors, publication_id)
        stored, recounted = await _counts(scratch_db)
        assert stored == recounted, (step, action)
    await _assert_menus_match_the_posts(blog)
    content = await admin.data(CONTENT)
    for tag in content["tags"]["nodes"][:3]:
        counted = await blog.data(TAG_PAGE, {"slug": tag["slug"], "f": None})
        recounted = await blog.data(TAG_PAGE, {"slug": tag["slug"], "f": LIVE})
        assert _menus(counted) == _menus(recounted)


async def _write(
    admin: Editor,
    rng: random.Random,
    action: str,
    posts: list[dict[str, Any]],
    tags: list[dict[str, Any]],
    authors: list[dict[str, Any]],
    publication_id: str,
) -> None:
    def some(items: list[dict[str, Any]], most: int) -> list[str]:
        return [item["id"] for item in rng.sample(items, rng.randint(0, min(most, len(items))))]

    def fields() -> dict[str, Any]:
        return {
            "level": rng.choice(LEVELS),
            "language": rng.choice(["en", "es"]),
            "body": CODE if rng.random() < 0.5 else "Plain prose.",
            "tagIds": some(tags, 3),
            "authorIds": some(authors, 2),
            "publicationId": publication_id if rng.random() < 0.3 else None,
        }

    post = rng.choice(posts)
    if action == "create":
        created = await succeed(admin, CREATE, {"input": {"title": unique("Post"), **fields()}})
        if rng.random() < 0.7:
            made = created["post"]
            await succeed(admin, PUBLISH_POST, {"id": made["id"], "version": made["version"]})
    elif action == "update":
        changes = {key: value for key, value in fields().items() if rng.random() < 0.5}
        await succeed(
            admin, UPDATE_POST, {"id": post["id"], "version": post["version"], "input": changes}
        )
    elif action == "publish" and post["status"] != "PUBLISHED":
        await succeed(admin, PUBLISH_POST, {"id": post["id"], "version": post["version"]})
    elif action == "unpublish" and post["status"] != "DRAFT":
        await succeed(admin, UNPUBLISH_POST, {"id": post["id"], "version": post["version"]})
    elif action == "delete":
        await succeed(admin, DELETE_POST, {"id": post["id"], "version": post["version"]})
    elif action == "tag":
        await succeed(admin, CREATE_TAG, {"input": {"name": unique("Tag")}})
    elif action == "delete_tag":
        tag = rng.choice(tags)
        await succeed(admin, DELETE_TAG, {"id": tag["id"], "version": tag["version"]})
    elif action == "merge_tags":
        source, target = rng.sample(tags, 2)
        await succeed(
            admin,
            MERGE_TAGS,
            {
                "source": source["id"],
                "sourceVersion": source["version"],
                "target": target["id"],
                "targetVersion": target["version"],
            },
        )
    elif action == "delete_author":
        gone, heir = rng.sample(authors, 2)
        await succeed(
            admin,
            DELETE_AUTHOR,
            {"id": gone["id"], "version": gone["version"], "reassignTo": heir["id"]},
        )


async def test_a_scheduled_post_counts_from_its_instant(scratch_db: Database) -> None:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    await load_demo(scratch_db.engine, posts=20, seed=2, now=clock.now)
    async for client in serve(scratch_db, clock=clock):
        admin = await _admin(client, scratch_db)
        before = (await client.data(FACETS, {"f": None}))["posts"]["totalCount"]
        named = await client.data(
            "{ tags(first: 1) { nodes { id } } authors(first: 1) { nodes { id } } }"
        )
        linked = {
            "tagIds": [named["tags"]["nodes"][0]["id"]],
            "authorIds": [named["authors"]["nodes"][0]["id"]],
        }
        created = await succeed(
            admin, CREATE, {"input": {"title": unique("Soon"), "body": CODE, **linked}}
        )
        made = created["post"]
        at = clock.now + timedelta(minutes=5)
        await succeed(
            admin,
            PUBLISH_POST,
            {"id": made["id"], "version": made["version"], "at": at.isoformat()},
        )
        assert (await client.data(FACETS, {"f": None}))["posts"]["totalCount"] == before
        clock.now = at  # its instant: readers see it before anything marks it published
        assert (await client.data(FACETS, {"f": None}))["posts"]["totalCount"] == before + 1
        await _assert_post_counts_match_the_posts(client)
        async with create_session_factory(scratch_db.engine)() as session, session.begin():
            assert await schedule.go_live(session, now=clock.now) >= 1
        assert (await client.data(FACETS, {"f": None}))["posts"]["totalCount"] == before + 1
        stored, recounted = await _counts(scratch_db)
        counted = sum(posts for key, posts in stored.items() if key[:2] == ("cell", "all"))
        assert stored == recounted and counted == before + 1


async def test_quire_db_rebuild_recounts_after_writes_outside_the_api(
    blog: GraphQLClient, scratch_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    future = datetime.now(UTC) + timedelta(days=3)
    async with scratch_db.engine.begin() as connection:  # SQL by hand, past the API
        first = (await connection.execute(text("SELECT min(id) FROM posts"))).scalar_one()
        await connection.execute(
            update(Post).where(Post.status == PostStatus.PUBLISHED).values(level=None)
        )
        await connection.execute(
            update(Post)
            .where(Post.id == first)
            .values(status=PostStatus.PUBLISHED, published_at=future)
        )
        await connection.execute(text("DELETE FROM post_tags"))
        await connection.execute(insert(PostTag).values(post_id=first, tag_id=1, position=0))
    stored, recounted = await _counts(scratch_db)
    assert stored != recounted
    monkeypatch.setenv("QUIRE_DATABASE_URL", scratch_db.url)
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["db", "rebuild"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "1 published posts dated in the future are now scheduled" in result.output
    stored, recounted = await _counts(scratch_db)
    assert stored == recounted
    await _assert_menus_match_the_posts(blog)


async def test_counts_follow_writers_whose_clocks_disagree(scratch_db: Database) -> None:
    """What is counted is the stored status: a writer whose clock lags behind the post's date
    (another host) still takes the post out when it deletes or unpublishes it."""
    ahead = Clock(datetime.now(UTC).replace(microsecond=0))
    behind = Clock(ahead.now - timedelta(seconds=5))
    await load_demo(scratch_db.engine, posts=10, seed=4, now=ahead.now)
    async for first in serve(scratch_db, clock=ahead):
        async for second in serve(scratch_db, clock=behind):
            admin = await _admin(first, scratch_db)
            lagging = await make_editor(second, scratch_db, EditorRole.ADMIN, "lagging-admin")
            for mutation in (DELETE_POST, UNPUBLISH_POST):
                made = (await succeed(admin, CREATE, {"input": {"title": unique("Now")}}))["post"]
                published = (await succeed(admin, PUBLISH_POST, _version(made)))["post"]
                await succeed(lagging, mutation, _version(published))
                stored, recounted = await _counts(scratch_db)
                assert stored == recounted, mutation


def _version(post: dict[str, Any]) -> dict[str, Any]:
    return {"id": post["id"], "version": post["version"]}
