"""A post's `summary`: written by an editor, null when there is none; `excerpt` shows it when
there is one, else the excerpt derived from the body. Both executors answer it alike."""

from typing import Any

import pytest

from tests.api.conftest import GraphQLClient
from tests.api.editors import Editor, make_team
from tests.conftest import Database

ERRORS = "errors { field code message }"
POST = "id version summary excerpt"
CREATE = f"""mutation($input: CreatePostInput!) {{
  createPost(input: $input) {{ post {{ {POST} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {{
  updatePost(id: $id, version: $version, input: $input) {{ post {{ {POST} }} {ERRORS} }} }}"""
PUBLISH = """mutation($id: ID!, $version: Int!) {
  publishPost(id: $id, version: $version) { post { version } errors { code } } }"""
BODY = "Queues fill up at night. We moved them to a log.\n\nIt worked."


@pytest.fixture
async def editor(scratch_client: GraphQLClient, scratch_db: Database) -> Editor:
    return (await make_team(scratch_client, scratch_db))["editor"]


async def _as_reader(client: GraphQLClient, post_id: str) -> list[dict[str, Any]]:
    """The post as the compiled reads answer it (a lookup) and as Strawberry does (`nodes`)."""
    compiled = await client.data(
        "query($id: ID!) { post(id: $id) { summary excerpt } }", {"id": post_id}
    )
    strawberry = await client.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Post { summary excerpt } } }",
        {"ids": [post_id]},
    )
    return [compiled["post"], strawberry["nodes"][0]]


async def test_a_summary_is_shown_as_the_excerpt_and_clearing_it_brings_the_derived_one_back(
    editor: Editor, scratch_client: GraphQLClient
) -> None:
    created = await editor.run(
        CREATE, {"input": {"title": "Queues", "body": BODY, "summary": "We moved our queues."}}
    )
    assert created["errors"] == []
    post = created["post"]
    assert post["summary"] == post["excerpt"] == "We moved our queues."
    published = await editor.run(PUBLISH, {"id": post["id"], "version": post["version"]})
    version = published["post"]["version"]
    expected = {"summary": "We moved our queues.", "excerpt": "We moved our queues."}
    assert await _as_reader(scratch_client, post["id"]) == [expected, expected]

    cleared = await editor.run(
        UPDATE, {"id": post["id"], "version": version, "input": {"summary": None}}
    )
    derived = {
        "summary": None,
        "excerpt": "Queues fill up at night. We moved them to a log. It worked.",
    }
    assert {k: cleared["post"][k] for k in ("summary", "excerpt")} == derived
    assert await _as_reader(scratch_client, post["id"]) == [derived, derived]


async def test_an_overlong_summary_is_a_field_error_and_nothing_is_written(
    editor: Editor, scratch_client: GraphQLClient
) -> None:
    refused = await editor.run(CREATE, {"input": {"title": "Long", "summary": "s" * 2_001}})
    assert refused["post"] is None
    assert refused["errors"] == [
        {
            "field": "summary",
            "code": "INVALID",
            "message": "`summary` is limited to 2000 characters.",
        }
    ]
    drafts = await editor.data("{ posts(filter: { status: [DRAFT] }) { totalCount } }")
    assert drafts["posts"]["totalCount"] == 0
