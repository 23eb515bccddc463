"""The permission matrix: every mutation x every role x own or someone else's content, driven by
one table (`RULES`).

The actors are anonymous, the four editor roles and an integration token with the editor role
(no account: it owns only what it created itself). Each cell builds fresh content owned by the
actor ("own") or by a bystander admin ("other"), or none for mutations that make something new
or act on the request's own token ("none"). It sends the mutation over HTTP and checks the exact
outcome: allowed (no errors, and the change is in the database) or refused with the expected
code, an empty payload and every table unchanged. `test_the_table_lists_every_mutation` fails
when the schema has a mutation the table does not list, so none can skip the matrix.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from app.database import create_session_factory
from models import EditorRole
from resolvers import accounts
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import PASSWORD, Editor, make_editor
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

ACTORS = ("anonymous", "contributor", "author", "editor", "admin", "token")
ACCOUNTS = frozenset({"contributor", "author", "editor", "admin"})
SIGNED_IN = ACCOUNTS | {"token"}
EVERYONE = SIGNED_IN | {"anonymous"}
MANAGERS = frozenset({"editor", "admin", "token"})  # every post, author and tag
PUBLISHERS = MANAGERS | {"author"}  # publish their own posts and create tags
ADMINS = frozenset({"admin"})
NOBODY: frozenset[str] = frozenset()

NONE, OWN, OTHER = "none", "own", "other"  # whose content the mutation targets
DRAFT, PUBLISHED = "draft", "published"

PREVIEW = "query($token: String!) { post(previewToken: $token) { id } }"
VIEWER = "{ viewer { name role } }"


@dataclass
class World:
    """One database per backend, shared by every cell; cells only add fresh content."""

    database: Database
    client: GraphQLClient
    actors: dict[str, Editor]  # who sends each cell's mutation
    editor_ids: dict[str, int]  # the accounts' row ids
    token_id: int  # the integration token's row id
    bystander: Editor  # an admin: owns "other" content and moves posts between states


@dataclass(frozen=True)
class Cell:
    actor: str
    ownership: str
    state: str | None  # the target post's status, for post mutations


@dataclass
class Call:
    """One cell's mutation, and how to see that it landed when it is allowed."""

    query: str
    variables: dict[str, Any]
    applied: Callable[[dict[str, Any]], Awaitable[None]]  # asserts on the payload and the rows
    sender: Editor | None = None  # another session of the actor's, when the call ends its own


Prepare = Callable[[World, Cell], Awaitable[Call]]


@dataclass(frozen=True)
class Rule:
    """Who may send `mutation`, per ownership of the content it targets."""

    mutation: str
    prepare: Prepare
    may: Mapping[str, frozenset[str]]  # ownership -> the actors allowed
    state: str | None = None
    case: str | None = None  # tells rules of one mutation apart (default: the state)
    owners: frozenset[str] = SIGNED_IN  # who can own such content: the "own" column
    refusals: Mapping[tuple[str, str], str] = field(default_factory=dict)  # not FORBIDDEN

    @property
    def name(self) -> str:
        case = self.case or self.state
        return f"{self.mutation}[{case}]" if case else self.mutation

    def cells(self) -> Iterator[Cell]:
        for ownership in self.may:
            for actor in ACTORS:
                if ownership != OWN or actor in self.owners:
                    yield Cell(actor, ownership, self.state)

    def refusal(self, cell: Cell) -> str | None:
        """The error code the cell must get, or None when it is allowed."""
        if cell.actor in self.may[cell.ownership]:
            return None
        default = "UNAUTHENTICATED" if cell.actor == "anonymous" else "FORBIDDEN"
        return self.refusals.get((cell.ownership, cell.actor), default)


async def _row(world: World, table: str, key: int) -> dict[str, Any] | None:
    async with world.database.engine.connect() as connection:
        query = text(f"SELECT * FROM {table} WHERE id = :id")
        result = await connection.execute(query, {"id": key})
        row = result.mappings().first()
    return dict(row) if row is not None else None


async def _columns(world: World, table: str, object_id: str, *names: str) -> tuple[Any, ...]:
    """Columns of the row behind a global ID, read with plain SQL."""
    row = await _row(world, table, row_id(object_id))
    assert row is not None, (table, object_id)
    return tuple(row[name] for name in names)


def _owner(world: World, cell: Cell) -> Editor:
    return world.actors[cell.actor] if cell.ownership == OWN else world.bystander


