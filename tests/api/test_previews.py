"""Preview links: a signed token shows one draft to whoever holds it, until it expires, and
nothing else; only those who may edit a post can make one."""

import base64
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import insert, update

from models import Author, Post
from resolvers import signing
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import Editor, make_team
from tests.api.reader import global_id
from tests.clock import Clock
from tests.conftest import Database

TTL = 3600
CREATE = """
mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id version } errors { code message } }
}"""
PUBLISH = """
mutation($id: ID!, $version: Int!) {
  publishPost(id: $id, version: $version) { errors { code message } }
}"""
DELETE = """
mutation($id: ID!, $version: Int!) { deletePost(id: $id, version: $version) { deletedId } }
"""
LINK = """
mutation($id: ID!) {
  createPreviewLink(postId: $id) { token expiresAt errors { field code message } }
}"""
PREVIEW = """
query($token: String!) {
  post(previewToken: $token) {
    slug status translations { slug } authors { posts { nodes { slug } } }
  }
}"""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def anonymous(scratch_db: Database, clock: Clock) -> AsyncIterator[GraphQLClient]:
    """A client without a token, of an app whose clock the test moves."""
    async for client in serve(scratch_db, clock=clock, preview_ttl_seconds=TTL):
        yield client


@pytest.fixture
async def team(anonymous: GraphQLClient, scratch_db: Database) -> dict[str, Editor]:
    return await make_team(anonymous, scratch_db)


async def _post(editor: Editor, title: str, language: str = "en", **input: Any) -> str:
    result = await editor.run(CREATE, {"input": {"title": title, "language": language, **input}})
    assert result["errors"] == [], result
    post_id: str = result["post"]["id"]
    return post_id


async def _link(editor: Editor, post_id: str) -> dict[str, Any]:
    return await editor.run(LINK, {"id": post_id})


async def _token(editor: Editor, post_id: str) -> str:
    link = await _link(editor, post_id)
    assert link["errors"] == [], link
    token: str = link["token"]
    return token


async def _refused(anonymous: GraphQLClient, token: str) -> None:
    error = await anonymous.error(PREVIEW, {"token": token})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "previewToken"}
    assert error["message"] == "The preview link is invalid or has expired."


async def test_a_preview_token_shows_the_draft_and_nothing_else_to_an_anonymous_client(
    anonymous: GraphQLClient, team: dict[str, Editor], clock: Clock
) -> None:
    author = team["author"]
    async with anonymous.engine.begin() as connection:
        ana = (
            await connection.execute(insert(Author).values(name="Ana", slug="ana"))
        ).inserted_primary_key[0]
    byline = {"authorIds": [global_id("Author", ana)]}
    draft = await _post(author, "Draft", "en", **byline)
    other_draft = await _post(author, "Other draft", "es", **byline)
    live = await _post(author, "Live", "fr", **byline)
    await author.run(PUBLISH, {"id": live, "version": 1})
    async with anonymous.engine.begin() as connection:
        await connection.execute(update(Post).values(translation_group="group-1"))

    link = await _link(author, draft)
    assert link["errors"] == []
    expires = datetime.fromisoformat(link["expiresAt"])
    assert expires == (clock.now + timedelta(seconds=TTL)).replace(microsecond=0)

    data = await anonymous.data(PREVIEW, {"token": link["token"]})
    assert data["post"] == {
        "slug": "draft",
        "status": "DRAFT",
        "translations": [{"slug": "live"}],
        "authors": [{"posts": {"nodes": [{"slug": "live"}]}}],
    }
    others = await anonymous.data(
        "query($a: ID!, $b: ID!) { a: post(id: $a) { slug } b: node(id: $b) { id } }",
        {"a": draft, "b": other_draft},
    )
    assert others == {"a": None, "b": None}


def _flip(text: str, index: int) -> str:
    """`text` with one base64 character replaced by another (never by itself)."""
    return text[:index] + ("B" if text[index] == "A" else "A") + text[index + 1 :]


