"""Tag mutations over HTTP: create, partial update, delete and merge with versions and
conflicts, validation, roles, idempotent creates, internal tags, and what happens to posts."""

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from app.database import create_session_factory
from models import PostTag, Tag
from tests.api.conftest import GraphQLClient
from tests.api.editors import Editor, count_rows, make_team
from tests.api.post_relations import (
    ERRORS,
    UPDATE_POST,
    create_post,
    global_id,
    post_version,
    tag_slugs,
)
from tests.conftest import Database

TAG_FIELDS = "id name slug description visibility version"
CREATE = f"""
mutation($input: CreateTagInput!, $key: String) {{
  createTag(input: $input, idempotencyKey: $key) {{ tag {{ {TAG_FIELDS} }} {ERRORS} }}
}}"""
UPDATE = f"""
mutation($id: ID!, $version: Int!, $input: UpdateTagInput!) {{
  updateTag(id: $id, version: $version, input: $input) {{ tag {{ {TAG_FIELDS} }} {ERRORS} }}
}}"""
DELETE = f"""
mutation($id: ID!, $version: Int!) {{
  deleteTag(id: $id, version: $version) {{ deletedId {ERRORS} }}
}}"""
MERGE = f"""
mutation($sourceId: ID!, $sourceVersion: Int!, $targetId: ID!, $targetVersion: Int!) {{
  mergeTags(
    sourceId: $sourceId, sourceVersion: $sourceVersion,
    targetId: $targetId, targetVersion: $targetVersion
  ) {{ tag {{ {TAG_FIELDS} }} {ERRORS} }}
}}"""
READ = f"query($slug: String!) {{ tag(slug: $slug) {{ {TAG_FIELDS} }} }}"


@pytest.fixture
async def team(scratch_client: GraphQLClient, scratch_db: Database) -> dict[str, Editor]:
    return await make_team(scratch_client, scratch_db)


async def create_tag(editor: Editor, name: str, **fields: Any) -> dict[str, Any]:
    result = await editor.run(CREATE, {"input": {"name": name, **fields}})
    assert result["errors"] == [], result
    tag: dict[str, Any] = result["tag"]
    return tag


async def stored_tags(database: Database) -> list[tuple[str, str, str | None, str, int]]:
    """(name, slug, description, visibility, version) of every tag, by id."""
    async with create_session_factory(database.engine)() as session:
        rows = await session.execute(
            select(Tag.name, Tag.slug, Tag.description, Tag.visibility, Tag.version).order_by(
                Tag.id
            )
        )
        return [tuple(row) for row in rows]


def codes(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in result["errors"]]