async def _publish(world: World, post_id: str, version: int) -> int:
    published = await succeed(world.bystander, PUBLISH_POST, {"id": post_id, "version": version})
    new_version: int = published["post"]["version"]
    return new_version


async def _post(
    world: World, owner: Editor, state: str | None, *, title: str = "", language: str = "en"
) -> tuple[str, int]:
    """A post by `owner` (drafts may be published by the bystander): its ID and version."""
    post_input = {"title": title or unique("Post"), "language": language}
    post = (await succeed(owner, CREATE_POST, {"input": post_input}))["post"]
    if state == PUBLISHED:
        return post["id"], await _publish(world, post["id"], post["version"])
    return post["id"], post["version"]


# Posts ------------------------------------------------------------------------------------------


async def create_post(world: World, cell: Cell) -> Call:
    title = unique("New post")

    async def applied(payload: dict[str, Any]) -> None:
        owner = world.editor_ids.get(cell.actor)  # None for the token: no account owns it
        row = await _columns(world, "posts", payload["post"]["id"], "title", "status", "owner_id")
        assert row == (title, DRAFT, owner)

    return Call(CREATE_POST, {"input": {"title": title}}, applied)


async def create_post_with_a_new_tag(world: World, cell: Cell) -> Call:
    name = unique("Topic")

    async def applied(payload: dict[str, Any]) -> None:
        async with world.database.engine.connect() as connection:
            linked = await connection.execute(
                text(
                    "SELECT tags.name FROM post_tags JOIN tags ON tags.id = post_tags.tag_id "
                    "WHERE post_tags.post_id = :id"
                ),
                {"id": row_id(payload["post"]["id"])},
            )
            assert list(linked.scalars()) == [name]

    post_input = {"title": unique("Tagged"), "tagNames": [name]}
    return Call(CREATE_POST, {"input": post_input}, applied)


async def update_post(world: World, cell: Cell) -> Call:
    post_id, version = await _post(world, _owner(world, cell), cell.state)
    title = unique("Changed")

    async def applied(_: dict[str, Any]) -> None:
        assert await _columns(world, "posts", post_id, "title", "version") == (title, version + 1)

    variables = {"id": post_id, "version": version, "input": {"title": title}}
    return Call(UPDATE_POST, variables, applied)


async def publish_post(world: World, cell: Cell) -> Call:
    post_id, version = await _post(world, _owner(world, cell), cell.state)

    async def applied(_: dict[str, Any]) -> None:
        status, published_at = await _columns(world, "posts", post_id, "status", "published_at")
        assert status == PUBLISHED and published_at is not None

    return Call(PUBLISH_POST, {"id": post_id, "version": version}, applied)


async def unpublish_post(world: World, cell: Cell) -> Call:
    post_id, version = await _post(world, _owner(world, cell), cell.state)

    async def applied(_: dict[str, Any]) -> None:
        status, published_at = await _columns(world, "posts", post_id, "status", "published_at")
        assert status == DRAFT and published_at is not None  # kept for a later publishPost

    return Call(UNPUBLISH_POST, {"id": post_id, "version": version}, applied)


async def delete_post(world: World, cell: Cell) -> Call:
    post_id, version = await _post(world, _owner(world, cell), cell.state)

    async def applied(payload: dict[str, Any]) -> None:
        assert payload["deletedId"] == post_id
        assert await _row(world, "posts", row_id(post_id)) is None

    return Call(DELETE_POST, {"id": post_id, "version": version}, applied)


async def create_preview_link(world: World, cell: Cell) -> Call:
    post_id, _ = await _post(world, _owner(world, cell), cell.state)

    async def applied(payload: dict[str, Any]) -> None:
        opened = await world.client.data(PREVIEW, {"token": payload["token"]})
        assert opened == {"post": {"id": post_id}}

    return Call(PREVIEW_LINK, {"id": post_id}, applied)


async def restore_post_revision(world: World, cell: Cell) -> Call:
    original = unique("Original")
    post_id, version = await _post(world, _owner(world, cell), None, title=original)
    edit = {"id": post_id, "version": version, "input": {"title": unique("Edited")}}
    version = (await succeed(world.bystander, UPDATE_POST, edit))["post"]["version"]
    if cell.state == PUBLISHED:
        version = await _publish(world, post_id, version)
    async with world.database.engine.connect() as connection:
        first = await connection.scalar(
            text("SELECT id FROM post_revisions WHERE post_id = :id AND version = 1"),
            {"id": row_id(post_id)},
        )
    assert first is not None

    async def applied(_: dict[str, Any]) -> None:
        restored = await _columns(world, "posts", post_id, "title", "version")
        assert restored == (original, version + 1)

    variables = {"revisionId": global_id("PostRevision", first), "version": version}
    return Call(RESTORE, variables, applied)


