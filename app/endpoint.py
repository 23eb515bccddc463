"""GraphQL over HTTP: one endpoint that parses requests strictly, negotiates the media type,
runs the operation with a timeout, and maps results to status codes and headers.

Follows the GraphQL-over-HTTP specification: `application/graphql-response+json` gets 400 for
requests that could not run (parse, validation, limits), `application/json` keeps 200 for
those; 405 for mutations over GET; 415 for bodies that are not JSON, which also stops
cross-site form posts (CSRF: a browser must preflight an `application/json` POST).

Caching: anonymous queries are answered from the response cache when they can be (see
app.response_cache); successful anonymous GET responses carry an ETag and the configured
Cache-Control, and every other response `private, no-store`. Complete anonymous answers name
the cache keys of what they read in the configured header (`Surrogate-Key`), for CDNs; a write
purges the keys its events name from the response cache before its response goes out.
"""

import asyncio
import logging
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from graphql import GraphQLFormattedError
from graphql import OperationType as GraphQLOperationType
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.observability import ACCESS_FIELDS, Metrics, begin_request
from app.persisted_queries import PersistedQueries, PersistedQueryError
from app.ratelimit import RateLimiter
from app.response_cache import (
    CachedResponse,
    Lookup,
    ResponseCache,
    etag_for,
    etag_matches,
    key_header,
)
from app.settings import Settings
from resolvers import accounts, spans
from resolvers.accounts import Viewer
from resolvers.context import Context, RequestState
from resolvers.errors import QuireError
from schema.compiled import CompiledReads
from schema.document import Document, refusal
from schema.errors import UNAVAILABLE_MESSAGE

logger = logging.getLogger("quire.access")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_UNAVAILABLE = {"SERVICE_UNAVAILABLE", "TIMEOUT"}
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")
_PRIVATE = "private, no-store"
_VARY = "Authorization, Accept"
SUBSCRIPTIONS_OVER_WEBSOCKET = (
    "Subscriptions are served over WebSocket at this URL (the graphql-transport-ws protocol)."
)
_THROTTLED_MESSAGE = "Rate limit exceeded; retry after the time in the Retry-After header."


class RequestError(QuireError):
    """The HTTP request itself is unusable, so nothing was executed, or its operation could not
    finish in time: either way the answer is one error and no data."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        code: str = "BAD_REQUEST",
    ) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.headers = headers or {}


@dataclass(frozen=True)
class Operation:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    document_hash: str
    """SHA-256 of `query`, in hex."""


@dataclass(frozen=True)
class _Outcome:
    """What an executed operation's result becomes over HTTP."""

    body: dict[str, Any]
    codes: list[str]
    status: int
    headers: dict[str, str]

    @property
    def complete(self) -> bool:
        """Data and no errors: an answer the response cache and HTTP caches may keep."""
        return (
            self.status == 200 and "errors" not in self.body and self.body.get("data") is not None
        )

    def response(self, media_type: str) -> Response:
        return _respond(self.body, self.status, media_type, self.headers)


