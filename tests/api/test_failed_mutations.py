"""A failed mutation leaves the database exactly as it was: for every mutation, failing calls
(validation, conflict, not found, and refusals that come after part of the work) are sent over
HTTP, and every row of every table is compared before and after, ignoring nothing.

The failures favour those that strike after the mutation has already written something in its
transaction (a post inserted, a tag created, a slug remembered, a version bumped), where a
missing rollback would leave half a write behind. `test_the_table_lists_every_mutation` fails
when the schema has a mutation `FAILURES` does not list. Refusals by role alone are the
permission matrix's (test_permission_matrix.py), which also compares every table.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import PASSWORD, Editor, make_team
from tests.api.mutations import (
    CREATE_AUTHOR,
    CREATE_EDITOR,
    CREATE_ENDPOINT,
    CREATE_POST,
    CREATE_PUBLICATION,
    CREATE_TAG,
    CREATE_TOKEN,
    DEACTIVATE,
    DELETE_AUTHOR,
    DELETE_ENDPOINT,
    DELETE_POST,
    DELETE_PUBLICATION,
    DELETE_TAG,
    HOOK_URL,
    LINK,
    LOGIN,
    LOGOUT,
    MERGE_TAGS,
    MUTATIONS,
    PING_ENDPOINT,
    PREVIEW_LINK,
    PUBLISH_POST,
    REDELIVER,
    RESTORE,
    REVOKE_TOKEN,
    ROTATE_SECRET,
    SET_AUTHOR,
    SET_ROLE,
    UNLINK,
    UNPUBLISH_POST,
    UPDATE_AUTHOR,
    UPDATE_ENDPOINT,
    UPDATE_POST,
    UPDATE_PUBLICATION,
    UPDATE_SITE,
    UPDATE_TAG,
    anonymous,
    row_id,
    succeed,
    unique,
    unique_slug,
)
from tests.api.reader import global_id
from tests.api.snapshot import snapshot
from tests.conftest import Database, create_database

MISSING = 2**31 - 1  # a row id no table reaches in these tests


@dataclass
class World:
    """One database per backend; every case adds its own content."""

    database: Database
    client: GraphQLClient
    team: dict[str, Editor]  # contributor, author, editor, admin, and anonymous

    @property
    def editor(self) -> Editor:
        return self.team["editor"]


@dataclass
class Call:
    sender: Editor
    query: str
    variables: dict[str, Any]


@dataclass(frozen=True)
class Failure:
    mutation: str
    prepare: Callable[[World], Awaitable[Call]]
    errors: list[tuple[str | None, str]]  # (field, code) of each expected error, sorted

    @property
    def id(self) -> str:
        return f"{self.mutation}-{self.prepare.__name__}"


def failure(
    mutation: str, prepare: Callable[[World], Awaitable[Call]], code: str, *fields: str
) -> Failure:
    """`mutation` fails with `code` on each of `fields` (on none, for the whole request)."""
    named: tuple[str | None, ...] = fields or (None,)
    return Failure(mutation, prepare, sorted((field, code) for field in named))


@pytest.fixture(scope="module")
async def world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    database, cleanup = await create_database(backend, tmp_path_factory.mktemp(backend))
    try:
        async for client in serve(database):
            team = await make_team(client, database)
            team["anonymous"] = anonymous(client)
            yield World(database, client, team)
    finally:
        await cleanup()


# Content, made through the API -----------------------------------------------------------------


async def _tag(world: World) -> str:
    created = await succeed(world.editor, CREATE_TAG, {"input": {"name": unique("Tag")}})
    tag: str = created["tag"]["id"]
    return tag


async def _author(world: World) -> str:
    created = await succeed(world.editor, CREATE_AUTHOR, {"input": {"name": unique("Writer")}})
    author: str = created["author"]["id"]
    return author


async def _post(world: World, owner: str = "editor", **fields: Any) -> tuple[str, int]:
    """A draft (ID and version) with an author and a tag, so a failed write has links to keep."""
    post_input = {
        "title": unique("Post"),
        "body": "Some text.",
        "authorIds": [await _author(world)],
        "tagIds": [await _tag(world)],
        **fields,
    }
    post = (await succeed(world.team[owner], CREATE_POST, {"input": post_input}))["post"]
    return post["id"], post["version"]


async def _published(world: World, **fields: Any) -> tuple[str, int]:
    """A live post whose slug was renamed once (so it has slug history) and three revisions."""
    post_id, version = await _post(world, **fields)
    published = await succeed(world.editor, PUBLISH_POST, {"id": post_id, "version": version})
    version = published["post"]["version"]
    rename = {"id": post_id, "version": version, "input": {"slug": unique_slug("renamed")}}
    renamed = await succeed(world.editor, UPDATE_POST, rename)
    return post_id, renamed["post"]["version"]


async def _linked(world: World) -> tuple[str, int]:
    """A post linked to a translation: its ID and version."""
    post_id, version = await _post(world, language="en")
    other_id, _ = await _post(world, language="fr")
    link = {"id": post_id, "version": version, "of": other_id}
    linked = await succeed(world.editor, LINK, link)
    return post_id, linked["post"]["version"]


def _missing(type_name: str) -> str:
    return global_id(type_name, MISSING)


def _call(sender: Editor, query: str, **variables: Any) -> Call:
    return Call(sender, query, variables)


# Posts ------------------------------------------------------------------------------------------


async def post_with_a_blank_tag_name_after_a_new_one(world: World) -> Call:
    names = [unique("Fresh"), " "]
    post_input = {"title": unique("Post"), "authorIds": [await _author(world)], "tagNames": names}
    return _call(world.editor, CREATE_POST, input=post_input)


async def post_by_a_contributor_naming_a_new_tag(world: World) -> Call:
    post_input = {"title": unique("Post"), "tagNames": [unique("Fresh")]}
    return _call(world.team["contributor"], CREATE_POST, input=post_input)


async def post_with_an_unknown_tag(world: World) -> Call:
    post_input = {
        "title": unique("Post"),
        "tagNames": [unique("Fresh")],
        "tagIds": [_missing("Tag")],
    }
    return _call(world.editor, CREATE_POST, input=post_input)


async def post_with_invalid_fields(world: World) -> Call:
    post_input = {"title": " ", "slug": "Not A Slug", "canonicalUrl": "javascript:alert(1)"}
    return _call(world.editor, CREATE_POST, input=post_input)


async def rename_with_a_stale_version(world: World) -> Call:
    post_id, version = await _published(world)
    changes = {"title": unique("Title"), "slug": unique_slug("again")}
    return _call(world.editor, UPDATE_POST, id=post_id, version=version - 1, input=changes)


async def edit_then_an_unknown_tag(world: World) -> Call:
    post_id, version = await _post(world)
    changes = {"title": unique("Title"), "body": "New text.", "tagIds": [_missing("Tag")]}
    return _call(world.editor, UPDATE_POST, id=post_id, version=version, input=changes)


async def edit_then_a_blank_tag_name_after_a_new_one(world: World) -> Call:
    post_id, version = await _post(world)
    changes = {"title": unique("Title"), "tagNames": [unique("Fresh"), ""]}
    return _call(world.editor, UPDATE_POST, id=post_id, version=version, input=changes)


async def edit_by_a_contributor_naming_a_new_tag(world: World) -> Call:
    post_id, version = await _post(world, owner="contributor", authorIds=[], tagIds=[])
    changes = {"title": unique("Title"), "tagNames": [unique("Fresh")]}
    return _call(world.team["contributor"], UPDATE_POST, id=post_id, version=version, input=changes)


async def edit_of_a_missing_post(world: World) -> Call:
    return _call(world.editor, UPDATE_POST, id=_missing("Post"), version=1, input={"title": "X"})


async def publish_with_a_stale_version(world: World) -> Call:
    post_id, version = await _post(world)
    await succeed(world.editor, UPDATE_POST, {"id": post_id, "version": version, "input": {}})
    return _call(world.editor, PUBLISH_POST, id=post_id, version=version)


async def publish_at_a_time_without_zone(world: World) -> Call:
    post_id, version = await _post(world)
    return _call(world.editor, PUBLISH_POST, id=post_id, version=version, at="2999-01-01T00:00:00")


async def unpublish_with_a_stale_version(world: World) -> Call:
    post_id, version = await _published(world)
    return _call(world.editor, UNPUBLISH_POST, id=post_id, version=version - 1)


async def delete_with_a_stale_version(world: World) -> Call:
    post_id, version = await _published(world)
    return _call(world.editor, DELETE_POST, id=post_id, version=version - 1)


async def delete_a_missing_post(world: World) -> Call:
    return _call(world.editor, DELETE_POST, id=_missing("Post"), version=1)


async def preview_a_missing_post(world: World) -> Call:
    return _call(world.editor, PREVIEW_LINK, id=_missing("Post"))


async def preview_another_authors_draft(world: World) -> Call:
    post_id, _ = await _post(world)
    return _call(world.team["author"], PREVIEW_LINK, id=post_id)


async def _first_revision(world: World, post_id: str) -> str:
    async with world.database.engine.connect() as connection:
        revision = await connection.scalar(
            text("SELECT id FROM post_revisions WHERE post_id = :id AND version = 1"),
            {"id": row_id(post_id)},
        )
    return global_id("PostRevision", revision)


async def restore_with_a_stale_version(world: World) -> Call:
    post_id, version = await _published(world)
    revision = await _first_revision(world, post_id)
    return _call(world.editor, RESTORE, revisionId=revision, version=version - 1)


async def restore_a_missing_revision(world: World) -> Call:
    return _call(world.editor, RESTORE, revisionId=_missing("PostRevision"), version=1)


async def link_with_a_stale_version(world: World) -> Call:
    post_id, version = await _published(world, language="en")
    other_id, _ = await _post(world, language="fr")  # not linked yet: it would get a group
    return _call(world.editor, LINK, id=post_id, version=version - 1, of=other_id)


async def link_to_a_language_taken(world: World) -> Call:
    linked_id, _ = await _linked(world)  # en, linked to fr
    post_id, version = await _post(world, language="fr")
    return _call(world.editor, LINK, id=post_id, version=version, of=linked_id)


async def link_to_a_missing_post(world: World) -> Call:
    post_id, version = await _post(world)
    return _call(world.editor, LINK, id=post_id, version=version, of=_missing("Post"))


async def unlink_with_a_stale_version(world: World) -> Call:
    post_id, version = await _linked(world)
    return _call(world.editor, UNLINK, id=post_id, version=version - 1)


async def unlink_a_post_never_linked(world: World) -> Call:
    post_id, version = await _post(world)
    return _call(world.editor, UNLINK, id=post_id, version=version)


# Authors and tags -------------------------------------------------------------------------------


async def author_with_invalid_fields(world: World) -> Call:
    fields = {"name": " ", "slug": "Bad Slug", "website": "javascript:alert(1)"}
    return _call(world.editor, CREATE_AUTHOR, input=fields)


async def author_update_with_a_stale_version(world: World) -> Call:
    author_id = await _author(world)
    await succeed(world.editor, UPDATE_AUTHOR, {"id": author_id, "version": 1, "input": {}})
    return _call(world.editor, UPDATE_AUTHOR, id=author_id, version=1, input={"bio": "New"})


async def author_update_to_a_taken_slug(world: World) -> Call:
    author_id = await _author(world)
    taken = await _author(world)
    async with world.database.engine.connect() as connection:
        slug = await connection.scalar(
            text("SELECT slug FROM authors WHERE id = :id"), {"id": row_id(taken)}
        )
    changes = {"name": unique("Renamed"), "slug": slug}
    return _call(world.editor, UPDATE_AUTHOR, id=author_id, version=1, input=changes)


async def delete_an_author_with_posts(world: World) -> Call:
    author_id = await _author(world)
    await _post(world, authorIds=[author_id])
    return _call(world.editor, DELETE_AUTHOR, id=author_id, version=1)


async def delete_an_author_for_a_missing_one(world: World) -> Call:
    author_id = await _author(world)
    await _post(world, authorIds=[author_id])
    reassign = _missing("Author")
    return _call(world.editor, DELETE_AUTHOR, id=author_id, version=1, reassignTo=reassign)


async def delete_an_author_with_a_stale_version(world: World) -> Call:
    author_id = await _author(world)
    await _post(world, authorIds=[author_id])
    await succeed(world.editor, UPDATE_AUTHOR, {"id": author_id, "version": 1, "input": {}})
    other = await _author(world)
    return _call(world.editor, DELETE_AUTHOR, id=author_id, version=1, reassignTo=other)


async def tag_with_a_name_taken_in_another_case(world: World) -> Call:
    name = unique("Taken")
    await succeed(world.editor, CREATE_TAG, {"input": {"name": name}})
    return _call(world.editor, CREATE_TAG, input={"name": name.upper()})


async def tag_update_to_a_taken_name(world: World) -> Call:
    name = unique("Taken")
    await succeed(world.editor, CREATE_TAG, {"input": {"name": name}})
    tag_id = await _tag(world)
    changes = {"name": name, "description": "New"}
    return _call(world.editor, UPDATE_TAG, id=tag_id, version=1, input=changes)


async def tag_update_with_a_stale_version(world: World) -> Call:
    tag_id = await _tag(world)
    await succeed(world.editor, UPDATE_TAG, {"id": tag_id, "version": 1, "input": {}})
    return _call(world.editor, UPDATE_TAG, id=tag_id, version=1, input={"description": "New"})


async def _tag_on_posts(world: World) -> str:
    tag_id = await _tag(world)
    await _post(world, tagIds=[tag_id])
    await _post(world, tagIds=[tag_id, await _tag(world)])
    return tag_id


async def delete_a_tag_with_a_stale_version(world: World) -> Call:
    tag_id = await _tag_on_posts(world)
    await succeed(world.editor, UPDATE_TAG, {"id": tag_id, "version": 1, "input": {}})
    return _call(world.editor, DELETE_TAG, id=tag_id, version=1)


async def merge_into_a_stale_target(world: World) -> Call:
    source, target = await _tag_on_posts(world), await _tag_on_posts(world)
    await succeed(world.editor, UPDATE_TAG, {"id": target, "version": 1, "input": {}})
    versions = {"sourceVersion": 1, "targetVersion": 1}
    return _call(world.editor, MERGE_TAGS, source=source, target=target, **versions)


async def merge_into_a_missing_tag(world: World) -> Call:
    source = await _tag_on_posts(world)
    versions = {"sourceVersion": 1, "targetVersion": 1}
    return _call(world.editor, MERGE_TAGS, source=source, target=_missing("Tag"), **versions)


async def merge_a_tag_into_itself(world: World) -> Call:
    tag_id = await _tag_on_posts(world)
    versions = {"sourceVersion": 1, "targetVersion": 1}
    return _call(world.editor, MERGE_TAGS, source=tag_id, target=tag_id, **versions)


# Accounts and sessions --------------------------------------------------------------------------


async def publication_with_a_url_that_is_not_one(world: World) -> Call:
    return _call(world.editor, CREATE_PUBLICATION, input={"name": "Outlet", "url": "ftp://x"})


async def _publication(world: World) -> str:
    created = await succeed(world.editor, CREATE_PUBLICATION, {"input": {"name": unique("O")}})
    publication_id: str = created["publication"]["id"]
    return publication_id


async def publication_update_with_a_stale_version(world: World) -> Call:
    publication_id = await _publication(world)
    await succeed(
        world.editor, UPDATE_PUBLICATION, {"id": publication_id, "version": 1, "input": {}}
    )
    return _call(world.editor, UPDATE_PUBLICATION, id=publication_id, version=1, input={})


async def delete_a_missing_publication(world: World) -> Call:
    return _call(world.editor, DELETE_PUBLICATION, id=_missing("Publication"), version=1)


async def site_with_a_colour_that_is_not_one(world: World) -> Call:
    return _call(world.team["admin"], UPDATE_SITE, version=1, input={"accentColor": "red"})


async def site_update_from_a_stale_version(world: World) -> Call:
    return _call(world.team["admin"], UPDATE_SITE, version=99, input={"title": "Stale"})


async def token_with_a_blank_name(world: World) -> Call:
    return _call(world.team["admin"], CREATE_TOKEN, name=" ", role="EDITOR")


async def token_expiring_in_the_past(world: World) -> Call:
    bot = {"name": unique("bot"), "role": "EDITOR", "expiresAt": "2001-01-01T00:00:00Z"}
    return _call(world.team["admin"], CREATE_TOKEN, **bot)


async def revoke_a_session_token(world: World) -> Call:
    """Only integration tokens are revoked here; a session's id is not found."""
    async with world.database.engine.connect() as connection:
        session = await connection.scalar(text("SELECT min(id) FROM api_tokens"))
    return _call(world.team["admin"], REVOKE_TOKEN, id=global_id("ApiToken", session))