async def test_an_editor_creates_updates_and_deletes_a_tag_with_versions(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = team["editor"]
    created = await create_tag(editor, "Site Reliability", description="On-call and SLOs.")
    assert (created["slug"], created["visibility"], created["version"]) == (
        "site-reliability",
        "PUBLIC",
        1,
    )
    readers_see = await scratch_client.data(READ, {"slug": "site-reliability"})
    assert readers_see["tag"] == created

    updated = await editor.run(
        UPDATE,
        {"id": created["id"], "version": 1, "input": {"name": "SRE", "description": None}},
    )
    assert updated["errors"] == []
    tag = updated["tag"]
    assert (tag["name"], tag["slug"], tag["description"], tag["version"]) == (
        "SRE",
        "site-reliability",  # a slug changes only when sent
        None,
        2,
    )

    deleted = await editor.run(DELETE, {"id": created["id"], "version": 2})
    assert deleted == {"deletedId": created["id"], "errors": []}
    assert await count_rows(scratch_db, Tag) == 0


async def test_an_internal_tag_is_returned_to_its_editor_but_hidden_from_readers(
    team: dict[str, Editor], scratch_client: GraphQLClient
) -> None:
    tag = await create_tag(team["author"], "Roadmap", visibility="INTERNAL")
    assert (tag["name"], tag["visibility"]) == ("Roadmap", "INTERNAL")
    assert (await scratch_client.data(READ, {"slug": "roadmap"})) == {"tag": None}
    published = await team["editor"].run(
        UPDATE, {"id": tag["id"], "version": 1, "input": {"visibility": "PUBLIC"}}
    )
    assert published["tag"]["visibility"] == "PUBLIC"
    assert (await scratch_client.data(READ, {"slug": "roadmap"}))["tag"]["name"] == "Roadmap"


async def test_stale_versions_get_conflict_and_write_nothing(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    tag = await create_tag(editor, "Data")
    other = await create_tag(editor, "Analytics")
    await editor.run(UPDATE, {"id": tag["id"], "version": 1, "input": {"description": "New"}})
    post = await create_post(editor, "Tagged", tag_ids=(tag["id"], other["id"]))
    before = await stored_tags(scratch_db)

    stale_update = await editor.run(
        UPDATE, {"id": tag["id"], "version": 1, "input": {"name": "Old view"}}
    )
    stale_delete = await editor.run(DELETE, {"id": tag["id"], "version": 1})
    stale_source = await editor.run(
        MERGE,
        {"sourceId": tag["id"], "sourceVersion": 1, "targetId": other["id"], "targetVersion": 1},
    )
    stale_target = await editor.run(
        MERGE,
        {"sourceId": other["id"], "sourceVersion": 1, "targetId": tag["id"], "targetVersion": 1},
    )

    for result, field in (
        (stale_update, "version"),
        (stale_delete, "version"),
        (stale_source, "sourceVersion"),
        (stale_target, "targetVersion"),
    ):
        assert [(e["field"], e["code"], e["currentVersion"]) for e in result["errors"]] == [
            (field, "CONFLICT", 2)
        ]
        assert "version 1; it is at version 2 now" in result["errors"][0]["message"]
    assert await stored_tags(scratch_db) == before
    assert await tag_slugs(scratch_db, post) == ["data", "analytics"]
    assert await post_version(scratch_db, post) == 1


async def test_two_concurrent_writers_one_wins_the_other_gets_conflict(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    tag = await create_tag(editor, "Shared")
    results = await asyncio.gather(
        editor.run(UPDATE, {"id": tag["id"], "version": 1, "input": {"description": "Mine"}}),
        editor.run(UPDATE, {"id": tag["id"], "version": 1, "input": {"description": "Yours"}}),
    )
    winner, loser = sorted(results, key=lambda result: bool(result["errors"]))
    assert winner["errors"] == [] and winner["tag"]["version"] == 2
    assert [(e["code"], e["currentVersion"]) for e in loser["errors"]] == [("CONFLICT", 2)]
    [(_, _, description, _, version)] = await stored_tags(scratch_db)
    assert (description, version) == (winner["tag"]["description"], 2)


async def test_invalid_fields_are_all_reported_and_nothing_is_written(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    result = await team["editor"].run(
        CREATE, {"input": {"name": " ", "slug": "-bad--slug-", "description": "d" * 2_001}}
    )
    assert result["tag"] is None
    assert set(codes(result)) == {
        ("name", "INVALID"),
        ("slug", "INVALID"),
        ("description", "INVALID"),
    }
    too_long = await team["editor"].run(CREATE, {"input": {"name": "n" * 201}})
    assert codes(too_long) == [("name", "INVALID")]
    assert await count_rows(scratch_db, Tag) == 0

    tag = await create_tag(team["editor"], "Mobile")
    before = await stored_tags(scratch_db)
    cleared = await team["editor"].run(
        UPDATE,
        {"id": tag["id"], "version": 1, "input": {"name": None, "visibility": None}},
    )
    assert set(codes(cleared)) == {("name", "INVALID"), ("visibility", "INVALID")}
    assert await stored_tags(scratch_db) == before


async def test_tag_names_and_slugs_are_unique(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    first = await create_tag(editor, "Machine Learning")
    same_name = await editor.run(CREATE, {"input": {"name": "machine LEARNING"}})
    assert codes(same_name) == [("name", "INVALID")]
    second = await create_tag(editor, "Machine-Learning")  # another name, the same slug base
    assert (first["slug"], second["slug"]) == ("machine-learning", "machine-learning-2")
    taken = await editor.run(
        UPDATE, {"id": second["id"], "version": 1, "input": {"slug": "machine-learning"}}
    )
    assert codes(taken) == [("slug", "INVALID")]
    renamed = await editor.run(
        UPDATE, {"id": second["id"], "version": 1, "input": {"name": "Machine learning"}}
    )
    assert codes(renamed) == [("name", "INVALID")]
    assert [row[:2] for row in await stored_tags(scratch_db)] == [
        ("Machine Learning", "machine-learning"),
        ("Machine-Learning", "machine-learning-2"),
    ]


# Which roles may run each tag mutation.
ALLOWED = {
    "createTag": {"author", "editor", "admin"},
    "updateTag": {"editor", "admin"},
    "deleteTag": {"editor", "admin"},
    "mergeTags": {"editor", "admin"},
}


async def test_roles_decide_who_changes_tags(team: dict[str, Editor], scratch_db: Database) -> None:
    for role in ("contributor", "author", "editor", "admin"):
        target = await create_tag(team["admin"], f"Target {role}")
        doomed = await create_tag(team["admin"], f"Doomed {role}")
        source = await create_tag(team["admin"], f"Source {role}")
        into = await create_tag(team["admin"], f"Into {role}")
        before = await stored_tags(scratch_db)
        results = {
            "createTag": await team[role].run(CREATE, {"input": {"name": f"New {role}"}}),
            "updateTag": await team[role].run(
                UPDATE, {"id": target["id"], "version": 1, "input": {"description": role}}
            ),
            "deleteTag": await team[role].run(DELETE, {"id": doomed["id"], "version": 1}),
            "mergeTags": await team[role].run(
                MERGE,
                {
                    "sourceId": source["id"],
                    "sourceVersion": 1,
                    "targetId": into["id"],
                    "targetVersion": 1,
                },
            ),
        }
        for mutation, result in results.items():
            expected = [] if role in ALLOWED[mutation] else [(None, "FORBIDDEN")]
            assert codes(result) == expected, (role, mutation)
        after = await stored_tags(scratch_db)
        if role == "contributor":
            assert after == before
        if role == "author":
            assert after[:-1] == before and after[-1][0] == "New author"


async def test_anonymous_tag_mutations_are_unauthenticated(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    some_tag, other_tag = global_id("Tag", 1), global_id("Tag", 2)
    for query, variables in (
        (CREATE, {"input": {"name": "Nobody"}}),
        (UPDATE, {"id": some_tag, "version": 1, "input": {"name": "Nobody"}}),
        (DELETE, {"id": some_tag, "version": 1}),
        (
            MERGE,
            {"sourceId": some_tag, "sourceVersion": 1, "targetId": other_tag, "targetVersion": 1},
        ),
    ):
        payload = next(iter((await scratch_client.data(query, variables)).values()))
        assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]
    assert await count_rows(scratch_db, Tag) == 0


async def test_unknown_ids_are_not_found_on_the_field_that_named_them(
    team: dict[str, Editor],
) -> None:
    editor = team["editor"]
    known = await create_tag(editor, "Known")
    unknown = global_id("Tag", 999)
    update = await editor.run(UPDATE, {"id": unknown, "version": 1, "input": {"name": "X"}})
    delete = await editor.run(DELETE, {"id": unknown, "version": 1})
    merge = {"sourceVersion": 1, "targetVersion": 1}
    from_unknown = await editor.run(MERGE, {**merge, "sourceId": unknown, "targetId": known["id"]})
    into_unknown = await editor.run(MERGE, {**merge, "sourceId": known["id"], "targetId": unknown})
    into_itself = await editor.run(
        MERGE, {**merge, "sourceId": known["id"], "targetId": known["id"]}
    )
    assert codes(update) == codes(delete) == [("id", "NOT_FOUND")]
    assert codes(from_unknown) == [("sourceId", "NOT_FOUND")]
    assert codes(into_unknown) == [("targetId", "NOT_FOUND")]
    assert codes(into_itself) == [("targetId", "INVALID")]


async def test_deleting_a_tag_removes_it_from_posts_which_get_new_versions(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    doomed, kept = await create_tag(editor, "Doomed"), await create_tag(editor, "Kept")
    first = await create_post(editor, "First", tag_ids=(doomed["id"], kept["id"]))
    second = await create_post(editor, "Second", tag_ids=(kept["id"], doomed["id"]))
    untouched = await create_post(editor, "Untouched", tag_ids=(kept["id"],))

    deleted = await editor.run(DELETE, {"id": doomed["id"], "version": 1})
    assert deleted == {"deletedId": doomed["id"], "errors": []}
    posts = (first, second, untouched)
    assert [await tag_slugs(scratch_db, post) for post in posts] == [["kept"]] * 3
    assert [await post_version(scratch_db, post) for post in posts] == [2, 2, 1]
    assert await count_rows(scratch_db, PostTag) == 3

    # An editor still holding the old post cannot put the deleted tag's neighbours back unseen.
    stale = await editor.run(
        UPDATE_POST, {"id": first["id"], "version": 1, "input": {"tagIds": [kept["id"]]}}
    )
    assert [(e["code"], e["currentVersion"]) for e in stale["errors"]] == [("CONFLICT", 2)]


async def test_merging_moves_posts_to_the_target_without_duplicates_in_order(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    source, target, other = [
        await create_tag(editor, name) for name in ("Source", "Target", "Other")
    ]
    only_source = await create_post(editor, "A", tag_ids=(source["id"], other["id"]))
    both = await create_post(editor, "B", tag_ids=(other["id"], source["id"], target["id"]))
    target_first = await create_post(editor, "C", tag_ids=(target["id"], source["id"]))
    untouched = await create_post(editor, "D", tag_ids=(other["id"], target["id"]))

    merged = await editor.run(
        MERGE,
        {
            "sourceId": source["id"],
            "sourceVersion": 1,
            "targetId": target["id"],
            "targetVersion": 1,
        },
    )
    assert merged["errors"] == []
    assert (merged["tag"]["id"], merged["tag"]["name"], merged["tag"]["version"]) == (
        target["id"],
        "Target",
        2,
    )
    posts = (only_source, both, target_first, untouched)
    assert [await tag_slugs(scratch_db, post) for post in posts] == [
        ["target", "other"],  # the target takes the source's place
        ["other", "target"],  # already had the target: the source is just dropped
        ["target"],
        ["other", "target"],
    ]
    assert [await post_version(scratch_db, post) for post in posts] == [2, 2, 2, 1]
    assert [row[0] for row in await stored_tags(scratch_db)] == ["Target", "Other"]


async def test_a_retried_create_with_the_same_key_returns_the_first_tag(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    variables = {"input": {"name": "Retried"}, "key": "tag-7f3a"}
    first = await team["author"].run(CREATE, variables)
    again = await team["author"].run(CREATE, variables)
    assert first["errors"] == again["errors"] == []
    assert again["tag"] == first["tag"]
    assert await count_rows(scratch_db, Tag) == 1


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "Q&A <i>live</i>"],
)
async def test_markup_in_tag_fields_is_stored_and_returned_verbatim(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database, payload: str
) -> None:
    tag = await create_tag(team["editor"], payload, description=payload)
    assert (tag["name"], tag["description"]) == (payload, payload)
    response = await scratch_client.http.post(
        "/graphql", json={"query": READ, "variables": {"slug": tag["slug"]}}
    )
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["data"]["tag"]["description"] == payload  # not escaped, not rendered
    assert (await stored_tags(scratch_db))[0][:3] == (payload, tag["slug"], payload)
