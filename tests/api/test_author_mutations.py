"""Author mutations over HTTP: create, partial update and delete with versions and conflicts,
validation, roles, idempotent creates, and handing a deleted author's posts to another one."""

from typing import Any

import pytest
from sqlalchemy import select

from app.database import create_session_factory
from models import Author, EditorRole
from models import Editor as EditorModel
from tests.api.conftest import GraphQLClient
from tests.api.editors import Editor, count_rows, make_editor, make_team
from tests.api.post_relations import (
    ERRORS,
    UPDATE_POST,
    bylines,
    create_post,
    global_id,
    post_version,
)
from tests.conftest import Database

AUTHOR_FIELDS = "id name slug jobTitle bio avatarUrl website version"
CREATE = f"""
mutation($input: CreateAuthorInput!, $key: String) {{
  createAuthor(input: $input, idempotencyKey: $key) {{ author {{ {AUTHOR_FIELDS} }} {ERRORS} }}
}}"""
UPDATE = f"""
mutation($id: ID!, $version: Int!, $input: UpdateAuthorInput!) {{
  updateAuthor(id: $id, version: $version, input: $input) {{
    author {{ {AUTHOR_FIELDS} }} {ERRORS}
  }}
}}"""
DELETE = f"""
mutation($id: ID!, $version: Int!, $reassignTo: ID) {{
  deleteAuthor(id: $id, version: $version, reassignTo: $reassignTo) {{ deletedId {ERRORS} }}
}}"""
READ = f"query($slug: String!) {{ author(slug: $slug) {{ {AUTHOR_FIELDS} }} }}"


@pytest.fixture
async def team(scratch_client: GraphQLClient, scratch_db: Database) -> dict[str, Editor]:
    return await make_team(scratch_client, scratch_db)


async def create_author(editor: Editor, name: str, **fields: Any) -> dict[str, Any]:
    result = await editor.run(CREATE, {"input": {"name": name, **fields}})
    assert result["errors"] == [], result
    author: dict[str, Any] = result["author"]
    return author


async def stored_authors(database: Database) -> list[tuple[str, str, str | None, int]]:
    """(name, slug, job title, version) of every author, by id."""
    async with create_session_factory(database.engine)() as session:
        rows = await session.execute(
            select(Author.name, Author.slug, Author.job_title, Author.version).order_by(Author.id)
        )
        return [tuple(row) for row in rows]


async def stored_author_ids(database: Database) -> list[int]:
    async with create_session_factory(database.engine)() as session:
        return list(await session.scalars(select(Author.id).order_by(Author.id)))


