"""Admin mutations and lists over HTTP: integration tokens and editor accounts, admins only, and
no secret or password hash in any answer."""

from typing import Any

import pytest
from sqlalchemy import select

from app.database import create_session_factory
from models import ApiToken
from models import Editor as EditorModel
from resolvers import accounts
from tests.api.conftest import GraphQLClient
from tests.api.editors import PASSWORD, Editor, count_rows, make_team
from tests.conftest import Database

ERRORS = "errors { field code message }"
TOKEN_FIELDS = "id name role createdAt expiresAt revokedAt revoked"
EDITOR_FIELDS = "id email displayName role active createdAt author { name }"
CREATE_TOKEN = f"""
mutation($name: String!, $role: EditorRole!, $expiresAt: DateTime) {{
  createApiToken(name: $name, role: $role, expiresAt: $expiresAt) {{
    token apiToken {{ {TOKEN_FIELDS} }} {ERRORS}
  }}
}}"""
REVOKE_TOKEN = f"""
mutation($id: ID!) {{ revokeApiToken(id: $id) {{ apiToken {{ {TOKEN_FIELDS} }} {ERRORS} }} }}
"""
CREATE_EDITOR = f"""
mutation($input: CreateEditorInput!) {{
  createEditor(input: $input) {{ editor {{ {EDITOR_FIELDS} }} {ERRORS} }}
}}"""
SET_ROLE = f"""
mutation($id: ID!, $version: Int!, $role: EditorRole!) {{
  setEditorRole(id: $id, version: $version, role: $role) {{ editor {{ {EDITOR_FIELDS} }} {ERRORS} }}
}}"""
SET_AUTHOR = f"""
mutation($id: ID!, $version: Int!, $authorId: ID) {{
  setEditorAuthor(id: $id, version: $version, authorId: $authorId) {{
    editor {{ {EDITOR_FIELDS} }} {ERRORS}
  }}
}}"""
DEACTIVATE = f"""
mutation($id: ID!) {{ deactivateEditor(id: $id) {{ editor {{ {EDITOR_FIELDS} }} {ERRORS} }} }}
"""
TOKENS = f"{{ apiTokens {{ {TOKEN_FIELDS} }} }}"
EDITORS = f"{{ editors {{ {EDITOR_FIELDS} }} }}"
VIEWER = "{ viewer { name role kind } }"
LOGIN = f"""
mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ token {ERRORS} }}
}}"""
CREATE_POST = f"""
mutation($title: String!) {{ createPost(input: {{ title: $title }}) {{ post {{ id }} {ERRORS} }} }}
"""
UPDATE_POST = f"""
mutation($id: ID!, $version: Int!) {{
  updatePost(id: $id, version: $version, input: {{ title: "Edited" }}) {{
    post {{ version }} {ERRORS}
  }}
}}"""
PUBLISH_POST = f"""
mutation($id: ID!, $version: Int!) {{
  publishPost(id: $id, version: $version) {{ post {{ status }} {ERRORS} }}
}}"""
NEW_EDITOR = {
    "email": "Grace@Example.com",
    "displayName": "Grace",
    "password": "a long enough password",
    "role": "AUTHOR",
}


@pytest.fixture
async def team(scratch_client: GraphQLClient, scratch_db: Database) -> dict[str, Editor]:
    return await make_team(scratch_client, scratch_db)


def _as(client: GraphQLClient, token: str) -> Editor:
    return Editor(client, token, editor_id=0)


def _codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def _editor_id(admin: Editor, email: str) -> str:
    editors = (await admin.data(EDITORS))["editors"]
    return str(next(e["id"] for e in editors if e["email"] == email))