class GraphQLEndpoint:
    def __init__(
        self,
        *,
        schema: Any,
        settings: Settings,
        make_context: Callable[[Request, RequestState, Viewer | None], Context],
        metrics: Metrics,
        graphiql: Callable[[Request], Awaitable[Response]] | None,
        clock: Callable[[], datetime],
        persisted: PersistedQueries,
        response_cache: ResponseCache | None = None,
        quota: RateLimiter | None = None,
        compiled: CompiledReads | None = None,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.make_context = make_context
        self.metrics = metrics
        self.graphiql = graphiql
        self.clock = clock
        self.persisted = persisted
        self.response_cache = response_cache
        self.quota = quota
        self.compiled = compiled

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        stats = begin_request()
        state = RequestState(request_id=_request_id(request), client_key=self._client_key(request))
        operation_name: str | None = None
        codes: list[str] = []
        try:
            if request.method in ("GET", "HEAD") and not _carries_an_operation(request):
                return await self._browser_page(request)
            media_type = _negotiate(request.headers.get("accept"))
            try:
                operation = await self._read(request)
                operation_name = operation.operation_name
                response, codes = await self._execute(request, operation, state, media_type)
            except RequestError as error:
                codes = [error.code]
                response = _error_response(error, media_type)
        except RequestError as error:  # not even a media type we can answer with
            codes = [error.code]
            response = _error_response(error, JSON)
        except Exception:  # a bug: mask it, keep the trace in the log under the request id
            logger.exception("unexpected error (request %s)", state.request_id)
            codes = ["INTERNAL_SERVER_ERROR"]
            masked = _error("Internal server error.", "INTERNAL_SERVER_ERROR")
            masked["extensions"]["requestId"] = state.request_id
            response = _respond({"errors": [masked]}, 500, JSON, {})
        response.headers["x-request-id"] = state.request_id
        self._record(request, response, state, operation_name, codes, started, stats.sql_statements)
        return response

    async def _browser_page(self, request: Request) -> Response:
        """GET without a query: a browser opening the endpoint gets GraphiQL when it is on."""
        accept = request.headers.get("accept", "")
        if self.graphiql is not None and ("text/html" in accept or "*/*" in accept):
            return await self.graphiql(request)
        if "text/html" in accept:
            return Response(
                orjson.dumps(
                    {"message": "No in-browser IDE here; send GraphQL requests to this URL."}
                ),
                status_code=404,
                media_type=JSON,
            )
        raise RequestError(400, "Missing `query` parameter.")

    async def _read(self, request: Request) -> Operation:
        if request.method in ("GET", "HEAD"):
            params = request.query_params
            return await self._operation(
                {
                    "query": params.get("query"),
                    "variables": _json_param(params.get("variables"), "variables"),
                    "operationName": params.get("operationName"),
                    "extensions": _json_param(params.get("extensions"), "extensions"),
                }
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != JSON:
            raise RequestError(
                415,
                "Send a POST body as `Content-Type: application/json`; "
                "form, multipart and text bodies are refused.",
            )
        body = await self._body(request)
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise RequestError(400, "The request body is not valid JSON (UTF-8).") from None
        if isinstance(payload, list):
            raise RequestError(
                400, "Batched operations are not supported; send one operation per request."
            )
        return await self._operation(payload)

    async def _operation(self, payload: Any) -> Operation:
        query, variables, name, extensions = _fields(payload)
        try:
            document = await self.persisted.resolve(query, extensions)
        except PersistedQueryError as error:
            raise RequestError(error.status, error.message, code=error.code) from None
        return Operation(
            query=document.text,
            variables=variables,
            operation_name=name,
            document_hash=document.sha256,
        )

    async def _body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        too_large = RequestError(413, f"The request body exceeds {limit} bytes.")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks, size = [], 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
        except ClientDisconnect:
            raise RequestError(400, "The client went away before sending the body.") from None
        return b"".join(chunks)

    async def _execute(
        self, request: Request, operation: Operation, state: RequestState, media_type: str
    ) -> tuple[Response, list[str]]:
        """The response to a readable operation, and its error codes: from the response cache,
        or by running the operation (and keeping a complete anonymous answer)."""
        anonymous = "authorization" not in request.headers
        document = state.document = self.schema.documents.get(operation.query)
        lookup = await self._lookup(document, operation) if anonymous else None
        if lookup is not None and lookup.hit is not None:
            return await self._from_cache(request, lookup.hit, state, media_type)
        if lookup is not None:
            state.events_acknowledged = lookup.acknowledged
        if (reason := refusal(document)) is not None:
            return _too_complex(reason, media_type)
        if document.operation_type(operation.operation_name) is GraphQLOperationType.SUBSCRIPTION:
            raise RequestError(400, SUBSCRIPTIONS_OVER_WEBSOCKET)
        viewer = await self._authenticate(request, state)
        result, context = await self._run(request, operation, document, state, viewer)
        outcome = self._outcome(result, state, media_type)
        if not anonymous or not outcome.complete:
            return outcome.response(media_type), outcome.codes
        response = await self._keep_and_complete(
            request,
            outcome,
            document=document,
            lookup=lookup,
            state=state,
            media_type=media_type,
            now=context.now,
        )
        return response, outcome.codes

    async def _lookup(self, document: Document, operation: Operation) -> Lookup | None:
        if self.response_cache is None or document.node is None:
            return None
        return await self.response_cache.lookup(
            document,
            operation_name=operation.operation_name,
            variables=operation.variables,
            now=self.clock(),
        )

    async def _from_cache(
        self, request: Request, hit: CachedResponse, state: RequestState, media_type: str
    ) -> tuple[Response, list[str]]:
        """A cached response, charged to the rate limit as if its query had run again."""
        state.cost = hit.cost
        if self.quota is not None:
            state.rate = await self.quota.take(state.client_key, hit.cost)
            if not state.rate.allowed:
                state.throttled = True
                retry = str(max(1, math.ceil(state.rate.retry_after)))
                throttled = {"errors": [_error(_THROTTLED_MESSAGE, "THROTTLED")]}
                headers = {**_rate_headers(state), "retry-after": retry}
                return _respond(throttled, 429, media_type, headers), ["THROTTLED"]
        headers = {**_rate_headers(state), **self._key_header(hit.keys)}
        return self._complete(request, hit.body, hit.etag, media_type, headers, public=True), []

    async def _authenticate(self, request: Request, state: RequestState) -> Viewer | None:
        """The viewer behind the bearer token, if one is sent; the rate limit then counts the
        token's requests rather than its address's."""
        viewer = await self._viewer(request)
        if viewer is not None:
            state.client_key = f"token:{viewer.token_id}"
        return viewer

    async def _run(
        self,
        request: Request,
        operation: Operation,
        document: Document,
        state: RequestState,
        viewer: Viewer | None,
    ) -> tuple[ExecutionResult, Context]:
        """The operation's result within the request timeout, and the context it ran with.
        Operations that cannot run at all, and the timeout, are raised as `RequestError`s."""
        context = self.make_context(request, state, viewer)
        stopped = False
        try:
            with spans.span(
                "graphql.operation", **{"graphql.operation.name": operation.operation_name}
            ) as traced:
                async with asyncio.timeout(self.settings.request_timeout_seconds):
                    answered = await self._compiled_or_strawberry(
                        request, operation, state, viewer, context
                    )
                if traced is not None:
                    traced.set_attribute("quire.executor", state.executor or "strawberry")
                return answered
        except InvalidOperationTypeError:
            raise RequestError(
                405,
                "Only queries may be sent with GET; send mutations with POST.",
                {"allow": "POST"},
            ) from None
        except CannotGetOperationTypeError as error:
            raise RequestError(400, error.as_http_error_reason()) from None
        except MissingQueryError:
            raise RequestError(400, "The request has no `query`.") from None
        except TimeoutError:
            stopped = True
            raise RequestError(
                503,
                "The request took too long and was stopped.",
                {"retry-after": "1"},
                code="TIMEOUT",
            ) from None
        finally:
            # Even a mutation that failed may have written before it ended; one stopped half
            # way may have committed what it could not tell.
            if self.response_cache is not None and viewer is not None:
                if stopped and _is_mutation(document, operation):
                    await self.response_cache.purge_all()
                else:
                    recorded = None if state.wrote_twice else state.recorded_events
                    await self.response_cache.purge(state.purged_keys, events=recorded)

    async def _compiled_or_strawberry(
        self,
        request: Request,
        operation: Operation,
        state: RequestState,
        viewer: Viewer | None,
        context: Context,
    ) -> tuple[ExecutionResult, Context]:
        """The compiled read plan's result when there is one, else Strawberry's; with the
        context that produced it."""
        result = await self._compiled(context, operation)
        if result is not None:
            return result, context
        if self.compiled is not None:  # the compiled attempt closed its context's read session
            context = self.make_context(request, state, viewer)
        return await self._strawberry(request, operation, context), context

    async def _compiled(self, context: Context, operation: Operation) -> ExecutionResult | None:
        """The answer of a compiled read plan, or None when Strawberry must run the operation
        (with a context of its own: this one's read session is closed either way)."""
        if self.compiled is None:
            context.request.executor = "strawberry"
            return None
        try:
            return await self.compiled.execute(
                context,
                document=context.request.document,
                operation_name=operation.operation_name,
                variables=operation.variables,
            )
        finally:
            await context.finish()

    async def _strawberry(
        self, request: Request, operation: Operation, context: Context
    ) -> ExecutionResult:
        # Over POST queries and mutations may run, over GET only queries (subscriptions go
        # over WebSocket: app.subscriptions).
        allowed = (
            {OperationType.QUERY}
            if request.method != "POST"
            else {OperationType.QUERY, OperationType.MUTATION}
        )
        result: ExecutionResult = await self.schema.execute(
            operation.query,
            variable_values=operation.variables,
            context_value=context,
            operation_name=operation.operation_name,
            allowed_operation_types=allowed,
        )
        return result

    def _outcome(self, result: ExecutionResult, state: RequestState, media_type: str) -> _Outcome:
        """What an executed operation's result becomes over HTTP: body, codes, status and
        headers (the rate limit's, and Retry-After when the client should come back)."""
        errors = self._formatted_errors(result)
        codes = [str((e.get("extensions") or {}).get("code", "")) for e in errors]
        body = _result_body(result, errors)
        headers = _rate_headers(state)
        if "THROTTLED" in codes:
            retry = str(max(1, math.ceil(state.rate.retry_after)))
            return _Outcome(body, codes, 429, {**headers, "retry-after": retry})
        if _UNAVAILABLE.intersection(codes):
            return _Outcome(body, codes, 503, {**headers, "retry-after": "1"})
        if result.data is None and errors and not any("path" in e for e in errors):
            # A request error: nothing executed (parse, validation, limits, variables).
            return _Outcome(body, codes, _not_run_status(media_type), headers)
        if result.data is None:
            body = {"data": None, **body}  # execution ran and nulled the whole result
        return _Outcome(body, codes, 200, headers)

    def _formatted_errors(self, result: ExecutionResult) -> list[GraphQLFormattedError]:
        errors = [error.formatted for error in result.errors or []]
        if not self.settings.introspection:
            # Variable coercion suggests enum values and fields too; they would leak the schema.
            for formatted in errors:
                formatted["message"] = _SUGGESTION.sub("", formatted["message"])
        return errors

    async def _keep_and_complete(
        self,
        request: Request,
        outcome: _Outcome,
        *,
        document: Document,
        lookup: Lookup | None,
        state: RequestState,
        media_type: str,
        now: datetime,
    ) -> Response:
        """A complete anonymous answer, kept in the response cache when it was looked up there
        and completed like a cached one."""
        payload = orjson.dumps(outcome.body)
        public = document is not None and document.cacheable
        headers, keys = outcome.headers, []
        if public and (lookup is not None or self.settings.surrogate_key_header):
            keys = state.read_keys.names()
            headers = {**headers, **self._key_header(keys)}
        if lookup is None and (request.method == "POST" or not public):
            return _respond(payload, 200, media_type, headers)  # nothing needs an ETag
        etag = etag_for(payload)
        if lookup is not None:
            await self._keep(request, lookup, payload, etag, keys, state, now)
        return self._complete(request, payload, etag, media_type, headers, public=public)

    async def _keep(
        self,
        request: Request,
        lookup: Lookup,
        body: bytes,
        etag: str,
        keys: list[str],
        state: RequestState,
        now: datetime,
    ) -> None:
        if self.response_cache is not None:
            await self.response_cache.store(
                lookup,
                body=body,
                etag=etag,
                cost=state.cost or 1,
                keys=keys,
                now=now,
                session_factory=request.app.state.session_factory,
            )

    def _key_header(self, keys: Sequence[str]) -> dict[str, str]:
        return key_header(self.settings.surrogate_key_header, keys)

    def _complete(
        self,
        request: Request,
        body: bytes,
        etag: str,
        media_type: str,
        headers: dict[str, str],
        *,
        public: bool,
    ) -> Response:
        """A complete anonymous result; a `public` one over GET HTTP caches may keep and
        revalidate."""
        if request.method == "POST" or not public:
            return _respond(body, 200, media_type, headers)
        headers = {**headers, "etag": etag, "cache-control": self.settings.cache_control}
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers={**headers, "vary": _VARY})
        return _respond(body, 200, media_type, headers)

    async def _viewer(self, request: Request) -> Viewer | None:
        """The editor or integration behind `Authorization: Bearer`, if the header is sent.

        A header that is sent but not valid is refused outright (401) rather than treated as
        anonymous, so an expired session can't silently show an editor the public view."""
        header = request.headers.get("authorization")
        if header is None:
            return None
        scheme, _, secret = header.partition(" ")
        unauthenticated = RequestError(
            401,
            "The bearer token is invalid, expired or revoked; log in again.",
            {"www-authenticate": 'Bearer error="invalid_token"'},
            code="UNAUTHENTICATED",
        )
        if scheme.lower() != "bearer" or not secret.strip() or len(secret) > 200:
            raise unauthenticated
        try:
            async with request.app.state.session_factory() as session:
                viewer = await accounts.viewer_for_token(session, secret.strip(), now=self.clock())
        except (DBAPIError, SQLAlchemyTimeoutError, OSError):
            raise RequestError(
                503, UNAVAILABLE_MESSAGE, {"retry-after": "1"}, code="SERVICE_UNAVAILABLE"
            ) from None
        if viewer is None:
            raise unauthenticated
        return viewer

    def _client_key(self, request: Request) -> str:
        return client_key(request, self.settings.trusted_proxy_header)

    def _record(
        self,
        request: Request,
        response: Response,
        state: RequestState,
        operation_name: str | None,
        codes: list[str],
        started: float,
        sql: int,
    ) -> None:
        seconds = time.perf_counter() - started
        label = self.metrics.operation_label(operation_name)
        real_codes = [code for code in codes if code]
        self.metrics.observe(
            operation=label,
            status=response.status_code,
            seconds=seconds,
            sql=sql,
            codes=real_codes,
            executor=state.executor,
        )
        request.scope[ACCESS_FIELDS] = {  # for the request's log line (AccessLog)
            "request_id": state.request_id,
            "operation": label,
            "sql_statements": sql,
            "cost": state.cost,
            "executor": state.executor,
            "errors": real_codes or None,
        }


def _fields(
    payload: Any,
) -> tuple[str | None, dict[str, Any] | None, str | None, dict[str, Any] | None]:
    """`query` (None only when a persisted query stands for it), `variables`, `operationName`
    and `extensions`, each checked for its type."""
    if not isinstance(payload, dict):
        raise RequestError(400, "The request body must be a JSON object.")
    query = payload.get("query")
    extensions = payload.get("extensions")
    persisted = isinstance(extensions, dict) and "persistedQuery" in extensions
    if not (isinstance(query, str) and query.strip()) and not (persisted and query is None):
        raise RequestError(400, "The request needs a `query` string.")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "`variables` must be a JSON object.")
    name = payload.get("operationName")
    if name is not None and not isinstance(name, str):
        raise RequestError(400, "`operationName` must be a string.")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError(400, "`extensions` must be a JSON object.")
    return query, variables, name or None, extensions