async def revoke_a_missing_token(world: World) -> Call:
    return _call(world.team["admin"], REVOKE_TOKEN, id=_missing("ApiToken"))


# Webhooks --------------------------------------------------------------------------------------


async def _endpoint(world: World) -> dict[str, Any]:
    hook = {"url": HOOK_URL, "eventTypes": ["post.*"]}
    found: dict[str, Any] = (await succeed(world.team["admin"], CREATE_ENDPOINT, {"input": hook}))[
        "endpoint"
    ]
    return found


async def endpoint_with_a_bad_url(world: World) -> Call:
    hook = {"url": "javascript:alert(1)", "eventTypes": ["*"]}
    return _call(world.team["admin"], CREATE_ENDPOINT, input=hook)


async def endpoint_update_with_a_stale_version(world: World) -> Call:
    endpoint = await _endpoint(world)
    changes = {"active": False}
    return _call(world.team["admin"], UPDATE_ENDPOINT, id=endpoint["id"], version=9, input=changes)


async def rotate_the_secret_of_a_missing_endpoint(world: World) -> Call:
    return _call(world.team["admin"], ROTATE_SECRET, id=_missing("WebhookEndpoint"), version=1)


async def delete_an_endpoint_with_a_stale_version(world: World) -> Call:
    endpoint = await _endpoint(world)
    return _call(world.team["admin"], DELETE_ENDPOINT, id=endpoint["id"], version=9)


