"""The Starlette application factory: wires settings, database, schema guards, the GraphQL
endpoint, GraphiQL, health probes, metrics and middleware together."""

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from functools import partial

from graphql import OperationType
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from app import tracing
from app.background import BackgroundJobs
from app.cors import PreflightRefusal
from app.database import configured_direct_reads, configured_engine, create_session_factory
from app.deliveries import Sender
from app.endpoint import GraphQLEndpoint, client_key
from app.event_listener import EventListener
from app.feeds import feed_routes
from app.graphiql import graphiql_assets, graphiql_page
from app.health import drain_on_sigterm, healthz, readyz
from app.observability import AccessLog, Metrics, configure_logging, count_statements
from app.persisted_queries import create_persisted_queries
from app.ratelimit import create_rate_limiter
from app.replicas import create_replicas
from app.response_cache import ResponseCache, create_response_cache
from app.security import SecurityHeaders
from app.settings import Settings, get_settings
from app.subscriptions import Subscriptions
from resolvers.accounts import Viewer
from resolvers.context import Context, LoginPolicy, ReplicaReads, RequestState
from schema import build_schema
from schema.compiled import CompiledReads
from schema.limits import Limits

LISTENER_STARTUP_SECONDS = 3.0
"""How long startup waits for the event log's listener (the response cache follows it)."""


