"""A graphql-transport-ws client over a real WebSocket (the `websockets` package), speaking
the protocol message by message, as Apollo Client's and urql's graphql-ws client does."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROTOCOL = "graphql-transport-ws"


class Closed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class WSClient:
    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._ids = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, within: float = 10) -> dict[str, Any]:
        """The next message (pings answered); `Closed` once the server closed."""
        while True:
            try:
                async with asyncio.timeout(within):
                    text = await self.socket.recv()
            except ConnectionClosed as closed:
                rcvd = closed.rcvd
                raise Closed(rcvd.code if rcvd else None, rcvd.reason if rcvd else "") from None
            message: dict[str, Any] = json.loads(text)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, **extra: Any
    ) -> str:
        self._ids += 1
        key = str(self._ids)
        payload = {"query": query, "variables": variables or {}, **extra}
        await self.send({"id": key, "type": "subscribe", "payload": payload})
        return key

    async def next(self, key: str, within: float = 10) -> Any:
        """The data of the subscription's next `next` message."""
        message = await self.receive(within)
        assert message.get("id") == key and message["type"] == "next", message
        assert "errors" not in message["payload"], message
        return message["payload"]["data"]

    async def closed(self, within: float = 10) -> Closed:
        """How the server closed the connection (waiting for it)."""
        try:
            while True:
                await self.receive(within)
        except Closed as closed:
            return closed


@asynccontextmanager
async def ws_client(
    url: str, *, init: dict[str, Any] | None = None, **options: Any
) -> AsyncIterator[WSClient]:
    """A connection, acknowledged with `init` as its connection parameters unless `init` is
    None and options say `ack=False`."""
    acknowledge = options.pop("ack", True)
    async with connect(url, subprotocols=[PROTOCOL], **options) as socket:  # type: ignore[list-item]
        client = WSClient(socket)
        if acknowledge:
            ack = await client.init(init)
            assert ack["type"] == "connection_ack", ack
        yield client
