"""A real HTTP server on a loopback port that receives webhooks: it records every request and
answers with the statuses a test scripts (200 once the script runs out)."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        found: dict[str, Any] = orjson.loads(self.body)
        return found


@dataclass
class Receiver:
    port: int = 0
    answers: dict[str | None, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    delay: float = 0.0
    """Seconds every answer takes."""
    hold: asyncio.Event | None = None
    """While set to an event, answers wait for it (a receiver stuck mid-request)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer(
        self, *statuses: int, headers: dict[str, str] | None = None, to: str | None = None
    ) -> None:
        """The next requests (of event type `to`, or any) get these statuses, in order."""
        queue = self.answers.setdefault(to, [])
        queue.extend((status, headers or {}) for status in statuses)

    async def wait_for(self, count: int, within: float = 10.0) -> list[Received]:
        """Until `count` requests have arrived (or fail after `within` seconds)."""
        async with self.arrived:
            await asyncio.wait_for(
                self.arrived.wait_for(lambda: len(self.received) >= count), within
            )
        return self.received[:count]

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.received if r.payload["type"] == event_type]

    async def _handle(self, request: Request) -> Response:
        received = Received(dict(request.headers), await request.body())
        queue = self.answers.get(received.payload["type"]) or self.answers.get(None) or []
        status, headers = queue.pop(0) if queue else (200, {})
        async with self.arrived:
            self.received.append(received)
            self.arrived.notify_all()
        if self.hold is not None:
            await self.hold.wait()
        await asyncio.sleep(self.delay)
        return Response(b"ok", status_code=status, headers=headers)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    receiver = Receiver(port=free_port())
    app = Starlette(routes=[Route("/hooks", receiver._handle, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=receiver.port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110  # uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