def _is_mutation(document: Document, operation: Operation) -> bool:
    """Whether the operation that ran (if any did) was a mutation."""
    return document.operation_type(operation.operation_name) == GraphQLOperationType.MUTATION


def _carries_an_operation(request: Request) -> bool:
    """A GET with a document or a persisted query's hash, not a browser opening the URL."""
    params = request.query_params
    return "query" in params or "extensions" in params


def _json_param(value: str | None, name: str) -> Any:
    if value is None or value == "":
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        raise RequestError(400, f"The `{name}` parameter is not valid JSON.") from None


def _negotiate(accept: str | None) -> str:
    """The response media type for an Accept header; application/json when absent."""
    if not accept:
        return JSON
    best, best_q = None, 0.0
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        candidate = {
            GRAPHQL_RESPONSE: GRAPHQL_RESPONSE,
            JSON: JSON,
            "application/*": JSON,
            "*/*": JSON,
            "text/html": JSON,  # a browser following a GET link sees the JSON itself
        }.get(media.lower())
        if candidate is None or q <= 0:
            continue
        # On equal preference the specification's own media type wins.
        if q > best_q or (q == best_q and candidate == GRAPHQL_RESPONSE):
            best, best_q = candidate, q
    if best is None:
        raise RequestError(
            406, f"Accept {GRAPHQL_RESPONSE} or {JSON}; this server answers with nothing else."
        )
    return best


