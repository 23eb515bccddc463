"""An HTTP client for the app, as a frontend talks to it."""

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings
from tests.conftest import Database


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient, app: Starlette) -> None:
        self.http = http
        self.app = app

    @property
    def engine(self) -> Any:
        return self.app.state.engine

    @property
    def engines(self) -> list[Any]:
        """Every engine the app runs SQL on (PostgreSQL reads have a pool of their own)."""
        engines = [self.app.state.engine, self.app.state.read_engine]
        return engines[:1] if engines[0] is engines[1] else engines

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}
        )
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a query that must succeed."""
        body = await self.post(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The single error of a query that must fail."""
        body = await self.post(query, variables)
        assert body.get("errors"), body
        assert len(body["errors"]) == 1, body["errors"]
        error: dict[str, Any] = body["errors"][0]
        return error


async def serve(
    database: Database, *, clock: Callable[[], datetime] | None = None, **settings: Any
) -> AsyncIterator[GraphQLClient]:
    """A client of a freshly created app over `database`, with extra settings if given, and
    `clock` as the app's idea of now when given."""
    # The suite sends thousands of queries from one address; rate-limit tests opt back in. The
    # background jobs' statements would blur statement counts: the tests of events opt in.
    settings = {
        "rate_limit_enabled": False,
        "login_failure_delay_seconds": 0,
        "background_jobs": False,
        "gc_freeze": False,  # one process builds many apps: their garbage must stay collectable
        **settings,
    }
    app = create_app(
        Settings(database_url=database.url, secret_key="test-secret", _env_file=None, **settings),
        clock=clock,
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield GraphQLClient(http, app)


@pytest.fixture(scope="session")
async def client(demo_db: Database) -> AsyncIterator[GraphQLClient]:
    """A client of the app serving the demo blog."""
    async for client in serve(demo_db):
        yield client


@pytest.fixture
async def scratch_client(scratch_db: Database) -> AsyncIterator[GraphQLClient]:
    """A client of the app serving an empty database the test may change."""
    async for client in serve(scratch_db):
        yield client
