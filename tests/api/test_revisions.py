"""Post revisions over HTTP: the history newest first with who and when, editors only, and
restoring an old text as a new version."""

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.database import create_session_factory
from models import Post, PostRevision
from tests.api.conftest import GraphQLClient
from tests.api.editors import Editor, count_rows, make_team
from tests.conftest import Database

ERRORS = "errors { field code message currentVersion changedFields }"
POST = "id title excerpt body html version"
CREATE = f"""
mutation($input: CreatePostInput!) {{ createPost(input: $input) {{ post {{ {POST} }} {ERRORS} }} }}
"""
UPDATE = f"""
mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {{
  updatePost(id: $id, version: $version, input: $input) {{ post {{ {POST} }} {ERRORS} }}
}}"""
PUBLISH = f"""
mutation($id: ID!, $version: Int!) {{
  publishPost(id: $id, version: $version) {{ post {{ {POST} }} {ERRORS} }}
}}"""
RESTORE = f"""
mutation($revisionId: ID!, $version: Int!) {{
  restorePostRevision(revisionId: $revisionId, version: $version) {{
    post {{ {POST} revisions(first: 1) {{ nodes {{ version title body changedFields }} }} }}
    {ERRORS}
  }}
}}"""
UNPUBLISH_WITH_HISTORY = f"""
mutation($id: ID!, $v: Int!) {{
  unpublishPost(id: $id, version: $v) {{
    post {{ revisions {{ totalCount nodes {{ version changedFields }} }} }}
    {ERRORS}
  }}
}}"""
REVISIONS = """
query($id: ID!, $first: Int = 20, $after: String) {
  post(id: $id) {
    title
    revisions(first: $first, after: $after) {
      totalCount
      nodes { id version title excerpt body editedBy createdAt changedFields }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


@pytest.fixture
async def team(scratch_client: GraphQLClient, scratch_db: Database) -> dict[str, Editor]:
    return await make_team(scratch_client, scratch_db)


async def _post_with_history(team: dict[str, Editor]) -> dict[str, Any]:
    """A published post by the editor: created, retitled, rewritten by the admin, published
    (versions 1 to 4)."""
    editor, admin = team["editor"], team["admin"]
    post = (await editor.run(CREATE, {"input": {"title": "First", "body": "One."}}))["post"]
    await editor.run(UPDATE, {"id": post["id"], "version": 1, "input": {"title": "Second"}})
    await admin.run(UPDATE, {"id": post["id"], "version": 2, "input": {"body": "Two."}})
    published = await editor.run(PUBLISH, {"id": post["id"], "version": 3})
    assert published["errors"] == []
    return dict(published["post"])


async def _revisions(editor: Editor, post_id: str, **variables: Any) -> dict[str, Any]:
    data = await editor.data(REVISIONS, {"id": post_id, **variables})
    revisions: dict[str, Any] = data["post"]["revisions"]
    return revisions


async def test_revisions_are_listed_newest_first_with_who_and_when(
    team: dict[str, Editor],
) -> None:
    started = datetime.now(UTC)
    post = await _post_with_history(team)
    revisions = await _revisions(team["editor"], post["id"])
    nodes = revisions["nodes"]
    assert revisions["totalCount"] == 4
    assert [n["version"] for n in nodes] == [4, 3, 2, 1]
    assert [n["editedBy"] for n in nodes] == ["editor", "admin", "editor", "editor"]
    assert [(n["title"], n["body"]) for n in nodes] == [
        ("Second", "Two."),
        ("Second", "Two."),
        ("Second", "One."),
        ("First", "One."),
    ]
    times = [datetime.fromisoformat(n["createdAt"]) for n in nodes]
    assert times == sorted(times, reverse=True)
    assert all(started <= time <= datetime.now(UTC) for time in times)
    assert nodes[0]["changedFields"] == ["publishedAt", "status"]
    assert nodes[1]["changedFields"] == ["body", "excerpt"]
    assert nodes[2]["changedFields"] == ["title"]
    assert {"title", "body", "language"} <= set(nodes[3]["changedFields"])
    assert len({n["id"] for n in nodes}) == 4


async def test_revisions_page_by_cursor_without_repeating(team: dict[str, Editor]) -> None:
    post = await _post_with_history(team)
    first = await _revisions(team["editor"], post["id"], first=3)
    assert [n["version"] for n in first["nodes"]] == [4, 3, 2]
    assert first["pageInfo"]["hasNextPage"] is True
    # The page's oldest revision still knows what changed since the one on the next page.
    assert first["nodes"][-1]["changedFields"] == ["title"]
    rest = await _revisions(
        team["editor"], post["id"], first=3, after=first["pageInfo"]["endCursor"]
    )
    assert [n["version"] for n in rest["nodes"]] == [1]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_the_statement_count_does_not_grow_with_the_history(
    team: dict[str, Editor], scratch_client: GraphQLClient, count_statements: Any
) -> None:
    editor = team["editor"]
    short = (await editor.run(CREATE, {"input": {"title": "Short", "body": "x"}}))["post"]
    long = (await editor.run(CREATE, {"input": {"title": "Long", "body": "x"}}))["post"]
    for version in range(1, 8):
        await editor.run(
            UPDATE, {"id": long["id"], "version": version, "input": {"body": "y" * version}}
        )
    counts = []
    for post in (short, long):
        counter = count_statements(scratch_client)
        result = await editor.run(
            UNPUBLISH_WITH_HISTORY,
            {"id": post["id"], "v": 1 if post is short else 8},
        )
        assert result["errors"] == [], result
        counts.append(counter.count)
    assert counts[0] == counts[1]


@pytest.mark.parametrize("reader", ["anonymous", "contributor", "author"])
async def test_who_may_not_edit_the_post_gets_forbidden_and_no_revision(
    team: dict[str, Editor], scratch_client: GraphQLClient, reader: str
) -> None:
    post = await _post_with_history(team)
    if reader == "anonymous":
        body = await scratch_client.post(REVISIONS, {"id": post["id"]})
    else:
        body = await team[reader].post(REVISIONS, {"id": post["id"]})
    assert body["data"] == {"post": {"title": "Second", "revisions": None}}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["post", "revisions"]
    assert "First" not in str(body) and "One." not in str(body)


async def test_an_author_reads_the_history_of_their_own_post(team: dict[str, Editor]) -> None:
    author = team["author"]
    post = (await author.run(CREATE, {"input": {"title": "Mine", "body": "x"}}))["post"]
    await author.run(PUBLISH, {"id": post["id"], "version": 1})
    revisions = await _revisions(author, post["id"])
    assert [n["editedBy"] for n in revisions["nodes"]] == ["author", "author"]


async def test_restore_brings_back_the_old_text_as_a_new_version(
    team: dict[str, Editor],
) -> None:
    editor = team["editor"]
    post = await _post_with_history(team)
    oldest = (await _revisions(editor, post["id"]))["nodes"][-1]
    restored = await editor.run(RESTORE, {"revisionId": oldest["id"], "version": 4})
    assert restored["errors"] == []
    after = restored["post"]
    assert (after["title"], after["body"], after["version"]) == ("First", "One.", 5)
    assert after["excerpt"] == oldest["excerpt"] == "One."
    assert "<p>One.</p>" in after["html"]
    assert after["revisions"]["nodes"] == [
        {
            "version": 5,
            "title": "First",
            "body": "One.",
            "changedFields": ["body", "excerpt", "title"],
        }
    ]
    assert (await _revisions(editor, post["id"]))["totalCount"] == 5


async def _stored(database: Database) -> tuple[Any, ...]:
    async with create_session_factory(database.engine)() as session:
        post = (await session.scalars(select(Post))).one()
        return (post.title, post.body, post.html, post.version)


async def test_restore_with_a_stale_version_conflicts_and_writes_nothing(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    post = await _post_with_history(team)
    oldest = (await _revisions(editor, post["id"]))["nodes"][-1]
    before = await _stored(scratch_db)
    result = await editor.run(RESTORE, {"revisionId": oldest["id"], "version": 3})
    assert result["post"] is None
    conflict = result["errors"][0]
    assert (conflict["code"], conflict["field"], conflict["currentVersion"]) == (
        "CONFLICT",
        "version",
        4,
    )
    assert await _stored(scratch_db) == before
    assert await count_rows(scratch_db, PostRevision) == 4


async def test_restore_refuses_unknown_revisions_and_other_peoples_posts(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    post = await _post_with_history(team)
    oldest = (await _revisions(team["editor"], post["id"]))["nodes"][-1]
    missing = await team["editor"].run(
        RESTORE,
        {"revisionId": "UG9zdFJldmlzaW9uOjk5OQ==", "version": 4},  # PostRevision:999
    )
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("revisionId", "NOT_FOUND")]
    refused = await team["author"].run(RESTORE, {"revisionId": oldest["id"], "version": 4})
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("revisionId", "FORBIDDEN")]
    assert refused["post"] is None
    anonymous = await team["editor"].client.data(
        RESTORE, {"revisionId": oldest["id"], "version": 4}
    )
    assert anonymous["restorePostRevision"]["errors"][0]["code"] == "UNAUTHENTICATED"
    assert await count_rows(scratch_db, PostRevision) == 4
    assert (await _stored(scratch_db))[3] == 4