def background_jobs(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime],
    *,
    cache: ResponseCache | None = None,
    force: bool = False,
) -> BackgroundJobs | None:
    """The process's background jobs when the settings want them in `quire serve` (or
    `force`: `quire worker`); `cache` is purged of what scheduled posts going live change."""
    if not (settings.background_jobs or force):
        return None
    return BackgroundJobs(
        session_factory,
        clock=clock,
        cache=cache,
        sender=Sender(allow_private=settings.webhook_allow_private_targets),
        interval=settings.background_interval_seconds,
        disable_after=timedelta(hours=settings.webhook_disable_after_hours),
        retention=timedelta(days=settings.sync_retention_days),
        claim=timedelta(seconds=settings.webhook_claim_seconds),
    )


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None
) -> Starlette:
    """The Starlette app. `clock` gives each request its "now" (tests move it; default: UTC now)."""
    settings = settings or get_settings()
    now = clock or (lambda: datetime.now(UTC))
    configure_logging(level=settings.log_level, json=settings.json_logs)
    tracing.start()  # when the OTEL_* variables ask for it
    metrics = Metrics()
    limiter = (
        create_rate_limiter(
            redis_url=settings.redis_url,
            capacity=settings.rate_limit_burst,
            refill_per_second=settings.rate_limit_per_second,
            prefix=f"{settings.redis_prefix}rl:",
        )
        if settings.rate_limit_enabled
        else None
    )
    window = settings.login_window_minutes * 60
    login_limiters = [
        create_rate_limiter(
            redis_url=settings.redis_url,
            capacity=attempts,
            refill_per_second=attempts / window,
            prefix=f"{settings.redis_prefix}login:",
        )
        for attempts in (settings.login_attempts_per_account, settings.login_attempts_per_client)
    ]
    login = LoginPolicy(
        session_ttl=timedelta(hours=settings.session_ttl_hours),
        per_account=login_limiters[0],
        per_client=login_limiters[1],
        failure_delay_seconds=settings.login_failure_delay_seconds,
    )
    preview_ttl = timedelta(seconds=settings.preview_ttl_seconds)
    schema = build_schema(
        limits=Limits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_query_aliases,
            max_root_fields=settings.max_root_fields,
            max_cost=settings.max_query_cost,
        ),
        introspection=settings.introspection,
        quota=limiter,
        max_tokens=settings.max_query_tokens,
    )
    compiled = CompiledReads(schema) if settings.compiled_reads else None
    persisted = create_persisted_queries(settings)
    response_cache = create_response_cache(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = read_engine = configured_engine(settings, settings.database_url)
        if engine.dialect.name == "postgresql":
            read_engine = configured_engine(settings, settings.database_url, read_only=True)
            count_statements(read_engine)
        direct = await configured_direct_reads(settings, read_engine)
        count_statements(engine)
        for traced in {engine, read_engine}:
            tracing.trace_statements(traced)
        app.state.direct_reads = direct
        app.state.engine = engine
        app.state.read_engine = read_engine
        app.state.session_factory = create_session_factory(engine)
        app.state.read_session_factory = create_session_factory(read_engine)
        app.state.compiled_reads = compiled
        listener = EventListener(app.state.session_factory, poll_seconds=settings.live_poll_seconds)
        app.state.event_listener = subscriptions.listener = listener
        if response_cache is not None and response_cache.follows_log:
            response_cache.follow(listener)
            listener.begin(after_read=response_cache.catch_up)
            # Until the listener knows where the log stands, the cache in this process serves
            # nothing (app.response_cache): a moment at startup. With the database down, the
            # app starts anyway, and the first lookup after the listener started catches up.
            with suppress(TimeoutError):
                async with asyncio.timeout(LISTENER_STARTUP_SECONDS):
                    await listener.running()
                await response_cache.catch_up()
        replicas = app.state.replicas = None
        if settings.database_replica_urls:
            replicas = app.state.replicas = await create_replicas(
                settings, known=lambda: listener.known_id
            )
            listener.begin(after_read=replicas.heard)

        def wrote_events(last_event: int) -> None:
            listener.wake()
            if replicas is not None:
                replicas.wrote(last_event)

        app.state.wrote_events = wrote_events
        background = background_jobs(settings, app.state.session_factory, now, cache=response_cache)
        if background is not None:
            background.start()
        app.state.background_jobs = background
        app.state.draining = False
        drain_on_sigterm(app.state, settings.shutdown_drain_seconds)
        if settings.gc_freeze:
            # What startup built (modules, the schema, SQLAlchemy's tables, read plans) lives
            # as long as the process: out of the collector's sight, a full collection under
            # load walks only what requests allocate. It was most of the p99 tail
            # (bench/results/2026-12-06-p99-gc-freeze.md).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if background is not None:
                await background.stop()
            await listener.close()
            if replicas is not None:
                await replicas.close()
            metrics.close()
            for closable in [*login_limiters, *([limiter] if limiter else [])]:
                await closable.close()
            await persisted.close()
            if response_cache is not None:
                await response_cache.close()
            if direct is not None:
                await direct.close()
            await engine.dispose()
            if read_engine is not engine:
                await read_engine.dispose()

    def make_context(
        request: HTTPConnection, state: RequestState, viewer: Viewer | None
    ) -> Context:
        app_state = request.app.state
        context = Context(
            session_factory=app_state.session_factory,
            read_session_factory=app_state.read_session_factory,
            direct=app_state.direct_reads,
            secret_key=settings.secret_key,
            now=now(),
            request=state,
            viewer=viewer,
            login=login,
            preview_ttl=preview_ttl,
            wrote_events=app_state.wrote_events,
        )
        if app_state.replicas is not None and reads_a_replica(request, state, viewer):
            replica = app_state.replicas.choose(at_least=state.events_acknowledged)
            if replica is not None:
                context.read_session_factory = replica.session_factory
                context.direct = replica.direct
                context.replica = ReplicaReads(
                    failed=partial(app_state.replicas.failed, replica),
                    primary_session_factory=app_state.read_session_factory,
                    primary_direct=app_state.direct_reads,
                )
        return context

    async def metrics_endpoint(_request: Request) -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    endpoint = GraphQLEndpoint(
        schema=schema,
        settings=settings,
        make_context=make_context,
        metrics=metrics,
        graphiql=graphiql_page if settings.graphiql else None,
        clock=now,
        persisted=persisted,
        response_cache=response_cache,
        quota=limiter,
        compiled=compiled,
    )
    subscriptions = Subscriptions(
        schema,
        settings=settings,
        make_context=make_context,
        persisted=persisted,
        clock=now,
        client_key=lambda connection: client_key(connection, settings.trusted_proxy_header),
        metrics=metrics,
    )
    routes: list[BaseRoute] = [
        Route("/graphql", endpoint.handle, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", subscriptions),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    routes += feed_routes(settings, clock=now, cache=response_cache)
    if settings.metrics:
        routes.append(Route("/metrics", metrics_endpoint, methods=["GET"]))
    if settings.graphiql:
        routes.append(graphiql_assets())

    middleware = [
        *tracing.middleware(),
        Middleware(AccessLog),
        Middleware(SecurityHeaders, hsts=settings.environment == "production"),
        Middleware(PreflightRefusal, allowed=settings.cors_origins),
    ]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                expose_headers=["X-Request-ID", "Retry-After", "RateLimit-Remaining"],
                max_age=600,
            )
        )
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)


def reads_a_replica(request: HTTPConnection, state: RequestState, viewer: Viewer | None) -> bool:
    """Whether a request's reads may go to a read replica (app.replicas): an anonymous query over
    HTTP with no preview token."""
    document = state.document
    return (
        viewer is None
        and request.scope["type"] == "http"
        and document is not None
        and document.cacheable
        and all(op.operation is OperationType.QUERY for op in document.operations.values())
    )
