"""OpenTelemetry tracing: off unless the standard OTEL_* variables ask for it, and free when off
(nothing is instrumented; resolvers.spans' spans are null contexts).

On (OTEL_TRACES_EXPORTER set to `otlp` or `console`, or an OTLP endpoint set), each process
exports, in batches:
- a span per HTTP request (OpenTelemetry's ASGI middleware; a caller's `traceparent` is
  continued),
- a span per GraphQL operation, whichever executor answers it (`graphql.operation`),
- a span per SQL statement of those, through SQLAlchemy and through the direct reads
  (`db.query`; the background jobs' polling, outside any of them, is not traced),
- a span per Redis command (OpenTelemetry's redis instrumentation),
- a span per webhook delivery attempt (`webhook.delivery`).
The service name, resource attributes, sampler and exporter endpoint come from the standard
variables (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER,
OTEL_EXPORTER_OTLP_ENDPOINT, ...).
"""

import os
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Status, StatusCode
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.middleware import Middleware

from resolvers import spans

_provider: TracerProvider | None = None  # this process's, while tracing is on


def wanted(environ: dict[str, str] | None = None) -> bool:
    """Whether the standard variables ask for traces."""
    env = os.environ if environ is None else environ
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    return any(env.get(name) for name in endpoints)


def start(exporter: SpanExporter | None = None) -> bool:
    """Turn tracing on for this process when the variables ask for it (or with `exporter`:
    every span goes to it at once, for tests); True when it is on. Idempotent."""
    if spans.tracer() is not None:
        return True
    if exporter is None and not wanted():
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": _service_name()}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        provider.add_span_processor(BatchSpanProcessor(_exporter()))
    trace.set_tracer_provider(provider)
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    if not RedisInstrumentor().is_instrumented_by_opentelemetry:
        RedisInstrumentor().instrument(tracer_provider=provider)
    global _provider
    _provider = provider
    spans.use(provider.get_tracer("quire"))
    return True


def stop() -> None:
    """Turn this process's tracing off (tests): spans stop; the provider stays registered."""
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    if RedisInstrumentor().is_instrumented_by_opentelemetry:
        RedisInstrumentor().uninstrument()
    global _provider
    if _provider is not None:
        _provider.force_flush()
    _provider = None
    spans.use(None)


def middleware() -> list[Middleware]:
    """A span per HTTP request, when tracing is on (the outermost middleware)."""
    if spans.tracer() is None:
        return []
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    # Without the spans of each ASGI message received and sent: one span per request.
    return [
        Middleware(
            OpenTelemetryMiddleware,
            tracer_provider=_provider,
            exclude_spans=["receive", "send"],
        )
    ]


def trace_statements(engine: AsyncEngine) -> None:
    """A span per SQL statement that `engine` runs (while tracing is on)."""
    if spans.tracer() is None:
        return
    system = engine.dialect.name

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def begin(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        tracer = spans.tracer()
        if conn is None or tracer is None:  # the direct reads' own dispatch: spans.query
            return
        if not trace.get_current_span().get_span_context().is_valid:
            return  # outside any request or delivery (a background job's polling): not traced
        opened = tracer.start_span(
            spans.query_name(statement), attributes=spans.query_attributes(system, statement)
        )
        conn.info.setdefault("quire.spans", []).append(opened)

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def end(conn: Any, *_rest: Any) -> None:
        spans = conn.info.get("quire.spans") if conn is not None else None
        if spans:
            spans.pop().end()

    @event.listens_for(engine.sync_engine, "handle_error")
    def failed(context: Any) -> None:
        connection = context.connection
        spans = connection.info.get("quire.spans") if connection is not None else None
        if spans:
            failed_span = spans.pop()
            error = type(context.original_exception).__name__
            failed_span.set_status(Status(StatusCode.ERROR, error))
            failed_span.end()


def _service_name() -> str:
    return os.environ.get("OTEL_SERVICE_NAME") or "quire"


def _exporter() -> SpanExporter:
    kind = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() or "otlp"
    if kind == "console":
        return ConsoleSpanExporter()
    if kind != "otlp":
        raise ValueError(f"OTEL_TRACES_EXPORTER={kind}: Quire exports with otlp or console")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # reads OTEL_EXPORTER_OTLP_* itself