async def link_translation(world: World, cell: Cell) -> Call:
    post_id, version = await _post(world, _owner(world, cell), cell.state, language="en")
    other_id, _ = await _post(world, world.bystander, None, language="fr")

    async def applied(_: dict[str, Any]) -> None:
        group, new_version = await _columns(world, "posts", post_id, "translation_group", "version")
        assert group is not None and new_version == version + 1
        assert await _columns(world, "posts", other_id, "translation_group") == (group,)

    return Call(LINK, {"id": post_id, "version": version, "of": other_id}, applied)


async def unlink_translation(world: World, cell: Cell) -> Call:
    post_id, version = await _post(world, _owner(world, cell), None, language="en")
    other_id, _ = await _post(world, world.bystander, None, language="fr")
    link = {"id": post_id, "version": version, "of": other_id}
    version = (await succeed(world.bystander, LINK, link))["post"]["version"]
    if cell.state == PUBLISHED:
        version = await _publish(world, post_id, version)

    async def applied(_: dict[str, Any]) -> None:
        unlinked = await _columns(world, "posts", post_id, "translation_group", "version")
        assert unlinked == (None, version + 1)

    return Call(UNLINK, {"id": post_id, "version": version}, applied)


# Authors: an editor's own profile is the one their account writes as ----------------------------


async def _author(world: World, cell: Cell) -> str:
    """A fresh profile, linked to the actor's account ("own") or the bystander's ("other").
    No mutation links an existing account to a profile, so the link is written directly."""
    created = await succeed(world.bystander, CREATE_AUTHOR, {"input": {"name": unique("Writer")}})
    author_id: str = created["author"]["id"]
    holder = world.editor_ids[cell.actor] if cell.ownership == OWN else world.bystander.editor_id
    async with world.database.engine.begin() as connection:
        await connection.execute(
            text("UPDATE editors SET author_id = :author WHERE id = :id"),
            {"author": row_id(author_id), "id": holder},
        )
    return author_id


async def create_author(world: World, cell: Cell) -> Call:
    name = unique("Writer")

    async def applied(payload: dict[str, Any]) -> None:
        assert await _columns(world, "authors", payload["author"]["id"], "name") == (name,)

    return Call(CREATE_AUTHOR, {"input": {"name": name}}, applied)


async def update_author(world: World, cell: Cell) -> Call:
    author_id = await _author(world, cell)
    job = unique("Job")

    async def applied(_: dict[str, Any]) -> None:
        assert await _columns(world, "authors", author_id, "job_title", "version") == (job, 2)

    variables = {"id": author_id, "version": 1, "input": {"jobTitle": job}}
    return Call(UPDATE_AUTHOR, variables, applied)


async def delete_author(world: World, cell: Cell) -> Call:
    author_id = await _author(world, cell)

    async def applied(payload: dict[str, Any]) -> None:
        assert payload["deletedId"] == author_id
        assert await _row(world, "authors", row_id(author_id)) is None

    return Call(DELETE_AUTHOR, {"id": author_id, "version": 1}, applied)


# Tags: nothing records who made a tag; "own" is one the actor created --------------------------


async def _tag(world: World, cell: Cell) -> str:
    created = await succeed(_owner(world, cell), CREATE_TAG, {"input": {"name": unique("Tag")}})
    tag_id: str = created["tag"]["id"]
    return tag_id


async def create_tag(world: World, cell: Cell) -> Call:
    name = unique("Tag")

    async def applied(payload: dict[str, Any]) -> None:
        assert await _columns(world, "tags", payload["tag"]["id"], "name") == (name,)

    return Call(CREATE_TAG, {"input": {"name": name}}, applied)


async def update_tag(world: World, cell: Cell) -> Call:
    tag_id = await _tag(world, cell)
    about = unique("About")

    async def applied(_: dict[str, Any]) -> None:
        assert await _columns(world, "tags", tag_id, "description", "version") == (about, 2)

    variables = {"id": tag_id, "version": 1, "input": {"description": about}}
    return Call(UPDATE_TAG, variables, applied)