async def ping_a_missing_endpoint(world: World) -> Call:
    return _call(world.team["admin"], PING_ENDPOINT, id=_missing("WebhookEndpoint"))


async def redeliver_a_missing_delivery(world: World) -> Call:
    return _call(world.team["admin"], REDELIVER, id=_missing("WebhookDelivery"))


def _account(**fields: Any) -> dict[str, Any]:
    email = unique_slug("new") + "@example.com"
    return {"email": email, "displayName": "New", "password": PASSWORD, "role": "AUTHOR", **fields}


async def account_with_a_taken_email(world: World) -> Call:
    return _call(world.team["admin"], CREATE_EDITOR, input=_account(email="Author@Example.com"))


async def account_for_a_missing_author(world: World) -> Call:
    account = _account(authorId=_missing("Author"))
    return _call(world.team["admin"], CREATE_EDITOR, input=account)


async def account_with_a_short_password(world: World) -> Call:
    return _call(world.team["admin"], CREATE_EDITOR, input=_account(password="short"))


def _editor_id(world: World, role: str) -> str:
    return global_id("Editor", world.team[role].editor_id)


async def admin_demoting_themselves(world: World) -> Call:
    admin_id = _editor_id(world, "admin")
    return _call(world.team["admin"], SET_ROLE, id=admin_id, version=1, role="EDITOR")