async def test_an_admin_creates_a_token_that_works_as_a_bearer_for_its_role(
    team: dict[str, Editor], scratch_client: GraphQLClient
) -> None:
    admin = team["admin"]
    created = await admin.run(CREATE_TOKEN, {"name": "build-bot", "role": "EDITOR"})
    assert created["errors"] == []
    assert created["token"].startswith(accounts.TOKEN_PREFIX)
    token = created["apiToken"]
    assert (token["name"], token["role"], token["revoked"], token["expiresAt"]) == (
        "build-bot",
        "EDITOR",
        False,
        None,
    )
    bot = _as(scratch_client, created["token"])
    assert (await bot.data(VIEWER))["viewer"] == {
        "name": "build-bot",
        "role": "EDITOR",
        "kind": "INTEGRATION",
    }
    # The editor role changes someone else's post; a contributor token may not.
    post = (await team["author"].run(CREATE_POST, {"title": "Draft"}))["post"]
    assert (await bot.run(UPDATE_POST, {"id": post["id"], "version": 1}))["errors"] == []
    weak = await admin.run(CREATE_TOKEN, {"name": "intern-bot", "role": "CONTRIBUTOR"})
    refused = await _as(scratch_client, weak["token"]).run(
        UPDATE_POST, {"id": post["id"], "version": 2}
    )
    assert _codes(refused) == [("id", "FORBIDDEN")]
    listed = (await admin.data(TOKENS))["apiTokens"]
    assert [(t["id"], t["name"]) for t in listed] == [
        (token["id"], "build-bot"),
        (weak["apiToken"]["id"], "intern-bot"),
    ]