def _error(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


def _result_body(result: ExecutionResult, errors: list[GraphQLFormattedError]) -> dict[str, Any]:
    body: dict[str, Any] = {"data": result.data} if result.data is not None else {}
    if errors:
        body["errors"] = errors
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def _not_run_status(media_type: str) -> int:
    """The status of a request whose operation could not run (parse, validation, limits)."""
    return 400 if media_type == GRAPHQL_RESPONSE else 200


def _too_complex(message: str, media_type: str) -> tuple[Response, list[str]]:
    """A document refused before validation, whose work would grow with its size."""
    body = {"errors": [_error(message, "QUERY_TOO_COMPLEX")]}
    return _respond(body, _not_run_status(media_type), media_type, {}), ["QUERY_TOO_COMPLEX"]


def _error_response(error: RequestError, media_type: str) -> Response:
    body = {"errors": [_error(error.message, error.code)]}
    return _respond(body, error.status, media_type, error.headers)


def _respond(body: Any, status: int, media_type: str, headers: dict[str, str]) -> Response:
    """`body` (serialised unless bytes already), private to the client unless `headers` give
    another Cache-Control."""
    return Response(
        body if isinstance(body, bytes) else orjson.dumps(body),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers={"cache-control": _PRIVATE, "vary": _VARY, **headers},
    )


def _rate_headers(state: RequestState) -> dict[str, str]:
    if state.rate is None:
        return {}
    return {
        "ratelimit-limit": str(state.rate.limit),
        "ratelimit-remaining": str(state.rate.remaining),
        "ratelimit-reset": str(math.ceil(state.rate.reset_after)),
    }


def _request_id(request: Request) -> str:
    incoming = request.headers.get("x-request-id", "")
    return incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def client_key(connection: HTTPConnection, trusted_proxy_header: str | None) -> str:
    """Who a request (or WebSocket) comes from, for the rate and connection limits: its
    address, or the one the trusted proxy's header names."""
    if trusted_proxy_header and (lines := connection.headers.getlist(trusted_proxy_header)):
        # The proxy appends the address it saw (to the last line, or as a new line); anything
        # before it is client-supplied.
        return "ip:" + ",".join(lines).split(",")[-1].strip()
    return "ip:" + (connection.client.host if connection.client else "unknown")
