"""Logged-in HTTP clients, one per role, for the mutation tests."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.database import create_session_factory
from models import EditorRole
from resolvers import accounts
from tests.api.conftest import GraphQLClient
from tests.conftest import Database

PASSWORD = "long password 1"


class Editor:
    """An HTTP client logged in as one editor account."""

    def __init__(self, client: GraphQLClient, token: str, editor_id: int) -> None:
        self.client = client
        self.token = token
        self.editor_id = editor_id
        self.headers = {"authorization": f"Bearer {token}"}

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole response body of one request sent with this editor's token."""
        response = await self.client.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a query that must succeed."""
        body = await self.post(query, variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def run(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The payload of the single root field of a mutation that must not raise."""
        return next(iter((await self.data(query, variables)).values()))


async def make_editor(
    client: GraphQLClient,
    database: Database,
    role: EditorRole,
    name: str,
    *,
    author_id: int | None = None,
) -> Editor:
    """Create an account with `role` straight in the database and log it in."""
    async with create_session_factory(database.engine)() as session, session.begin():
        editor = await accounts.create_editor(
            session,
            email=f"{name}@example.com",
            display_name=name,
            password=PASSWORD,
            role=role,
            author_id=author_id,
        )
        issued, _ = await accounts.login(
            session,
            email=editor.email,
            password=PASSWORD,
            now=datetime.now(UTC),
            ttl=timedelta(hours=1),
        ) or (None, None)
    assert issued is not None
    return Editor(client, issued.secret, editor.id)


async def make_team(client: GraphQLClient, database: Database) -> dict[str, Editor]:
    """One logged-in editor per role, keyed by the role's value (contributor ... admin)."""
    return {
        role.value: await make_editor(client, database, role, role.value) for role in EditorRole
    }


async def count_rows(database: Database, model: Any) -> int:
    async with create_session_factory(database.engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


CREATE_POST = """mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id version tags { id version } } errors { code } } }"""
PUBLISH_POST = """mutation($id: ID!, $version: Int!, $at: DateTime) {
  publishPost(id: $id, version: $version, at: $at) { post { id version } errors { code } } }"""


async def publish(
    editor: Editor, title: str, at: datetime | None = None, **fields: Any
) -> dict[str, Any]:
    """A new post with `fields` (CreatePostInput's), published now or scheduled for `at`: its
    id, version and tags."""
    created = await editor.run(CREATE_POST, {"input": {"title": title, "body": "Hello.", **fields}})
    assert created["errors"] == [], created
    post: dict[str, Any] = created["post"]
    variables = {"id": post["id"], "version": post["version"], "at": at and at.isoformat()}
    done = await editor.run(PUBLISH_POST, variables)
    assert done["errors"] == [], done
    return {**post, "version": done["post"]["version"]}
