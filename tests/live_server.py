"""The app under a real uvicorn server in the test's own event loop, on a free port: for
clients that need a real socket (WebSocket subscriptions)."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import uvicorn

from app.main import create_app
from app.settings import Settings
from tests.api.conftest import GraphQLClient
from tests.conftest import Database
from tests.webhook_receiver import free_port


@dataclass
class LiveServer:
    client: GraphQLClient
    """An HTTP client of the server, as `serve` gives."""
    ws_url: str


@asynccontextmanager
async def live_server(
    database: Database, *, clock: Callable[[], datetime] | None = None, **settings: Any
) -> AsyncIterator[LiveServer]:
    settings = {
        "rate_limit_enabled": False,
        "login_failure_delay_seconds": 0,
        "background_jobs": False,
        "gc_freeze": False,  # one process builds many apps: their garbage must stay collectable
        "live_poll_seconds": 0.05,
        **settings,
    }
    app = create_app(
        Settings(database_url=database.url, secret_key="test-secret", _env_file=None, **settings),
        clock=clock,
    )
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(1_500):
            if server.started:
                break
            if serving.done():
                serving.result()
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the server did not start within 30 s")
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as http:
            yield LiveServer(GraphQLClient(http, app), f"ws://127.0.0.1:{port}/graphql")
    finally:
        server.should_exit = True
        await serving