async def delete_tag(world: World, cell: Cell) -> Call:
    tag_id = await _tag(world, cell)

    async def applied(payload: dict[str, Any]) -> None:
        assert payload["deletedId"] == tag_id
        assert await _row(world, "tags", row_id(tag_id)) is None

    return Call(DELETE_TAG, {"id": tag_id, "version": 1}, applied)


async def merge_tags(world: World, cell: Cell) -> Call:
    source, target = await _tag(world, cell), await _tag(world, cell)

    async def applied(_: dict[str, Any]) -> None:
        assert await _row(world, "tags", row_id(source)) is None
        assert await _columns(world, "tags", target, "version") == (2,)

    variables = {"source": source, "sourceVersion": 1, "target": target, "targetVersion": 1}
    return Call(MERGE_TAGS, variables, applied)


# Accounts and tokens ---------------------------------------------------------------------------


async def create_publication(world: World, cell: Cell) -> Call:
    name = unique("Outlet")

    async def applied(payload: dict[str, Any]) -> None:
        publication_id = payload["publication"]["id"]
        assert await _columns(world, "publications", publication_id, "name") == (name,)

    return Call(CREATE_PUBLICATION, {"input": {"name": name}}, applied)


async def _publication(world: World) -> str:
    created = await succeed(world.bystander, CREATE_PUBLICATION, {"input": {"name": unique("O")}})
    publication_id: str = created["publication"]["id"]
    return publication_id


async def update_publication(world: World, cell: Cell) -> Call:
    publication_id = await _publication(world)
    url = f"https://outlets.example.com/{uuid.uuid4().hex}"

    async def applied(_: dict[str, Any]) -> None:
        assert await _columns(world, "publications", publication_id, "url") == (url,)

    variables = {"id": publication_id, "version": 1, "input": {"url": url}}
    return Call(UPDATE_PUBLICATION, variables, applied)


async def delete_publication(world: World, cell: Cell) -> Call:
    publication_id = await _publication(world)

    async def applied(_: dict[str, Any]) -> None:
        assert await _row(world, "publications", row_id(publication_id)) is None

    return Call(DELETE_PUBLICATION, {"id": publication_id, "version": 1}, applied)


async def update_site(world: World, cell: Cell) -> Call:
    title = unique("Site")
    row = await _row(world, "site", 1)
    assert row is not None
    version = row["version"]

    async def applied(_: dict[str, Any]) -> None:
        row = await _row(world, "site", 1)
        assert row is not None and row["title"] == title

    return Call(UPDATE_SITE, {"version": version, "input": {"title": title}}, applied)


async def create_api_token(world: World, cell: Cell) -> Call:
    name = unique("bot")

    async def applied(payload: dict[str, Any]) -> None:
        row = await _columns(world, "api_tokens", payload["apiToken"]["id"], "name", "role")
        assert row == (name, "editor") and payload["token"]

    return Call(CREATE_TOKEN, {"name": name, "role": "EDITOR"}, applied)


async def revoke_api_token(world: World, cell: Cell) -> Call:
    """Own: the integration token revoking itself. Other: a token an admin made."""
    if cell.ownership == OWN:
        token_id = global_id("ApiToken", world.token_id)
    else:
        bot = {"name": unique("bot"), "role": "EDITOR"}
        token_id = (await succeed(world.bystander, CREATE_TOKEN, bot))["apiToken"]["id"]

    async def applied(_: dict[str, Any]) -> None:
        (revoked_at,) = await _columns(world, "api_tokens", token_id, "revoked_at")
        assert revoked_at is not None

    return Call(REVOKE_TOKEN, {"id": token_id}, applied)


async def _endpoint(world: World) -> dict[str, Any]:
    hook = {"url": HOOK_URL, "eventTypes": ["post.*"]}
    found: dict[str, Any] = (await succeed(world.bystander, CREATE_ENDPOINT, {"input": hook}))[
        "endpoint"
    ]
    return found


async def create_webhook_endpoint(world: World, cell: Cell) -> Call:
    async def applied(payload: dict[str, Any]) -> None:
        row = await _columns(world, "webhook_endpoints", payload["endpoint"]["id"], "url")
        assert row == (HOOK_URL,) and payload["secret"].startswith("whsec_")

    return Call(CREATE_ENDPOINT, {"input": {"url": HOOK_URL, "eventTypes": ["*"]}}, applied)


