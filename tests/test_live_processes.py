"""Live preview across processes: a real WebSocket client subscribed through one `quire serve`
process receives the saves made through another, the post a third party (the other process's
background jobs) publishes at its instant, and keeps receiving after its process's LISTEN
connection is killed."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import Database
from tests.server_process import editor_token, ready, server
from tests.ws_client import WSClient, ws_client

WATCH = "subscription($id: ID!) { post(id: $id) { id title status version } }"
CREATE = """mutation($title: String!) {
  createPost(input: { title: $title, body: "Text." }) { post { id version } errors { code } } }"""
UPDATE = """mutation($id: ID!, $version: Int!, $title: String!) {
  updatePost(id: $id, version: $version, input: { title: $title }) {
    post { version } errors { code } } }"""
PUBLISH = """mutation($id: ID!, $version: Int!, $at: DateTime) {
  publishPost(id: $id, version: $version, at: $at) { post { version } errors { code } } }"""


class Writer:
    """An editor writing through one process over HTTP."""

    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {token}"})

    async def run(self, query: str, **variables: Any) -> dict[str, Any]:
        body = await self.http.post("/graphql", json={"query": query, "variables": variables})
        payload: dict[str, Any] = next(iter(body.json()["data"].values()))
        assert payload["errors"] == [], payload
        return payload


@pytest.fixture
async def two(scratch_db: Database, tmp_path: Path) -> AsyncIterator[tuple[str, Writer, str]]:
    """The WebSocket URL of process a, an editor writing through process b, and its token."""
    token = await editor_token(scratch_db, "newsroom")
    with server(scratch_db, tmp_path, "a") as a, server(scratch_db, tmp_path, "b") as b:
        await asyncio.gather(ready(a.base), ready(b.base))
        writer = Writer(b.base, token)
        try:
            yield a.base.replace("http://", "ws://") + "/graphql", writer, token
        finally:
            await writer.http.aclose()


async def _watch(ws: WSClient, post_id: str) -> str:
    key = await ws.subscribe(WATCH, {"id": post_id})
    assert (await ws.next(key))["post"]["id"] == post_id
    return key


async def test_a_save_through_one_process_reaches_a_subscriber_of_the_other(
    two: tuple[str, Writer, str],
) -> None:
    url, writer, token = two
    post = (await writer.run(CREATE, title="Draft"))["post"]
    async with ws_client(url, init={"Authorization": f"Bearer {token}"}) as ws:
        key = await _watch(ws, post["id"])
        version = post["version"]
        for title in ("One", "Two", "Three"):
            saved = await writer.run(UPDATE, id=post["id"], version=version, title=title)
            version = saved["post"]["version"]
            received = (await ws.next(key, within=5))["post"]
            assert (received["title"], received["version"]) == (title, version)
        instant = (datetime.now(UTC) + timedelta(seconds=6)).replace(microsecond=0)
        await writer.run(PUBLISH, id=post["id"], version=version, at=instant.isoformat())
        assert (await ws.next(key, within=5))["post"]["status"] == "SCHEDULED"
        live = (await ws.next(key, within=15))["post"]  # at its instant: b's background job
        assert live["status"] == "PUBLISHED" and datetime.now(UTC) >= instant


@pytest.mark.postgresql_only  # LISTEN/NOTIFY is PostgreSQL's; SQLite's listener polls the log
async def test_a_killed_listen_connection_comes_back_without_losing_a_save(
    two: tuple[str, Writer, str], scratch_db: Database
) -> None:
    url, writer, token = two
    post = (await writer.run(CREATE, title="Draft"))["post"]
    async with ws_client(url, init={"Authorization": f"Bearer {token}"}) as ws:
        key = await _watch(ws, post["id"])
        async with scratch_db.engine.connect() as connection:
            killed = await connection.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() "
                    "AND application_name = 'quire-event-listener'"
                )
            )
        assert killed == 2  # both processes' listeners: each follows the log for its cache
        saved = await writer.run(UPDATE, id=post["id"], version=post["version"], title="After")
        received = (await ws.next(key, within=15))["post"]
        assert (received["title"], received["version"]) == ("After", saved["post"]["version"])
