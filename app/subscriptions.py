"""GraphQL subscriptions over WebSocket at `/graphql`: the graphql-transport-ws protocol (what
Apollo Client, urql and the graphql-ws client speak), through Strawberry's implementation.

Authorization: the bearer token comes in `connection_init`'s payload, as clients send their
connection parameters (`{"Authorization": "Bearer ..."}`, or Hasura's
`{"headers": {"Authorization": ...}}`), or in the upgrade request's Authorization header. An
invalid, expired or revoked token closes the connection with 4403; no token: the connection
reads as an anonymous reader does. The token is checked again before every message and every
`ws_recheck_seconds`: once it is revoked, the subscription ends with an UNAUTHENTICATED error
and the connection is closed with 4403.

What a connection may do, and its limits:
- subscriptions only: queries and mutations go over HTTP, where the response cache, purges
  and the request timeout apply; one sent here gets an `error` message;
- each subscription passes what an HTTP request passes: persisted queries (the allowlist
  included), document nesting and directives, validation, depth, aliases, cost, rate limit;
- `ws_max_connections_per_client` open connections per client address in each process (the
  next is closed with 1013, try again later); MAX_SUBSCRIPTIONS per connection;
- `connection_init` within INIT_SECONDS, or `ws_idle_seconds` if shorter (else 4408); a
  connection without a subscription for `ws_idle_seconds` is closed (1000); messages are at
  most `max_body_bytes` (uvicorn);
- browsers on other origins are refused unless listed in QUIRE_CORS_ORIGINS.

Each subscription runs with a context of its own (a connection may carry several), renewed
before every message (resolvers.context.Context.renew).
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from graphql import GraphQLError
from graphql.language import OperationType
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
    SubscribeMessage,
)
from strawberry.types.graphql import OperationType as StrawberryOperationType
from strawberry.utils.aio import aclosing

from app.event_listener import EventListener, Watch
from app.observability import Metrics
from app.persisted_queries import PersistedQueries, PersistedQueryError
from app.settings import Settings
from resolvers import accounts
from resolvers.accounts import Viewer
from resolvers.context import Context, RequestState
from resolvers.errors import QuireError
from schema import QuireSchema
from schema.document import is_unsafe_text, refusal
from schema.errors import UNAVAILABLE_MESSAGE

logger = logging.getLogger("quire.access")

MAX_SUBSCRIPTIONS = 10
INIT_SECONDS = 10
MAX_TOKEN = 200
FORBIDDEN = (4403, "Forbidden")
REVOKED = "The bearer token is invalid, expired or revoked; log in again."
SUBSCRIPTIONS_ONLY = (
    "This WebSocket carries subscriptions only; send queries and mutations over HTTP."
)


class _Unavailable(Exception):
    """The database could not be asked whether the token is valid."""


@dataclass
class Connection:
    """One WebSocket connection: who it is, and what its subscriptions need of it (the
    resolvers' `Live`)."""

    websocket: WebSocket
    client_key: str
    authorize: Callable[[str], Any]
    listener: EventListener
    clock: Callable[[], datetime]
    connection_params: dict[str, Any] = field(default_factory=dict)  # set by Strawberry
    viewer: Viewer | None = None
    secret: str | None = None
    revoked: bool = False

    def watching(self) -> AbstractAsyncContextManager[Watch]:
        return self.listener.watching()

    async def renew(self) -> tuple[datetime, Viewer | None]:
        if not await self.still_valid():
            raise QuireError(REVOKED, code="UNAUTHENTICATED")
        return self.clock(), self.viewer

    async def still_valid(self) -> bool:
        """Whether the token still stands (always, without one), keeping the viewer as it
        stands now (its role may have changed); a database that does not answer is an error
        (SERVICE_UNAVAILABLE), not a revocation."""
        if self.secret is None:
            return True
        try:
            viewer = await self.authorize(self.secret)
        except _Unavailable:
            raise QuireError(UNAVAILABLE_MESSAGE, code="SERVICE_UNAVAILABLE") from None
        if viewer is None:
            self.revoked = True
            return False
        self.viewer = viewer
        return True


class _Handler(BaseGraphQLTransportWSHandler[Connection, None]):
    """Strawberry's graphql-transport-ws handler, with Quire's authorization and limits, and a
    context per subscription."""

    context: Connection

    @property
    def quire(self) -> "Subscriptions":
        return cast("Subscriptions", self.view)

    async def handle(self) -> None:
        watch = asyncio.create_task(self._watch())
        try:
            await super().handle()
        finally:
            watch.cancel()
            with suppress(asyncio.CancelledError):
                await watch

    async def _watch(self) -> None:
        """Close the connection once it is idle too long, or its token was revoked."""
        settings = self.quire.settings
        idle, recheck = settings.ws_idle_seconds, settings.ws_recheck_seconds
        tick = min(1.0, idle / 4, recheck / 4)
        busy = checked = time.monotonic()
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            if self.operations or not self.connection_acknowledged:
                busy = now  # (before its init, the init timeout applies)
            elif now - busy >= idle:
                await self._close(1000, "Idle: no subscription.")
                return
            if now - checked >= recheck or self.context.revoked:
                checked = now
                with suppress(QuireError):  # the database did not answer: next time
                    if self.context.revoked or not await self.context.still_valid():
                        await self._close(*FORBIDDEN)
                        return

    async def _close(self, code: int, reason: str) -> None:
        with suppress(Exception):
            await self.websocket.close(code=code, reason=reason)

    async def handle_message(self, message: Any) -> None:
        """Strawberry's, for messages of the protocol's shape: an object with a string `type`
        (and a string `id` where one belongs); anything else closes the connection (4400)."""
        if (
            not isinstance(message, dict)
            or not isinstance(message.get("type"), str)
            or (message["type"] in ("subscribe", "complete") and not _is_id(message.get("id")))
        ):
            await self._close(4400, "Invalid message")
            return
        await super().handle_message(cast("Message", message))

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if message.get("payload") is None:  # graphql-ws allows `"payload": null`
            message = {**message, "payload": {}}
        payload = message["payload"]
        if (
            isinstance(payload, dict)
            and not self.connection_init_received
            and not self.connection_timed_out
        ):
            if self.connection_init_timeout_task:
                self.connection_init_timeout_task.cancel()
            refused = await self.quire.authorize(self.context, payload)
            if refused is not None:
                self.connection_init_received = True
                await self._close(*refused)
                return
        await super().handle_connection_init(message)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and message["id"] not in self.operations:
            query, errors = await self.quire.refusal(message.get("payload"))
            if errors:
                refused = ErrorMessage(id=message["id"], type="error", payload=errors)  # type: ignore[typeddict-item]
                await self.send_message(refused)
                return
            message = {**message, "payload": {**message["payload"], "query": query}}  # type: ignore[typeddict-item]
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Connection, None]) -> None:
        """Strawberry's, with a context of the subscription's own; the connection is closed
        once its token is found revoked."""
        context = self.quire.operation_context(self.context)
        started, state = time.perf_counter(), "complete"
        self.quire.metrics.subscriptions.inc()
        try:
            result_source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
                allowed_operation_types={StrawberryOperationType.SUBSCRIPTION},
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            state = "closed"
        except asyncio.CancelledError:
            state = "stopped"
            raise
        except Exception as error:
            state = "failed"
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
        finally:
            self.quire.metrics.subscriptions.dec()
            await context.finish()
            logger.info(
                "WS subscription %s %s %s duration_ms=%.0f",
                operation.operation_name or "anonymous",
                context.request.client_key,
                state,
                (time.perf_counter() - started) * 1000,
            )
            if self.context.revoked:
                await self._close(*FORBIDDEN)

    async def handle_task_exception(self, error: Exception) -> None:
        logger.error("Subscription failed", exc_info=error)