async def role_of_a_missing_account(world: World) -> Call:
    return _call(world.team["admin"], SET_ROLE, id=_missing("Editor"), version=1, role="ADMIN")


async def role_change_from_a_stale_version(world: World) -> Call:
    editor_id = _editor_id(world, "author")
    changed = await world.team["admin"].run(
        SET_ROLE, {"id": editor_id, "version": 1, "role": "EDITOR"}
    )
    assert changed["errors"] == [], changed
    return _call(world.team["admin"], SET_ROLE, id=editor_id, version=1, role="AUTHOR")


async def byline_of_a_missing_author(world: World) -> Call:
    editor_id = _editor_id(world, "editor")
    return _call(
        world.team["admin"], SET_AUTHOR, id=editor_id, version=1, authorId=_missing("Author")
    )


async def byline_from_a_stale_version(world: World) -> Call:
    editor_id = _editor_id(world, "contributor")
    changed = await world.team["admin"].run(
        SET_AUTHOR, {"id": editor_id, "version": 1, "authorId": None}
    )
    assert changed["errors"] == [], changed
    return _call(world.team["admin"], SET_AUTHOR, id=editor_id, version=1, authorId=None)


async def admin_deactivating_themselves(world: World) -> Call:
    return _call(world.team["admin"], DEACTIVATE, id=_editor_id(world, "admin"))


