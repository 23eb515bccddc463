"""Posts with bylines and tags for the author and tag mutation tests, and what the database
holds about them afterwards (drafts are not readable over the API by every role)."""

from base64 import b64decode, b64encode
from typing import Any

from sqlalchemy import select

from app.database import create_session_factory
from models import Author, Post, PostAuthor, PostTag, Tag
from tests.api.editors import Editor
from tests.conftest import Database

ERRORS = "errors { field code message currentVersion }"
CREATE_POST = """
mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id version } errors { field code message } }
}"""
UPDATE_POST = """
mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {
  updatePost(id: $id, version: $version, input: $input) {
    post { id version } errors { field code currentVersion }
  }
}"""
PUBLISH_POST = """
mutation($id: ID!, $version: Int!) {
  publishPost(id: $id, version: $version) { post { id version } errors { code } }
}"""


def global_id(type_name: str, row_id: int) -> str:
    return b64encode(f"{type_name}:{row_id}".encode()).decode()


async def create_post(
    editor: Editor,
    title: str,
    *,
    author_ids: list[str] | None = None,
    tag_ids: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A draft with these authors and tags, in order; returns its `id` and `version`."""
    post_input: dict[str, Any] = {"title": title, "body": "Text.", "tagIds": list(tag_ids)}
    if author_ids is not None:
        post_input["authorIds"] = author_ids
    result = await editor.run(CREATE_POST, {"input": post_input})
    assert result["errors"] == [], result
    post: dict[str, Any] = result["post"]
    return post


async def bylines(database: Database, post: dict[str, Any]) -> list[str]:
    """The slugs of a post's authors, in byline order."""
    return await _linked(database, Author, PostAuthor, PostAuthor.author_id, post)


async def tag_slugs(database: Database, post: dict[str, Any]) -> list[str]:
    """The slugs of a post's tags, in order."""
    return await _linked(database, Tag, PostTag, PostTag.tag_id, post)


async def post_version(database: Database, post: dict[str, Any]) -> int:
    async with create_session_factory(database.engine)() as session:
        version = await session.scalar(select(Post.version).where(Post.id == _row_id(post)))
    assert version is not None
    return version


async def _linked(
    database: Database, model: Any, link: Any, owner: Any, post: dict[str, Any]
) -> list[str]:
    async with create_session_factory(database.engine)() as session:
        slugs = await session.scalars(
            select(model.slug)
            .join(link, owner == model.id)
            .where(link.post_id == _row_id(post))
            .order_by(link.position)
        )
        return list(slugs)


def _row_id(post: dict[str, Any]) -> int:
    return int(b64decode(post["id"]).decode().split(":")[1])
