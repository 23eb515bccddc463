"""Structured logs, Prometheus metrics and the per-request SQL statement count."""

import logging
import os
import re
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_logger = logging.getLogger("quire.access")
ACCESS_FIELDS = "quire.access"
"""The scope key where an endpoint leaves the fields it adds to its request's log line."""
QUIET_PATHS = ("/healthz", "/readyz")  # probes: logged only when they fail (or at debug)


@dataclass
class RequestStats:
    sql_statements: int = 0


_current: ContextVar[RequestStats | None] = ContextVar("quire_request_stats", default=None)


def begin_request() -> RequestStats:
    """Start counting for the current request; tasks it spawns share the same counter."""
    stats = RequestStats()
    _current.set(stats)
    return stats


def count_statements(engine: AsyncEngine) -> None:
    def before_cursor_execute(*_args: Any) -> None:
        stats = _current.get()
        if stats is not None:
            stats.sql_statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", before_cursor_execute)


MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
"""Set (by `quire serve --workers N`, or by whoever runs the workers): every worker writes its
numbers to files there, and a scrape of any worker sums them (prometheus_client's
multiprocess mode)."""


class Metrics:
    """Prometheus metrics of one app. Operation names come from clients, so only well-formed
    names are used as labels, and only the first `max_operations` of them (cardinality)."""

    def __init__(self, *, max_operations: int = 200) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_DIR))
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "quire_requests", "GraphQL requests.", ["operation", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "quire_request_duration_seconds",
            "GraphQL request latency.",
            ["operation"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.errors = Counter(
            "quire_errors", "Errors returned to clients, by code.", ["code"], registry=self.registry
        )
        self.sql = Histogram(
            "quire_sql_statements_per_request",
            "SQL statements run for one GraphQL request.",
            buckets=(0, 1, 2, 3, 4, 5, 8, 13, 21, 50, 100),
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "quire_rate_limited_requests",
            "Requests refused by the rate limit.",
            registry=self.registry,
        )
        self.executors = Counter(
            "quire_executed_operations",
            "Operations run, by executor: a compiled read plan ('compiled'), Strawberry after "
            "a plan handed the request over ('fallback': an invalid request, mostly), or "
            "Strawberry for a document no plan covers ('strawberry').",
            ["executor"],
            registry=self.registry,
        )
        self.websockets = Gauge(
            "quire_websocket_connections",
            "Open WebSocket connections.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.subscriptions = Gauge(
            "quire_subscriptions",
            "Subscriptions running.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self._operations: set[str] = set()
        self._max_operations = max_operations

    def operation_label(self, name: str | None) -> str:
        if not name or not _OPERATION_NAME.fullmatch(name):
            return "anonymous" if not name else "invalid"
        if name in self._operations:
            return name
        if len(self._operations) >= self._max_operations:
            return "other"
        self._operations.add(name)
        return name

    def exposition(self) -> bytes:
        """The scrape: this process's numbers, or in multiprocess mode every worker's summed."""
        if not self.multiprocess:
            return bytes(generate_latest(self.registry))
        summed = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(summed)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(summed))

    def close(self) -> None:
        """This worker stops: its live gauges no longer count (multiprocess mode)."""
        if self.multiprocess:
            prometheus_multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    def observe(
        self,
        *,
        operation: str,
        status: int,
        seconds: float,
        sql: int,
        codes: list[str],
        executor: str | None = None,
    ) -> None:
        self.requests.labels(operation, str(status)).inc()
        if executor is not None:
            self.executors.labels(executor).inc()
        self.latency.labels(operation).observe(seconds)
        self.sql.observe(sql)
        for code in codes:
            self.errors.labels(code).inc()
        if status == 429:
            self.rate_limited.inc()


_OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the fields a request log carries."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


class ReadableFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = getattr(record, "fields", {})
        if fields:
            line += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return line


def configure_logging(*, level: str, json: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json
        else ReadableFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
    )
    quire = logging.getLogger("quire")
    quire.handlers[:] = [handler]
    quire.setLevel(level.upper())
    quire.propagate = False


class AccessLog:
    """One log line per HTTP request (uvicorn's access log is off): client, method, path
    (never the query string, which may hold a whole GraphQL document), HTTP version, status
    and duration, with the fields the endpoint left in the scope (request id, operation,
    SQL statements, cost, executor, error codes). Successful probes log at debug level."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = scope["path"]
            quiet = status < 400 and path in QUIET_PATHS
            level = logging.DEBUG if quiet else logging.INFO
            if access_logger.isEnabledFor(level):
                _log_access(scope, path, status, started, level)


def _log_access(scope: Scope, path: str, status: int, started: float, level: int) -> None:
    client = scope.get("client")
    fields: dict[str, Any] = {
        "client": f"{client[0]}:{client[1]}" if client else None,
        "method": scope["method"],
        "path": path,
        "http_version": scope.get("http_version"),
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        **scope.get(ACCESS_FIELDS, {}),
    }
    access_logger.log(level, "%s %s %s", scope["method"], path, status, extra={"fields": fields})