async def deactivate_a_missing_account(world: World) -> Call:
    return _call(world.team["admin"], DEACTIVATE, id=_missing("Editor"))


async def login_with_a_wrong_password(world: World) -> Call:
    credentials = {"email": "author@example.com", "password": "not the password"}
    return _call(world.team["anonymous"], LOGIN, **credentials)


async def login_as_nobody(world: World) -> Call:
    return _call(world.team["anonymous"], LOGIN, email="nobody@example.com", password=PASSWORD)


async def logout_without_a_token(world: World) -> Call:
    return _call(world.team["anonymous"], LOGOUT)


# The table --------------------------------------------------------------------------------------

FAILURES = (
    failure("createPost", post_with_a_blank_tag_name_after_a_new_one, "INVALID", "tagNames"),
    failure("createPost", post_by_a_contributor_naming_a_new_tag, "FORBIDDEN", "tagNames"),
    failure("createPost", post_with_an_unknown_tag, "NOT_FOUND", "tagIds"),
    failure("createPost", post_with_invalid_fields, "INVALID", "title", "slug", "canonicalUrl"),
    failure("updatePost", rename_with_a_stale_version, "CONFLICT", "version"),
    failure("updatePost", edit_then_an_unknown_tag, "NOT_FOUND", "tagIds"),
    failure("updatePost", edit_then_a_blank_tag_name_after_a_new_one, "INVALID", "tagNames"),
    failure("updatePost", edit_by_a_contributor_naming_a_new_tag, "FORBIDDEN", "tagNames"),
    failure("updatePost", edit_of_a_missing_post, "NOT_FOUND", "id"),
    failure("publishPost", publish_with_a_stale_version, "CONFLICT", "version"),
    failure("publishPost", publish_at_a_time_without_zone, "INVALID", "at"),
    failure("unpublishPost", unpublish_with_a_stale_version, "CONFLICT", "version"),
    failure("deletePost", delete_with_a_stale_version, "CONFLICT", "version"),
    failure("deletePost", delete_a_missing_post, "NOT_FOUND", "id"),
    failure("createPreviewLink", preview_a_missing_post, "NOT_FOUND", "postId"),
    failure("createPreviewLink", preview_another_authors_draft, "FORBIDDEN", "postId"),
    failure("restorePostRevision", restore_with_a_stale_version, "CONFLICT", "version"),
    failure("restorePostRevision", restore_a_missing_revision, "NOT_FOUND", "revisionId"),
    failure("linkTranslation", link_with_a_stale_version, "CONFLICT", "version"),
    failure("linkTranslation", link_to_a_language_taken, "INVALID", "translationOf"),
    failure("linkTranslation", link_to_a_missing_post, "NOT_FOUND", "translationOf"),
    failure("unlinkTranslation", unlink_with_a_stale_version, "CONFLICT", "version"),
    failure("unlinkTranslation", unlink_a_post_never_linked, "INVALID", "id"),
    failure("createAuthor", author_with_invalid_fields, "INVALID", "name", "slug", "website"),
    failure("updateAuthor", author_update_with_a_stale_version, "CONFLICT", "version"),
    failure("updateAuthor", author_update_to_a_taken_slug, "INVALID", "slug"),
    failure("deleteAuthor", delete_an_author_with_posts, "INVALID", "reassignTo"),
    failure("deleteAuthor", delete_an_author_for_a_missing_one, "NOT_FOUND", "reassignTo"),
    failure("deleteAuthor", delete_an_author_with_a_stale_version, "CONFLICT", "version"),
    failure("createTag", tag_with_a_name_taken_in_another_case, "INVALID", "name"),
    failure("updateTag", tag_update_to_a_taken_name, "INVALID", "name"),
    failure("updateTag", tag_update_with_a_stale_version, "CONFLICT", "version"),
    failure("deleteTag", delete_a_tag_with_a_stale_version, "CONFLICT", "version"),
    failure("mergeTags", merge_into_a_stale_target, "CONFLICT", "targetVersion"),
    failure("mergeTags", merge_into_a_missing_tag, "NOT_FOUND", "targetId"),
    failure("mergeTags", merge_a_tag_into_itself, "INVALID", "targetId"),
    failure("createPublication", publication_with_a_url_that_is_not_one, "INVALID", "url"),
    failure("updatePublication", publication_update_with_a_stale_version, "CONFLICT", "version"),
    failure("deletePublication", delete_a_missing_publication, "NOT_FOUND", "id"),
    failure("updateSite", site_with_a_colour_that_is_not_one, "INVALID", "accentColor"),
    failure("updateSite", site_update_from_a_stale_version, "CONFLICT", "version"),
    failure("createApiToken", token_with_a_blank_name, "INVALID", "name"),
    failure("createApiToken", token_expiring_in_the_past, "INVALID", "expiresAt"),
    failure("revokeApiToken", revoke_a_session_token, "NOT_FOUND", "id"),
    failure("revokeApiToken", revoke_a_missing_token, "NOT_FOUND", "id"),
    failure("createEditor", account_with_a_taken_email, "INVALID", "email"),
    failure("createEditor", account_for_a_missing_author, "NOT_FOUND", "authorId"),
    failure("createEditor", account_with_a_short_password, "INVALID", "password"),
    failure("setEditorRole", admin_demoting_themselves, "INVALID", "id"),
    failure("setEditorRole", role_of_a_missing_account, "NOT_FOUND", "id"),
    failure("setEditorRole", role_change_from_a_stale_version, "CONFLICT", "version"),
    failure("setEditorAuthor", byline_of_a_missing_author, "NOT_FOUND", "authorId"),
    failure("setEditorAuthor", byline_from_a_stale_version, "CONFLICT", "version"),
    failure("deactivateEditor", admin_deactivating_themselves, "INVALID", "id"),
    failure("deactivateEditor", deactivate_a_missing_account, "NOT_FOUND", "id"),
    failure("createWebhookEndpoint", endpoint_with_a_bad_url, "INVALID", "url"),
    failure("updateWebhookEndpoint", endpoint_update_with_a_stale_version, "CONFLICT", "version"),
    failure("rotateWebhookSecret", rotate_the_secret_of_a_missing_endpoint, "NOT_FOUND", "id"),
    failure(
        "deleteWebhookEndpoint", delete_an_endpoint_with_a_stale_version, "CONFLICT", "version"
    ),
    failure("pingWebhookEndpoint", ping_a_missing_endpoint, "NOT_FOUND", "id"),
    failure("redeliverWebhook", redeliver_a_missing_delivery, "NOT_FOUND", "id"),
    failure("login", login_with_a_wrong_password, "INVALID_CREDENTIALS"),
    failure("login", login_as_nobody, "INVALID_CREDENTIALS"),
    failure("logout", logout_without_a_token, "UNAUTHENTICATED"),
)


async def test_the_table_lists_every_mutation(world: World) -> None:
    fields = (await world.client.data(MUTATIONS))["__type"]["fields"]
    assert {mutation["name"] for mutation in fields} == {f.mutation for f in FAILURES}


@pytest.mark.parametrize("failure", [pytest.param(f, id=f.id) for f in FAILURES])
async def test_a_failed_mutation_changes_no_row_of_any_table(
    world: World, failure: Failure
) -> None:
    call = await failure.prepare(world)
    before = await snapshot(world.database)
    payload = await call.sender.run(call.query, call.variables)
    errors = sorted((error["field"], error["code"]) for error in payload["errors"])
    assert errors == failure.errors, payload
    assert not [value for name, value in payload.items() if name != "errors" and value]
    assert await snapshot(world.database) == before