class Subscriptions(GraphQL[Connection, None]):
    """The WebSocket side of `/graphql` (app.endpoint serves its HTTP side)."""

    def __init__(
        self,
        schema: QuireSchema,
        *,
        settings: Settings,
        make_context: Callable[[HTTPConnection, RequestState, Viewer | None], Context],
        persisted: PersistedQueries,
        clock: Callable[[], datetime],
        client_key: Callable[[HTTPConnection], str],
        metrics: Metrics,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(
                seconds=min(INIT_SECONDS, settings.ws_idle_seconds)
            ),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS,
            allowed_origins=settings.cors_origins,
        )
        self.documents = schema.documents
        self.settings = settings
        self.make_context = make_context
        self.listener: EventListener  # set by the app's lifespan, once it has a database
        self.persisted = persisted
        self.clock = clock
        self.client_key = client_key
        self.metrics = metrics
        self.open: Counter[str] = Counter()

    graphql_transport_ws_handler_class = _Handler

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        """One connection, unless its client has too many open in this process."""
        key = self.client_key(request)
        if self.open[key] >= self.settings.ws_max_connections_per_client:
            await request.accept(subprotocol=await self.pick_websocket_subprotocol(request))
            await request.close(1013, "Too many connections from this client; try again later.")
            return request
        self.open[key] += 1
        self.metrics.websockets.inc()
        try:
            return await super().run(request)
        finally:
            self.metrics.websockets.dec()
            self.open[key] -= 1
            if not self.open[key]:
                del self.open[key]

    async def get_context(self, request: Any, response: Any) -> Connection:
        return Connection(
            websocket=request,
            client_key=self.client_key(request),
            authorize=self._viewer_for,
            listener=self.listener,
            clock=self.clock,
        )

    async def authorize(
        self, connection: Connection, params: Mapping[str, Any]
    ) -> tuple[int, str] | None:
        """Who the connection is, from its parameters or its upgrade request; the close code
        and reason that refuse it otherwise."""
        header = _authorization(params)
        if header is None:
            header = connection.websocket.headers.get("authorization")
        if header is None:
            return None
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if (
            scheme.lower() != "bearer"
            or not secret
            or len(secret) > MAX_TOKEN
            or is_unsafe_text(secret)
        ):
            return FORBIDDEN
        try:
            viewer = await self._viewer_for(secret)
        except _Unavailable:
            return 1013, "The service is unavailable; try again later."
        if viewer is None:
            return FORBIDDEN
        connection.viewer, connection.secret = viewer, secret
        connection.client_key = f"token:{viewer.token_id}"
        return None

    async def _viewer_for(self, secret: str) -> Viewer | None:
        try:
            async with self.listener.session_factory() as session:
                return await accounts.viewer_for_token(session, secret, now=self.clock())
        except (DBAPIError, SQLAlchemyTimeoutError, OSError):
            raise _Unavailable from None

    async def refusal(self, payload: Any) -> tuple[str | None, list[dict[str, Any]]]:
        """The subscription's document text, or the errors that refuse it before it runs."""
        if not isinstance(payload, dict):
            return None, [_error("The subscribe message has no payload.", "BAD_REQUEST")]
        query, name = payload.get("query"), payload.get("operationName")
        variables, extensions = payload.get("variables"), payload.get("extensions")
        if (
            not isinstance(query, str | None)
            or not isinstance(name, str | None)
            or not isinstance(variables, dict | None)
            or not isinstance(extensions, dict | None)
        ):
            message = "`query` and `operationName` must be strings, `variables` an object."
            return None, [_error(message, "BAD_REQUEST")]
        if query is None and not (extensions or {}).get("persistedQuery"):
            return None, [_error("The subscribe message has no `query`.", "BAD_REQUEST")]
        try:
            document = await self.persisted.resolve(query, extensions)
        except PersistedQueryError as error:
            return None, [_error(error.message, error.code)]
        parsed = self.documents.get(document.text)
        if (reason := refusal(parsed)) is not None:
            return None, [_error(reason, "QUERY_TOO_COMPLEX")]
        kind = parsed.operation_type(name) if parsed.node is not None else None
        if kind is not None and kind is not OperationType.SUBSCRIPTION:
            return None, [_error(SUBSCRIPTIONS_ONLY, "BAD_REQUEST")]
        return document.text, []

    def operation_context(self, connection: Connection) -> Context:
        state = RequestState(request_id=f"ws-{id(connection):x}", client_key=connection.client_key)
        context = self.make_context(connection.websocket, state, connection.viewer)
        context.live = connection
        return context


def _authorization(params: Mapping[str, Any]) -> str | None:
    """The Authorization value among the connection parameters (any case; top level, or in
    `headers` as Hasura's clients send it)."""
    for scope in (params, params.get("headers")):
        if isinstance(scope, Mapping):
            for key, value in scope.items():
                if isinstance(key, str) and key.lower() == "authorization":
                    return value if isinstance(value, str) else ""
    return None


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 200


def _error(message: str, code: str) -> dict[str, Any]:
    return GraphQLError(message, extensions={"code": code}).formatted  # type: ignore[return-value]