async def update_webhook_endpoint(world: World, cell: Cell) -> Call:
    endpoint = await _endpoint(world)

    async def applied(_: dict[str, Any]) -> None:
        row = await _columns(world, "webhook_endpoints", endpoint["id"], "active")
        assert row == (False,)

    variables = {"id": endpoint["id"], "version": endpoint["version"], "input": {"active": False}}
    return Call(UPDATE_ENDPOINT, variables, applied)


async def rotate_webhook_secret(world: World, cell: Cell) -> Call:
    endpoint = await _endpoint(world)

    async def applied(payload: dict[str, Any]) -> None:
        assert payload["secret"].startswith("whsec_")

    return Call(ROTATE_SECRET, {"id": endpoint["id"], "version": endpoint["version"]}, applied)


async def delete_webhook_endpoint(world: World, cell: Cell) -> Call:
    endpoint = await _endpoint(world)

    async def applied(_: dict[str, Any]) -> None:
        assert await _row(world, "webhook_endpoints", row_id(endpoint["id"])) is None

    return Call(DELETE_ENDPOINT, {"id": endpoint["id"], "version": endpoint["version"]}, applied)


async def ping_webhook_endpoint(world: World, cell: Cell) -> Call:
    endpoint = await _endpoint(world)

    async def applied(payload: dict[str, Any]) -> None:
        row = await _columns(world, "webhook_deliveries", payload["delivery"]["id"], "event_type")
        assert row == ("webhook.ping",)

    return Call(PING_ENDPOINT, {"id": endpoint["id"]}, applied)


async def redeliver_webhook(world: World, cell: Cell) -> Call:
    endpoint = await _endpoint(world)
    pinged = await succeed(world.bystander, PING_ENDPOINT, {"id": endpoint["id"]})

    async def applied(payload: dict[str, Any]) -> None:
        assert payload["delivery"]["status"] == "PENDING"

    return Call(REDELIVER, {"id": pinged["delivery"]["id"]}, applied)


async def create_editor(world: World, cell: Cell) -> Call:
    email = f"{unique_slug('new')}@example.com"
    account = {"email": email, "displayName": "New", "password": PASSWORD, "role": "CONTRIBUTOR"}

    async def applied(payload: dict[str, Any]) -> None:
        row = await _columns(world, "editors", payload["editor"]["id"], "email", "role")
        assert row == (email, "contributor")

    return Call(CREATE_EDITOR, {"input": account}, applied)


async def _account(world: World, cell: Cell) -> str:
    """The actor's own account ("own"), or a colleague's made for the cell ("other")."""
    if cell.ownership == OWN:
        return global_id("Editor", world.editor_ids[cell.actor])
    email = f"{unique_slug('colleague')}@example.com"
    account = {"email": email, "displayName": "Colleague", "password": PASSWORD, "role": "AUTHOR"}
    created = await succeed(world.bystander, CREATE_EDITOR, {"input": account})
    editor_id: str = created["editor"]["id"]
    return editor_id


async def set_editor_role(world: World, cell: Cell) -> Call:
    """Own: making oneself an admin. Other: making a colleague an editor."""
    editor_id = await _account(world, cell)
    role = "ADMIN" if cell.ownership == OWN else "EDITOR"

    async def applied(_: dict[str, Any]) -> None:
        assert await _columns(world, "editors", editor_id, "role") == (role.lower(),)

    (version,) = await _columns(world, "editors", editor_id, "version")
    return Call(SET_ROLE, {"id": editor_id, "version": version, "role": role}, applied)


async def set_editor_author(world: World, cell: Cell) -> Call:
    """Own or a colleague's account, linked to a new author profile."""
    editor_id = await _account(world, cell)
    created = await succeed(world.bystander, CREATE_AUTHOR, {"input": {"name": unique("Byline")}})
    author_id = created["author"]["id"]

    async def applied(_: dict[str, Any]) -> None:
        (linked,) = await _columns(world, "editors", editor_id, "author_id")
        assert global_id("Author", linked) == author_id

    (version,) = await _columns(world, "editors", editor_id, "version")
    return Call(SET_AUTHOR, {"id": editor_id, "version": version, "authorId": author_id}, applied)


async def deactivate_editor(world: World, cell: Cell) -> Call:
    editor_id = await _account(world, cell)

    async def applied(_: dict[str, Any]) -> None:
        (active,) = await _columns(world, "editors", editor_id, "active")
        assert not active

    return Call(DEACTIVATE, {"id": editor_id}, applied)


