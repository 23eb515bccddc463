"""Post mutations over HTTP: drafts, partial updates, versions and conflicts, publishing and
scheduling, permissions, validation, idempotency, slug history, and all-or-nothing writes."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from models import Post, PostRevision
from tests.api.conftest import GraphQLClient
from tests.api.editors import Editor, count_rows, make_team
from tests.conftest import Database

POST_FIELDS = "id slug title excerpt body html status version publishedAt readingTime includesCode"
ERRORS = "errors { field code message currentVersion changedFields }"
CREATE = f"""
mutation($input: CreatePostInput!, $key: String) {{
  createPost(input: $input, idempotencyKey: $key) {{ post {{ {POST_FIELDS} }} {ERRORS} }}
}}"""
UPDATE = f"""
mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {{
  updatePost(id: $id, version: $version, input: $input) {{ post {{ {POST_FIELDS} }} {ERRORS} }}
}}"""
PUBLISH = f"""
mutation($id: ID!, $version: Int!, $at: DateTime) {{
  publishPost(id: $id, version: $version, at: $at) {{ post {{ {POST_FIELDS} }} {ERRORS} }}
}}"""
DELETE = f"""
mutation($id: ID!, $version: Int!) {{
  deletePost(id: $id, version: $version) {{ deletedId {ERRORS} }}
}}"""
BODY = "We moved the queue.\n\nIt was hard. Then it worked!\n\n```python\nprint('done')\n```\n"


@pytest.fixture
async def team(scratch_client: GraphQLClient, scratch_db: Database) -> dict[str, Editor]:
    return await make_team(scratch_client, scratch_db)


async def test_a_created_post_is_a_rendered_draft_hidden_from_readers(
    team: dict[str, Editor], scratch_client: GraphQLClient
) -> None:
    result = await team["author"].run(
        CREATE, {"input": {"title": "Moving the Queue to Kafka", "body": BODY}}
    )
    assert result["errors"] == []
    post = result["post"]
    assert post["slug"] == "moving-the-queue-to-kafka"
    assert (post["status"], post["version"]) == ("DRAFT", 1)
    assert post["excerpt"] == "We moved the queue. It was hard. Then it worked!"
    assert post["includesCode"] and '<code class="language-python">' in post["html"]
    anonymous = await scratch_client.data(
        '{ post(slug: "moving-the-queue-to-kafka") { id } posts { totalCount } }'
    )
    assert anonymous == {"post": None, "posts": {"totalCount": 0}}


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Привет из Москвы", "privet-iz-moskvy"),
        ("Καλημέρα κόσμε", "kalemera-kosme"),
        ("数据库迁移", "shu-ju-ku-qian-yi"),
        ("Shipping 🚀 faster", "shipping-faster"),
        ("🎉", "party-popper"),
    ],
)
async def test_a_title_in_any_script_gets_a_readable_slug(
    team: dict[str, Editor], title: str, slug: str
) -> None:
    result = await team["author"].run(CREATE, {"input": {"title": title}})
    assert result["errors"] == [] and result["post"]["slug"] == slug


async def test_the_derived_excerpt_is_the_text_readers_see_without_tag_fragments(
    team: dict[str, Editor],
) -> None:
    body = (
        '<div class="note">Raw <b>HTML</b> in the Markdown.</div>\n\n'
        "<script>alert(1)</script>\n\n## A heading\n\nThen *prose* &amp; more."
    )
    result = await team["author"].run(CREATE, {"input": {"title": "Raw", "body": body}})
    excerpt = result["post"]["excerpt"]
    assert excerpt == "Raw HTML in the Markdown. Then prose & more."


async def test_invalid_fields_are_all_reported_and_nothing_is_written(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    result = await team["editor"].run(
        CREATE,
        {
            "input": {
                "title": "  ",
                "slug": "Not A Slug",
                "language": "english!",
                "canonicalUrl": "javascript:alert(1)",
            }
        },
    )
    assert result["post"] is None
    fields = {(e["field"], e["code"]) for e in result["errors"]}
    assert fields == {
        ("title", "INVALID"),
        ("slug", "INVALID"),
        ("language", "INVALID"),
        ("canonicalUrl", "INVALID"),
    }
    assert await count_rows(scratch_db, Post) == 0


async def test_errors_and_changed_fields_use_the_graphql_names(team: dict[str, Editor]) -> None:
    editor = team["editor"]
    refused = await editor.run(
        CREATE,
        {"input": {"title": "T", "canonicalUrl": "ftp://x", "featureImageAlt": "a" * 501}},
    )
    messages = {e["field"]: e["message"] for e in refused["errors"]}
    assert messages == {
        "canonicalUrl": "`canonicalUrl` must be an http or https URL.",
        "featureImageAlt": "`featureImageAlt` is limited to 500 characters.",
    }
    post = (await editor.run(CREATE, {"input": {"title": "T"}}))["post"]
    changes = {"canonicalUrl": "https://example.com/a", "featureImageUrl": "https://x.io/i.png"}
    await editor.run(UPDATE, {"id": post["id"], "version": 1, "input": changes})
    stale = await editor.run(UPDATE, {"id": post["id"], "version": 1, "input": {"title": "U"}})
    assert stale["errors"][0]["changedFields"] == ["canonicalUrl", "featureImageUrl"]


async def test_a_failure_after_the_insert_rolls_the_whole_mutation_back(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    unknown_tag = "VGFnOjk5OQ=="  # Tag:999
    result = await team["editor"].run(
        CREATE, {"input": {"title": "Half written", "tagIds": [unknown_tag]}}
    )
    assert result["errors"][0]["code"] == "NOT_FOUND"
    assert result["errors"][0]["field"] == "tagIds"
    assert await count_rows(scratch_db, Post) == 0
    assert await count_rows(scratch_db, PostRevision) == 0


async def test_thousands_of_tag_names_are_refused_at_once_and_nothing_is_written(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    names = [f"t{n}" for n in range(10_000)]  # about 79 kB, under the body limit
    result = await team["editor"].run(CREATE, {"input": {"title": "Tagged", "tagNames": names}})
    assert result["post"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("tagNames", "INVALID")]
    assert "50" in result["errors"][0]["message"]
    assert await count_rows(scratch_db, Post) == 0
    fifty = await team["editor"].run(CREATE, {"input": {"title": "Tagged", "tagNames": names[:50]}})
    assert fifty["errors"] == [] and await count_rows(scratch_db, Post) == 1


async def test_updates_are_partial_and_null_clears(team: dict[str, Editor]) -> None:
    editor = team["editor"]
    post = (
        await editor.run(CREATE, {"input": {"title": "Draft", "body": BODY, "metaTitle": "M"}})
    )["post"]
    updated = await editor.run(
        UPDATE,
        {"id": post["id"], "version": 1, "input": {"title": "Final title", "metaTitle": None}},
    )
    assert updated["errors"] == []
    assert updated["post"]["title"] == "Final title"
    assert updated["post"]["body"] == BODY
    assert updated["post"]["version"] == 2


async def test_two_concurrent_writers_one_wins_the_other_gets_conflict(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    post = (await editor.run(CREATE, {"input": {"title": "Shared", "body": "First."}}))["post"]
    first, second = await asyncio.gather(
        editor.run(UPDATE, {"id": post["id"], "version": 1, "input": {"title": "Mine"}}),
        editor.run(UPDATE, {"id": post["id"], "version": 1, "input": {"body": "Yours."}}),
    )
    results = sorted([first, second], key=lambda r: bool(r["errors"]))
    winner, loser = results
    assert winner["errors"] == [] and winner["post"]["version"] == 2
    conflict = loser["errors"][0]
    assert conflict["code"] == "CONFLICT" and conflict["field"] == "version"
    assert conflict["currentVersion"] == 2
    assert conflict["changedFields"] in (["title"], ["body", "excerpt"])
    assert loser["post"] is None
    assert await count_rows(scratch_db, PostRevision) == 2  # create + the one winning update

    # The loser reloads and reapplies: both edits survive.
    retried = await editor.run(
        UPDATE,
        {
            "id": post["id"],
            "version": 2,
            "input": {"title": "Mine"} if winner["post"]["title"] != "Mine" else {"body": "Yours."},
        },
    )
    assert retried["post"]["title"] == "Mine" and retried["post"]["body"] == "Yours."


async def test_publishing_now_or_later(
    team: dict[str, Editor], scratch_client: GraphQLClient
) -> None:
    editor = team["editor"]
    now_post = (await editor.run(CREATE, {"input": {"title": "Now", "body": "x"}}))["post"]
    later_post = (await editor.run(CREATE, {"input": {"title": "Later", "body": "x"}}))["post"]
    published = await editor.run(PUBLISH, {"id": now_post["id"], "version": 1})
    assert published["post"]["status"] == "PUBLISHED"
    at = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    scheduled = await editor.run(PUBLISH, {"id": later_post["id"], "version": 1, "at": at})
    assert scheduled["post"]["status"] == "SCHEDULED"
    visible = await scratch_client.data("{ posts { nodes { slug } } }")
    assert visible["posts"]["nodes"] == [{"slug": "now"}]


async def test_roles_decide_who_may_publish_and_edit_what(team: dict[str, Editor]) -> None:
    own = (await team["contributor"].run(CREATE, {"input": {"title": "Mine", "body": "x"}}))["post"]
    refused = await team["contributor"].run(PUBLISH, {"id": own["id"], "version": 1})
    assert refused["errors"][0]["code"] == "FORBIDDEN"

    theirs = (await team["editor"].run(CREATE, {"input": {"title": "Theirs", "body": "x"}}))["post"]
    for role in ("contributor", "author"):
        edit = {"id": theirs["id"], "version": 1, "input": {"title": "Hijack"}}
        assert (await team[role].run(UPDATE, edit))["errors"][0]["code"] == "FORBIDDEN", role
    publish = await team["author"].run(PUBLISH, {"id": theirs["id"], "version": 1})
    assert publish["errors"][0]["code"] == "FORBIDDEN"

    authored = (await team["author"].run(CREATE, {"input": {"title": "By me", "body": "x"}}))[
        "post"
    ]
    assert (await team["author"].run(PUBLISH, {"id": authored["id"], "version": 1}))["errors"] == []
    managed = await team["editor"].run(
        UPDATE, {"id": authored["id"], "version": 2, "input": {"title": "Edited"}}
    )
    assert managed["errors"] == []


async def test_anonymous_writes_are_unauthenticated(scratch_client: GraphQLClient) -> None:
    data = await scratch_client.data(CREATE, {"input": {"title": "Nope"}})
    assert data["createPost"]["errors"][0]["code"] == "UNAUTHENTICATED"


async def test_a_retried_create_with_the_same_key_returns_the_first_post(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    variables = {"input": {"title": "Flaky network", "body": "x"}, "key": "retry-7f3a"}
    first = await team["author"].run(CREATE, variables)
    second = await team["author"].run(CREATE, variables)
    assert first["post"]["id"] == second["post"]["id"]
    assert await count_rows(scratch_db, Post) == 1


async def test_a_renamed_slug_still_finds_the_post(
    team: dict[str, Editor], scratch_client: GraphQLClient
) -> None:
    editor = team["editor"]
    post = (await editor.run(CREATE, {"input": {"title": "Old name", "body": "x"}}))["post"]
    await editor.run(PUBLISH, {"id": post["id"], "version": 1})
    await editor.run(UPDATE, {"id": post["id"], "version": 2, "input": {"slug": "new-name"}})
    found = await scratch_client.data('{ post(slug: "old-name") { slug } }')
    assert found == {"post": {"slug": "new-name"}}


async def test_delete_needs_the_current_version(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    post = (await editor.run(CREATE, {"input": {"title": "Doomed", "body": "x"}}))["post"]
    await editor.run(UPDATE, {"id": post["id"], "version": 1, "input": {"title": "Doomed 2"}})
    stale = await editor.run(DELETE, {"id": post["id"], "version": 1})
    assert stale["errors"][0]["code"] == "CONFLICT"
    assert await count_rows(scratch_db, Post) == 1
    done = await editor.run(DELETE, {"id": post["id"], "version": 2})
    assert done == {"deletedId": post["id"], "errors": []}
    assert await count_rows(scratch_db, Post) == 0


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", "[x](javascript:alert(1))", '<img src=x onerror="alert(1)">'],
)
async def test_xss_in_the_body_never_reaches_html(team: dict[str, Editor], payload: str) -> None:
    post = (await team["editor"].run(CREATE, {"input": {"title": "XSS", "body": payload}}))["post"]
    html = post["html"].lower()
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html


async def test_an_overlong_idempotency_key_is_a_field_error_and_writes_nothing(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    result = await team["author"].run(CREATE, {"input": {"title": "Keyed"}, "key": "k" * 201})
    assert result["post"] is None
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("idempotencyKey", "INVALID")]
    assert await count_rows(scratch_db, Post) == 0


async def test_a_new_tag_named_like_a_taken_slug_gets_a_numbered_slug_within_the_column(
    team: dict[str, Editor],
) -> None:
    name = "x" * 200
    tags = "tags { slug }"
    first = await team["editor"].run(
        CREATE.replace("readingTime", f"readingTime {tags}"),
        {"input": {"title": "One", "tagNames": [name]}},
    )
    second = await team["editor"].run(
        CREATE.replace("readingTime", f"readingTime {tags}"),
        {"input": {"title": "Two", "tagNames": [name[:199] + "!"]}},
    )
    assert first["errors"] == [] and second["errors"] == [], second
    slugs = [first["post"]["tags"][0]["slug"], second["post"]["tags"][0]["slug"]]
    assert slugs[0] != slugs[1] and all(len(slug) <= 200 for slug in slugs)