async def test_token_names_and_expiry_are_checked(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    admin = team["admin"]
    blank = await admin.run(CREATE_TOKEN, {"name": " ", "role": "EDITOR"})
    past = await admin.run(
        CREATE_TOKEN, {"name": "old", "role": "EDITOR", "expiresAt": "2001-01-01T00:00:00Z"}
    )
    assert _codes(blank) == [("name", "INVALID")] and blank["token"] is None
    assert _codes(past) == [("expiresAt", "INVALID")] and past["token"] is None
    assert await count_rows(scratch_db, ApiToken) == 4  # the team's sessions only
    later = await admin.run(
        CREATE_TOKEN, {"name": "ci", "role": "AUTHOR", "expiresAt": "2999-01-01T00:00:00Z"}
    )
    assert later["apiToken"]["expiresAt"].startswith("2999-01-01T00:00:00")


async def test_a_revoked_token_is_unauthenticated_on_its_next_request(
    team: dict[str, Editor], scratch_client: GraphQLClient
) -> None:
    admin = team["admin"]
    created = await admin.run(CREATE_TOKEN, {"name": "build-bot", "role": "EDITOR"})
    bot = _as(scratch_client, created["token"])
    assert (await bot.data(VIEWER))["viewer"]["name"] == "build-bot"
    revoked = await admin.run(REVOKE_TOKEN, {"id": created["apiToken"]["id"]})
    assert revoked["errors"] == []
    assert revoked["apiToken"]["revoked"] is True and revoked["apiToken"]["revokedAt"]
    response = await scratch_client.http.post(
        "/graphql", json={"query": VIEWER}, headers=bot.headers
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    missing = await admin.run(REVOKE_TOKEN, {"id": "QXBpVG9rZW46OTk5"})  # ApiToken:999
    assert _codes(missing) == [("id", "NOT_FOUND")]


@pytest.mark.parametrize("role", ["anonymous", "contributor", "author", "editor"])
async def test_everyone_but_admins_is_refused_every_admin_mutation_and_list(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database, role: str
) -> None:
    admin = team["admin"]
    token = await admin.run(CREATE_TOKEN, {"name": "build-bot", "role": "EDITOR"})
    author_id = await _editor_id(admin, "author@example.com")
    caller = team[role] if role != "anonymous" else _as(scratch_client, "")
    if role == "anonymous":
        caller.headers = {}
    expected = "UNAUTHENTICATED" if role == "anonymous" else "FORBIDDEN"
    attempts = [
        (CREATE_TOKEN, {"name": "mine", "role": "ADMIN"}),
        (REVOKE_TOKEN, {"id": token["apiToken"]["id"]}),
        (CREATE_EDITOR, {"input": {**NEW_EDITOR, "role": "ADMIN"}}),
        (SET_ROLE, {"id": author_id, "version": 1, "role": "ADMIN"}),
        (DEACTIVATE, {"id": author_id}),
    ]
    for mutation, variables in attempts:
        payload = await caller.run(mutation, variables)
        assert [e["code"] for e in payload["errors"]] == [expected], mutation
        assert "token" not in payload or payload["token"] is None
        assert not (payload.get("editor") or payload.get("apiToken"))
    for query in (TOKENS, EDITORS):
        body = await caller.post(query)
        assert body["data"] in ({"apiTokens": None}, {"editors": None})
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert await count_rows(scratch_db, EditorModel) == 4
    assert (await admin.data(TOKENS))["apiTokens"] == [token["apiToken"]]
    roles = {e["email"]: (e["role"], e["active"]) for e in (await admin.data(EDITORS))["editors"]}
    assert roles["author@example.com"] == ("AUTHOR", True)


async def test_a_created_editor_can_log_in(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    admin = team["admin"]
    created = await admin.run(CREATE_EDITOR, {"input": NEW_EDITOR})
    assert created["errors"] == []
    editor = created["editor"]
    assert (editor["email"], editor["displayName"], editor["role"], editor["active"]) == (
        "grace@example.com",
        "Grace",
        "AUTHOR",
        True,
    )
    login = (
        await scratch_client.data(
            LOGIN, {"email": "grace@example.com", "password": NEW_EDITOR["password"]}
        )
    )["login"]
    assert login["errors"] == []
    viewer = (await _as(scratch_client, login["token"]).data(VIEWER))["viewer"]
    assert viewer == {"name": "Grace", "role": "AUTHOR", "kind": "SESSION"}


async def test_create_editor_refuses_bad_input_and_writes_nothing(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    admin = team["admin"]
    refusals = {
        ("password", "INVALID"): {**NEW_EDITOR, "password": "short"},
        ("email", "INVALID"): {**NEW_EDITOR, "email": "author@example.com"},
        ("authorId", "NOT_FOUND"): {**NEW_EDITOR, "authorId": "QXV0aG9yOjk5OQ=="},  # Author:999
        ("displayName", "INVALID"): {**NEW_EDITOR, "displayName": "G" * 201},
    }
    for expected, input in refusals.items():
        result = await admin.run(CREATE_EDITOR, {"input": input})
        assert _codes(result) == [expected] and result["editor"] is None
    assert await count_rows(scratch_db, EditorModel) == 4


async def test_deactivating_an_editor_ends_their_sessions(
    team: dict[str, Editor], scratch_client: GraphQLClient
) -> None:
    admin, author = team["admin"], team["author"]
    assert (await author.data(VIEWER))["viewer"]["name"] == "author"
    result = await admin.run(DEACTIVATE, {"id": await _editor_id(admin, "author@example.com")})
    assert result["errors"] == [] and result["editor"]["active"] is False
    response = await scratch_client.http.post(
        "/graphql", json={"query": VIEWER}, headers=author.headers
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    login = (
        await scratch_client.data(LOGIN, {"email": "author@example.com", "password": PASSWORD})
    )["login"]
    assert login["token"] is None and login["errors"][0]["code"] == "INVALID_CREDENTIALS"
    myself = await admin.run(DEACTIVATE, {"id": await _editor_id(admin, "admin@example.com")})
    assert _codes(myself) == [("id", "INVALID")]
    assert (await admin.data(VIEWER))["viewer"]["role"] == "ADMIN"


async def test_set_editor_role_changes_what_they_may_do(team: dict[str, Editor]) -> None:
    admin, contributor = team["admin"], team["contributor"]
    post = (await contributor.run(CREATE_POST, {"title": "Ready"}))["post"]
    refused = await contributor.run(PUBLISH_POST, {"id": post["id"], "version": 1})
    assert _codes(refused) == [("id", "FORBIDDEN")]
    contributor_id = await _editor_id(admin, "contributor@example.com")
    promoted = await admin.run(SET_ROLE, {"id": contributor_id, "version": 1, "role": "AUTHOR"})
    assert promoted["errors"] == [] and promoted["editor"]["role"] == "AUTHOR"
    again = await admin.run(SET_ROLE, {"id": contributor_id, "version": 1, "role": "EDITOR"})
    assert _codes(again) == [("version", "CONFLICT")]  # another admin's change is not lost
    # The same session, now an author's, publishes.
    published = await contributor.run(PUBLISH_POST, {"id": post["id"], "version": 1})
    assert published["errors"] == [] and published["post"]["status"] == "PUBLISHED"
    demoted = await admin.run(
        SET_ROLE,
        {"id": await _editor_id(admin, "admin@example.com"), "version": 1, "role": "EDITOR"},
    )
    assert _codes(demoted) == [("id", "INVALID")]
    assert (await admin.data(VIEWER))["viewer"]["role"] == "ADMIN"


async def test_an_admin_linked_to_an_author_publishes_with_a_byline(
    team: dict[str, Editor],
) -> None:
    admin = team["admin"]
    created = await admin.run(
        'mutation { createAuthor(input: { name: "Ada Admin" }) { author { id } errors { code } } }'
    )
    author_id = created["author"]["id"]
    admin_id = await _editor_id(admin, "admin@example.com")
    linked = await admin.run(SET_AUTHOR, {"id": admin_id, "version": 1, "authorId": author_id})
    assert linked["errors"] == [] and linked["editor"]["author"] == {"name": "Ada Admin"}
    post_id = (await admin.run(CREATE_POST, {"title": "Mine"}))["post"]["id"]
    byline = await admin.data(
        "query($id: ID!) { node(id: $id) { ... on Post { authors { name } } } }", {"id": post_id}
    )
    assert byline["node"]["authors"] == [{"name": "Ada Admin"}]
    stale = await admin.run(SET_AUTHOR, {"id": admin_id, "version": 1, "authorId": None})
    assert _codes(stale) == [("version", "CONFLICT")]
    unlinked = await admin.run(SET_AUTHOR, {"id": admin_id, "version": 2, "authorId": None})
    assert unlinked["errors"] == [] and unlinked["editor"]["author"] is None
    refused = await team["editor"].run(SET_AUTHOR, {"id": admin_id, "version": 3, "authorId": None})
    assert _codes(refused) == [(None, "FORBIDDEN")]


async def test_no_answer_carries_a_secret_hash_or_password(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    admin = team["admin"]
    answers: list[str] = []

    async def send(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await admin.client.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=admin.headers
        )
        answers.append(response.text)
        body: dict[str, Any] = response.json()
        return body

    created = (await send(CREATE_TOKEN, {"name": "build-bot", "role": "EDITOR"}))["data"]
    secret = created["createApiToken"]["token"]
    editor = (await send(CREATE_EDITOR, {"input": NEW_EDITOR}))["data"]["createEditor"]["editor"]
    await send(SET_ROLE, {"id": editor["id"], "version": 1, "role": "EDITOR"})
    await send(DEACTIVATE, {"id": editor["id"]})
    await send(REVOKE_TOKEN, {"id": created["createApiToken"]["apiToken"]["id"]})
    await send(TOKENS)
    await send(EDITORS)
    async with create_session_factory(scratch_db.engine)() as session:
        hashes = list(await session.scalars(select(EditorModel.password_hash)))
        hashes += list(await session.scalars(select(ApiToken.token_hash)))
    assert len(hashes) == 5 + 5  # 5 accounts; 4 sessions and the integration token
    forbidden = [*hashes, NEW_EDITOR["password"], PASSWORD, "argon2"]
    for answer in answers:
        assert not [value for value in forbidden if value in answer], answer
    # The secret is shown once, in createApiToken's answer, and never again.
    assert [secret in answer for answer in answers] == [True] + [False] * 6