async def login(world: World, cell: Cell) -> Call:
    """Anyone may log in, whatever token the request carries."""

    async def applied(payload: dict[str, Any]) -> None:
        assert payload["viewer"] == {"name": "bystander"}
        session = Editor(world.client, payload["token"], world.bystander.editor_id)
        assert (await session.data(VIEWER))["viewer"] == {"name": "bystander", "role": "ADMIN"}

    credentials = {"email": "bystander@example.com", "password": PASSWORD}
    return Call(LOGIN, credentials, applied)


async def logout(world: World, cell: Cell) -> Call:
    """Sent with a fresh session (or integration token) of the actor's, since it ends it."""
    sender = await _fresh_session(world, cell.actor)

    async def applied(payload: dict[str, Any]) -> None:
        assert payload["ok"] is True
        response = await world.client.http.post(
            "/graphql", json={"query": VIEWER}, headers=sender.headers
        )
        assert response.status_code == 401

    return Call(LOGOUT, {}, applied, sender=sender)


async def _fresh_session(world: World, actor: str) -> Editor:
    if actor == "anonymous":
        return world.actors[actor]
    async with create_session_factory(world.database.engine)() as session, session.begin():
        if actor == "token":
            issued = await accounts.create_integration_token(
                session, name=unique("bot"), role=EditorRole.EDITOR
            )
        else:
            result = await accounts.login(
                session,
                email=f"{actor}@example.com",
                password=PASSWORD,
                now=datetime.now(UTC),
                ttl=timedelta(hours=1),
            )
            assert result is not None
            issued = result[0]
    return Editor(world.client, issued.secret, world.editor_ids.get(actor, 0))


# The table --------------------------------------------------------------------------------------

RULES = (
    Rule("createPost", create_post, {NONE: SIGNED_IN}),
    Rule("createPost", create_post_with_a_new_tag, {NONE: PUBLISHERS}, case="new tag"),
    Rule("updatePost", update_post, {OWN: SIGNED_IN, OTHER: MANAGERS}, DRAFT),
    Rule("updatePost", update_post, {OWN: PUBLISHERS, OTHER: MANAGERS}, PUBLISHED),
    Rule("publishPost", publish_post, {OWN: PUBLISHERS, OTHER: MANAGERS}, DRAFT),
    Rule("unpublishPost", unpublish_post, {OWN: PUBLISHERS, OTHER: MANAGERS}, PUBLISHED),
    Rule("deletePost", delete_post, {OWN: SIGNED_IN, OTHER: MANAGERS}, DRAFT),
    Rule("deletePost", delete_post, {OWN: PUBLISHERS, OTHER: MANAGERS}, PUBLISHED),
    Rule("createPreviewLink", create_preview_link, {OWN: SIGNED_IN, OTHER: MANAGERS}, DRAFT),
    Rule("createPreviewLink", create_preview_link, {OWN: PUBLISHERS, OTHER: MANAGERS}, PUBLISHED),
    Rule("restorePostRevision", restore_post_revision, {OWN: SIGNED_IN, OTHER: MANAGERS}, DRAFT),
    Rule(
        "restorePostRevision",
        restore_post_revision,
        {OWN: PUBLISHERS, OTHER: MANAGERS},
        PUBLISHED,
    ),
    Rule("linkTranslation", link_translation, {OWN: SIGNED_IN, OTHER: MANAGERS}, DRAFT),
    Rule("linkTranslation", link_translation, {OWN: PUBLISHERS, OTHER: MANAGERS}, PUBLISHED),
    Rule("unlinkTranslation", unlink_translation, {OWN: SIGNED_IN, OTHER: MANAGERS}, DRAFT),
    Rule("unlinkTranslation", unlink_translation, {OWN: PUBLISHERS, OTHER: MANAGERS}, PUBLISHED),
    Rule("createAuthor", create_author, {NONE: MANAGERS}),
    Rule("updateAuthor", update_author, {OWN: MANAGERS, OTHER: MANAGERS}, owners=ACCOUNTS),
    Rule("deleteAuthor", delete_author, {OWN: MANAGERS, OTHER: MANAGERS}, owners=ACCOUNTS),
    Rule("createTag", create_tag, {NONE: PUBLISHERS}),
    Rule("updateTag", update_tag, {OWN: MANAGERS, OTHER: MANAGERS}, owners=PUBLISHERS),
    Rule("deleteTag", delete_tag, {OWN: MANAGERS, OTHER: MANAGERS}, owners=PUBLISHERS),
    Rule("mergeTags", merge_tags, {OWN: MANAGERS, OTHER: MANAGERS}, owners=PUBLISHERS),
    Rule("createPublication", create_publication, {NONE: MANAGERS}),
    Rule("updatePublication", update_publication, {NONE: MANAGERS}),
    Rule("deletePublication", delete_publication, {NONE: MANAGERS}),
    Rule("updateSite", update_site, {NONE: ADMINS}),
    Rule("createApiToken", create_api_token, {NONE: ADMINS}),
    Rule(
        "revokeApiToken",
        revoke_api_token,
        {OWN: NOBODY, OTHER: ADMINS},
        owners=frozenset({"token"}),
    ),
    Rule("createEditor", create_editor, {NONE: ADMINS}),
    Rule("setEditorRole", set_editor_role, {OWN: ADMINS, OTHER: ADMINS}, owners=ACCOUNTS),
    Rule("setEditorAuthor", set_editor_author, {OWN: ADMINS, OTHER: ADMINS}, owners=ACCOUNTS),
    Rule(
        "deactivateEditor",
        deactivate_editor,
        {OWN: NOBODY, OTHER: ADMINS},
        owners=ACCOUNTS,
        refusals={(OWN, "admin"): "INVALID"},  # allowed, but not on their own account
    ),
    Rule("createWebhookEndpoint", create_webhook_endpoint, {NONE: ADMINS}),
    Rule("updateWebhookEndpoint", update_webhook_endpoint, {NONE: ADMINS}),
    Rule("rotateWebhookSecret", rotate_webhook_secret, {NONE: ADMINS}),
    Rule("deleteWebhookEndpoint", delete_webhook_endpoint, {NONE: ADMINS}),
    Rule("pingWebhookEndpoint", ping_webhook_endpoint, {NONE: ADMINS}),
    Rule("redeliverWebhook", redeliver_webhook, {NONE: ADMINS}),
    Rule("login", login, {NONE: EVERYONE}),
    Rule("logout", logout, {NONE: SIGNED_IN}),
)
CELLS = [
    pytest.param(rule, cell, id=f"{rule.name}-{cell.actor}-{cell.ownership}")
    for rule in RULES
    for cell in rule.cells()
]