async def test_a_tampered_or_foreign_token_is_refused(
    anonymous: GraphQLClient, team: dict[str, Editor]
) -> None:
    draft = await _post(team["author"], "Draft")
    other = await _post(team["author"], "Other draft")
    token = await _token(team["author"], draft)
    payload, signature = token.split(".")
    fields = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert fields["post"] == int(base64.b64decode(draft).decode().split(":")[1])

    def encoded(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()

    other_id = int(base64.b64decode(other).decode().split(":")[1])
    for forged in (
        f"{encoded({**fields, 'post': other_id})}.{signature}",  # another post, same signature
        f"{encoded({**fields, 'exp': fields['exp'] + 86_400})}.{signature}",  # a later expiry
        f"{payload}.{_flip(signature, 0)}",  # a changed signature
        signing.sign("another-secret", orjson.dumps(fields)),
        signing.sign("test-secret", orjson.dumps({**fields, "for": "cursor"})),
        "not a token",
    ):
        await _refused(anonymous, forged)


async def test_a_cursor_is_not_a_preview_token(
    anonymous: GraphQLClient, team: dict[str, Editor]
) -> None:
    editor = team["editor"]
    draft = await _post(editor, "Draft")
    page = await editor.data(
        "{ posts(filter: { status: [DRAFT] }) { pageInfo { endCursor } nodes { id } } }"
    )
    assert page["posts"]["nodes"] == [{"id": draft}]
    await _refused(anonymous, page["posts"]["pageInfo"]["endCursor"])


async def test_a_token_works_until_it_expires_by_the_apps_clock(
    anonymous: GraphQLClient, team: dict[str, Editor], clock: Clock
) -> None:
    draft = await _post(team["author"], "Draft")
    link = await _link(team["author"], draft)
    expires = datetime.fromisoformat(link["expiresAt"])
    clock.now = expires - timedelta(seconds=1)
    assert (await anonymous.data(PREVIEW, {"token": link["token"]}))["post"]["slug"] == "draft"
    clock.now = expires
    await _refused(anonymous, link["token"])


async def test_the_preview_of_a_deleted_post_is_null(
    anonymous: GraphQLClient, team: dict[str, Editor]
) -> None:
    draft = await _post(team["author"], "Draft")
    token = await _token(team["author"], draft)
    deleted = await team["author"].run(DELETE, {"id": draft, "version": 1})
    assert deleted == {"deletedId": draft}
    assert await anonymous.data(PREVIEW, {"token": token}) == {"post": None}


@pytest.mark.parametrize(
    ("maker", "owner", "code"),
    [
        ("contributor", "contributor", None),
        ("contributor", "author", "FORBIDDEN"),
        ("author", "editor", "FORBIDDEN"),
        ("author", "author", None),
        ("editor", "contributor", None),
        ("admin", "author", None),
    ],
)
async def test_only_those_who_may_edit_a_post_can_make_its_preview_link(
    team: dict[str, Editor], maker: str, owner: str, code: str | None
) -> None:
    draft = await _post(team[owner], "Draft")
    link = await _link(team[maker], draft)
    if code is None:
        assert link["errors"] == [] and link["token"]
        return
    assert link == {
        "token": None,
        "expiresAt": None,
        "errors": [
            {"field": "postId", "code": code, "message": "You may only change your own posts."}
        ],
    }


async def test_anonymous_clients_and_missing_posts_get_no_link(
    anonymous: GraphQLClient, team: dict[str, Editor]
) -> None:
    draft = await _post(team["editor"], "Draft")
    refused = (await anonymous.data(LINK, {"id": draft}))["createPreviewLink"]
    assert refused["token"] is None
    assert [e["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    missing = await _link(team["editor"], global_id("Post", 999))
    assert missing["token"] is None
    assert missing["errors"] == [
        {"field": "postId", "code": "NOT_FOUND", "message": "There is no post with this ID."}
    ]


async def test_a_lookup_takes_exactly_one_of_id_slug_or_preview_token(
    anonymous: GraphQLClient,
) -> None:
    error = await anonymous.error('{ post(slug: "a", previewToken: "b.c") { id } }')
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    assert error["message"] == "Give exactly one of `id` or `slug` (or `previewToken`)."
