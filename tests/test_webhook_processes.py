"""Webhook deliveries across real server processes on one database: two `quire serve` processes
share the work and deliver each event once; a process killed with SIGKILL in the middle of a
delivery leaves it to the next process, which sends it again with the same `webhook-id`."""

import asyncio
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from app.cli import OPERATOR
from app.database import create_session_factory
from resolvers import webhooks
from tests.conftest import Database
from tests.server_process import editor_token, ready, server
from tests.webhook_receiver import Receiver, receiving

CREATE = """mutation($title: String!) {
  createPost(input: { title: $title }) { post { id } errors { code } } }"""


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as found:
        yield found


async def _prepare(database: Database, url: str) -> tuple[str, str]:
    """An endpoint for every event, and an editor's integration token: (secret, token)."""
    async with create_session_factory(database.engine)() as session, session.begin():
        _, secret = await webhooks.create_endpoint(
            session,
            viewer=OPERATOR,
            url=url,
            event_types=["*"],
            description=None,
            active=True,
            include_unpublished=True,
            now=datetime.now(UTC),
        )
    return secret, await editor_token(database, "writer")


async def _create_posts(base: str, token: str, titles: list[str]) -> None:
    async with httpx.AsyncClient(headers={"authorization": f"Bearer {token}"}) as http:
        for title in titles:
            response = await http.post(
                f"{base}/graphql", json={"query": CREATE, "variables": {"title": title}}
            )
            assert response.json()["data"]["createPost"]["errors"] == [], response.text


async def test_two_server_processes_deliver_each_event_once(
    scratch_db: Database, tmp_path: Path, receiver: Receiver
) -> None:
    secret, token = await _prepare(scratch_db, receiver.url)
    receiver.delay = 0.2  # slow answers: both processes look for work while deliveries are out
    with server(scratch_db, tmp_path, "a") as a, server(scratch_db, tmp_path, "b") as b:
        await ready(a.base)
        await ready(b.base)
        await asyncio.gather(
            _create_posts(a.base, token, [f"A{n}" for n in range(10)]),
            _create_posts(b.base, token, [f"B{n}" for n in range(10)]),
        )
        received = await receiver.wait_for(20, within=60)
        await asyncio.sleep(1.0)
    assert len(receiver.received) == 20
    assert len({r.headers["webhook-id"] for r in received}) == 20
    for delivered in received:
        Webhook(secret).verify(delivered.body, delivered.headers)
    titles = sorted(r.payload["data"]["slug"] for r in received)
    assert titles == sorted([f"a{n}" for n in range(10)] + [f"b{n}" for n in range(10)])


async def test_a_delivery_cut_short_by_sigkill_is_sent_again_after_restart(
    scratch_db: Database, tmp_path: Path, receiver: Receiver
) -> None:
    secret, token = await _prepare(scratch_db, receiver.url)
    receiver.hold = asyncio.Event()  # the first request hangs until released
    claim = {"QUIRE_WEBHOOK_CLAIM_SECONDS": "2"}
    with server(scratch_db, tmp_path, "first", **claim) as first:
        await ready(first.base)
        await _create_posts(first.base, token, ["Cut short"])
        (interrupted,) = await receiver.wait_for(1, within=30)
        first.process.send_signal(signal.SIGKILL)  # in the middle of the delivery
    receiver.hold.set()
    receiver.hold = None
    with server(scratch_db, tmp_path, "second", **claim) as second:
        await ready(second.base)
        _, again = await receiver.wait_for(2, within=30)
    assert again.headers["webhook-id"] == interrupted.headers["webhook-id"]
    assert again.body == interrupted.body
    Webhook(secret).verify(again.body, again.headers)