async def _build(client: GraphQLClient, database: Database) -> World:
    """The bystander admin, one account per role and an integration token with the editor
    role."""
    bystander = await make_editor(client, database, EditorRole.ADMIN, "bystander")
    actors = {"anonymous": anonymous(client)}
    for role in EditorRole:
        actors[role.value] = await make_editor(client, database, role, role.value)
    async with create_session_factory(database.engine)() as session, session.begin():
        issued = await accounts.create_integration_token(
            session, name="build-bot", role=EditorRole.EDITOR
        )
    actors["token"] = Editor(client, issued.secret, editor_id=0)
    editor_ids = {role: actors[role].editor_id for role in ACCOUNTS}
    return World(database, client, actors, editor_ids, issued.token.id, bystander)


@pytest.fixture(scope="module")
async def world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    database, cleanup = await create_database(backend, tmp_path_factory.mktemp(backend))
    try:
        async for client in serve(database):
            yield await _build(client, database)
    finally:
        await cleanup()


async def test_the_table_lists_every_mutation(world: World) -> None:
    fields = (await world.client.data(MUTATIONS))["__type"]["fields"]
    assert {mutation["name"] for mutation in fields} == {rule.mutation for rule in RULES}


def test_every_rule_tries_every_actor() -> None:
    for rule in RULES:
        assert {cell.actor for cell in rule.cells()} == set(ACTORS), rule.name


@pytest.mark.parametrize(("rule", "cell"), CELLS)
async def test_each_actor_gets_exactly_what_the_table_allows(
    world: World, rule: Rule, cell: Cell
) -> None:
    call = await rule.prepare(world, cell)
    before = await snapshot(world.database)
    payload = await (call.sender or world.actors[cell.actor]).run(call.query, call.variables)
    refusal = rule.refusal(cell)
    if refusal is None:
        assert payload["errors"] == [], payload
        await call.applied(payload)
    else:
        assert [error["code"] for error in payload["errors"]] == [refusal], payload
        assert not [value for name, value in payload.items() if name != "errors" and value]
        assert await snapshot(world.database) == before