async def test_an_editor_creates_updates_and_deletes_an_author_with_versions(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = team["editor"]
    created = await create_author(
        editor, "Ada Lovelace", bio="Wrote the first program.", website="https://ada.example.com"
    )
    assert (created["slug"], created["version"], created["jobTitle"]) == ("ada-lovelace", 1, None)

    updated = await editor.run(
        UPDATE,
        {"id": created["id"], "version": 1, "input": {"jobTitle": "Analyst", "bio": None}},
    )
    assert updated["errors"] == []
    author = updated["author"]
    assert (author["name"], author["jobTitle"], author["bio"]) == ("Ada Lovelace", "Analyst", None)
    assert author["website"] == "https://ada.example.com"
    assert author["version"] == 2
    readers_see = await scratch_client.data(READ, {"slug": "ada-lovelace"})
    assert readers_see["author"] == author

    deleted = await editor.run(DELETE, {"id": created["id"], "version": 2})
    assert deleted == {"deletedId": created["id"], "errors": []}
    assert await count_rows(scratch_db, Author) == 0


async def test_a_stale_version_gets_conflict_and_writes_nothing(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    author = await create_author(editor, "Grace Hopper")
    await editor.run(UPDATE, {"id": author["id"], "version": 1, "input": {"jobTitle": "Admiral"}})
    before = await stored_authors(scratch_db)

    stale_update = await editor.run(
        UPDATE, {"id": author["id"], "version": 1, "input": {"name": "Someone else"}}
    )
    stale_delete = await editor.run(DELETE, {"id": author["id"], "version": 1})

    for result in (stale_update, stale_delete):
        assert result["errors"] == [
            {
                "field": "version",
                "code": "CONFLICT",
                "message": "This author changed since version 1; it is at version 2 now. "
                "Reload it, reapply your edit and save again.",
                "currentVersion": 2,
            }
        ]
    assert stale_update["author"] is None and stale_delete["deletedId"] is None
    assert (
        await stored_authors(scratch_db)
        == before
        == [("Grace Hopper", "grace-hopper", "Admiral", 2)]
    )


async def test_invalid_fields_are_all_reported_and_nothing_is_written(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    result = await team["editor"].run(
        CREATE,
        {
            "input": {
                "name": "   ",
                "slug": "Not A Slug",
                "jobTitle": "x" * 201,
                "bio": "y" * 2_001,
                "avatarUrl": "javascript:alert(1)",
                "website": "ftp://example.com",
            }
        },
    )
    assert result["author"] is None
    assert {(e["field"], e["code"]) for e in result["errors"]} == {
        ("name", "INVALID"),
        ("slug", "INVALID"),
        ("jobTitle", "INVALID"),
        ("bio", "INVALID"),
        ("avatarUrl", "INVALID"),
        ("website", "INVALID"),
    }
    assert await count_rows(scratch_db, Author) == 0


async def test_the_name_cannot_be_cleared_and_a_failed_update_changes_nothing(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    author = await create_author(team["editor"], "Alan Turing", jobTitle="Mathematician")
    before = await stored_authors(scratch_db)
    result = await team["editor"].run(
        UPDATE,
        {
            "id": author["id"],
            "version": 1,
            "input": {"name": None, "jobTitle": "Codebreaker", "website": "not a url"},
        },
    )
    assert {(e["field"], e["code"]) for e in result["errors"]} == {
        ("name", "INVALID"),
        ("website", "INVALID"),
    }
    assert await stored_authors(scratch_db) == before


async def test_slugs_come_from_the_name_and_a_taken_one_is_refused(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    first = await create_author(editor, "Diseño Gráfico")
    second = await create_author(editor, "Diseño Gráfico")
    assert (first["slug"], second["slug"]) == ("diseno-grafico", "diseno-grafico-2")

    taken = await editor.run(CREATE, {"input": {"name": "Other", "slug": "diseno-grafico"}})
    assert [(e["field"], e["code"]) for e in taken["errors"]] == [("slug", "INVALID")]
    renamed = await editor.run(
        UPDATE, {"id": second["id"], "version": 1, "input": {"slug": "diseno-grafico"}}
    )
    assert [(e["field"], e["code"]) for e in renamed["errors"]] == [("slug", "INVALID")]
    regenerated = await editor.run(
        UPDATE, {"id": second["id"], "version": 1, "input": {"name": "Tipografía", "slug": None}}
    )
    assert regenerated["author"]["slug"] == "tipografia"
    assert await count_rows(scratch_db, Author) == 2


async def test_only_editors_and_admins_change_authors(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    for role, allowed in (
        ("contributor", False),
        ("author", False),
        ("editor", True),
        ("admin", True),
    ):
        target = await create_author(team["admin"], f"Target for {role}")
        doomed = await create_author(team["admin"], f"Doomed for {role}")
        before = await stored_authors(scratch_db)
        results = [
            await team[role].run(CREATE, {"input": {"name": f"New by {role}"}}),
            await team[role].run(
                UPDATE, {"id": target["id"], "version": 1, "input": {"jobTitle": role}}
            ),
            await team[role].run(DELETE, {"id": doomed["id"], "version": 1}),
        ]
        codes = [[e["code"] for e in result["errors"]] for result in results]
        if allowed:
            assert codes == [[], [], []], role
            assert len(await stored_authors(scratch_db)) == len(before), role  # +1 -1
        else:
            assert codes == [["FORBIDDEN"]] * 3, role
            assert await stored_authors(scratch_db) == before, role


async def test_anonymous_author_mutations_are_unauthenticated(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    some_author = global_id("Author", 1)
    for query, variables in (
        (CREATE, {"input": {"name": "Nobody"}}),
        (UPDATE, {"id": some_author, "version": 1, "input": {"name": "Nobody"}}),
        (DELETE, {"id": some_author, "version": 1}),
    ):
        payload = next(iter((await scratch_client.data(query, variables)).values()))
        assert [e["code"] for e in payload["errors"]] == ["UNAUTHENTICATED"]
    assert await count_rows(scratch_db, Author) == 0


async def test_unknown_ids_are_not_found_on_the_field_that_named_them(
    team: dict[str, Editor],
) -> None:
    editor = team["editor"]
    author = await create_author(editor, "Known")
    unknown = global_id("Author", 999)
    update = await editor.run(UPDATE, {"id": unknown, "version": 1, "input": {"name": "X"}})
    delete = await editor.run(DELETE, {"id": unknown, "version": 1})
    to_unknown = await editor.run(DELETE, {"id": author["id"], "version": 1, "reassignTo": unknown})
    to_itself = await editor.run(
        DELETE, {"id": author["id"], "version": 1, "reassignTo": author["id"]}
    )
    assert [(e["field"], e["code"]) for e in update["errors"]] == [("id", "NOT_FOUND")]
    assert [(e["field"], e["code"]) for e in delete["errors"]] == [("id", "NOT_FOUND")]
    assert [(e["field"], e["code"]) for e in to_unknown["errors"]] == [("reassignTo", "NOT_FOUND")]
    assert [(e["field"], e["code"]) for e in to_itself["errors"]] == [("reassignTo", "INVALID")]


async def test_an_id_of_another_type_is_refused_before_anything_is_written(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    author = await create_author(team["editor"], "Kept")
    body = await team["editor"].post(
        DELETE, {"id": author["id"], "version": 1, "reassignTo": global_id("Tag", 1)}
    )
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "reassignTo"}
    assert await count_rows(scratch_db, Author) == 1


async def test_an_author_with_posts_needs_a_reassignment_target_and_nothing_is_lost(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    leaving, staying, other = [
        await create_author(editor, name) for name in ("Leaving", "Staying", "Other")
    ]
    shared = await create_post(editor, "Shared", author_ids=[leaving["id"], staying["id"]])
    second = await create_post(editor, "Second", author_ids=[other["id"], leaving["id"]])
    alone = await create_post(editor, "Alone", author_ids=[leaving["id"]])
    untouched = await create_post(editor, "Untouched", author_ids=[other["id"]])
    posts = (shared, second, alone, untouched)

    refused = await editor.run(DELETE, {"id": leaving["id"], "version": 1})
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("reassignTo", "INVALID")]
    assert await count_rows(scratch_db, Author) == 3
    assert [await bylines(scratch_db, post) for post in posts] == [
        ["leaving", "staying"],
        ["other", "leaving"],
        ["leaving"],
        ["other"],
    ]
    assert [await post_version(scratch_db, post) for post in posts] == [1, 1, 1, 1]

    done = await editor.run(
        DELETE, {"id": leaving["id"], "version": 1, "reassignTo": staying["id"]}
    )
    assert done == {"deletedId": leaving["id"], "errors": []}
    assert [await bylines(scratch_db, post) for post in posts] == [
        ["staying"],  # already credited: the leaving author is simply dropped
        ["other", "staying"],  # takes the leaving author's place in the byline
        ["staying"],
        ["other"],
    ]
    assert [await post_version(scratch_db, post) for post in posts] == [2, 2, 2, 1]


async def test_a_stale_edit_of_a_reassigned_post_gets_conflict(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    """An editor still holding the post from before the reassignment cannot undo it unseen."""
    editor = team["editor"]
    leaving, staying = [await create_author(editor, name) for name in ("Leaving", "Staying")]
    post = await create_post(editor, "Post", author_ids=[leaving["id"]])
    await editor.run(DELETE, {"id": leaving["id"], "version": 1, "reassignTo": staying["id"]})
    stale = await editor.run(
        UPDATE_POST, {"id": post["id"], "version": 1, "input": {"authorIds": [staying["id"]]}}
    )
    assert [(e["code"], e["currentVersion"]) for e in stale["errors"]] == [("CONFLICT", 2)]
    assert await bylines(scratch_db, post) == ["staying"]


async def test_deleting_an_author_unlinks_the_account_but_keeps_it(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    profile = await create_author(team["editor"], "Has an account")
    author_row_id = (await stored_author_ids(scratch_db))[0]
    account = await make_editor(
        scratch_client, scratch_db, EditorRole.AUTHOR, "linked", author_id=author_row_id
    )
    deleted = await team["editor"].run(DELETE, {"id": profile["id"], "version": 1})
    assert deleted["errors"] == []
    async with create_session_factory(scratch_db.engine)() as session:
        link = await session.execute(
            select(EditorModel.id, EditorModel.author_id).where(EditorModel.id == account.editor_id)
        )
        assert link.all() == [(account.editor_id, None)]


async def test_a_retried_create_with_the_same_key_returns_the_first_author(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    variables = {"input": {"name": "Flaky network"}, "key": "author-7f3a"}
    first = await team["editor"].run(CREATE, variables)
    again = await team["editor"].run(CREATE, variables)
    assert first["errors"] == again["errors"] == []
    assert again["author"] == first["author"]
    assert await count_rows(scratch_db, Author) == 1
    # Keys belong to whoever sent them: another editor's same key creates their own author.
    other = await team["admin"].run(CREATE, variables)
    assert other["author"]["id"] != first["author"]["id"]
    assert other["author"]["slug"] == "flaky-network-2"


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "Ada & <b>Bob</b>"],
)
async def test_markup_in_author_fields_is_stored_and_returned_verbatim(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database, payload: str
) -> None:
    author = await create_author(team["editor"], payload, bio=payload, jobTitle=payload)
    assert (author["name"], author["bio"], author["jobTitle"]) == (payload, payload, payload)
    response = await scratch_client.http.post(
        "/graphql", json={"query": READ, "variables": {"slug": author["slug"]}}
    )
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["data"]["author"]["bio"] == payload  # not escaped, not rendered
    assert (await stored_authors(scratch_db))[0][0] == payload
