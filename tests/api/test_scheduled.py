"""A scheduled post goes live at its instant by the app's clock, with no job and no write: hidden
one second before on every path, visible from that instant on, and its status follows."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from models import Author, EditorRole, Post, PostStatus
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import make_editor
from tests.api.reader import global_id
from tests.clock import Clock
from tests.conftest import Database

CREATE = """
mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id } errors { code message } }
}"""
PUBLISH = """
mutation($id: ID!, $at: DateTime!) {
  publishPost(id: $id, version: 1, at: $at) { post { status publishedAt } errors { message } }
}"""
READ = """
query($id: ID!) {
  posts { totalCount nodes { slug } }
  byId: post(id: $id) { slug status }
  bySlug: post(slug: "launch") { slug status }
  node(id: $id) { ... on Post { slug } }
  author(slug: "ana") { postCount posts { totalCount } }
}"""

START = datetime.now(UTC).replace(microsecond=0)
LAUNCH = START + timedelta(minutes=10)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def anonymous(scratch_db: Database, clock: Clock) -> AsyncIterator[GraphQLClient]:
    """A client without a token, of an app whose clock the test moves."""
    async for client in serve(scratch_db, clock=clock):
        yield client


LIVE = {
    "posts": {"totalCount": 1, "nodes": [{"slug": "launch"}]},
    "byId": {"slug": "launch", "status": "PUBLISHED"},
    "bySlug": {"slug": "launch", "status": "PUBLISHED"},
    "node": {"slug": "launch"},
    "author": {"postCount": 1, "posts": {"totalCount": 1}},
}
HIDDEN = {
    "posts": {"totalCount": 0, "nodes": []},
    "byId": None,
    "bySlug": None,
    "node": None,
    "author": {"postCount": 0, "posts": {"totalCount": 0}},
}


async def _stored(database: Database) -> tuple[PostStatus, int, datetime]:
    async with database.engine.connect() as connection:
        row = (await connection.execute(select(Post.status, Post.version, Post.updated_at))).one()
    return row.status, row.version, row.updated_at


async def test_a_scheduled_post_goes_live_at_its_instant_without_any_write(
    anonymous: GraphQLClient, scratch_db: Database, clock: Clock
) -> None:
    async with anonymous.engine.begin() as connection:
        ana = (
            await connection.execute(insert(Author).values(name="Ana", slug="ana"))
        ).inserted_primary_key[0]
    editor = await make_editor(anonymous, scratch_db, EditorRole.EDITOR, "ed")
    created = await editor.run(
        CREATE, {"input": {"title": "Launch", "authorIds": [global_id("Author", ana)]}}
    )
    post_id = created["post"]["id"]
    published = await editor.run(PUBLISH, {"id": post_id, "at": LAUNCH.isoformat()})
    assert published == {
        "post": {"status": "SCHEDULED", "publishedAt": LAUNCH.isoformat()},
        "errors": [],
    }
    stored = await _stored(scratch_db)
    assert stored[:2] == (PostStatus.SCHEDULED, 2)

    clock.now = LAUNCH - timedelta(seconds=1)
    assert await anonymous.data(READ, {"id": post_id}) == HIDDEN
    as_editor = await editor.data("query($id: ID!) { post(id: $id) { status } }", {"id": post_id})
    assert as_editor == {"post": {"status": "SCHEDULED"}}

    for now in (LAUNCH, LAUNCH + timedelta(days=1)):
        clock.now = now
        assert await anonymous.data(READ, {"id": post_id}) == LIVE, now
    assert await _stored(scratch_db) == stored  # nothing flipped the row: the clock did it
