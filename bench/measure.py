"""One operation against one server: check an answer, load it with wrk, read the counters."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.client import get_text, post_json
from bench.load import LoadResult, LoadSettings, run_wrk
from bench.operations import Operation
from bench.servers import Server, cpu_seconds, peak_rss_mib, reset_peak_rss

Counters = Callable[[], tuple[float, float]]  # (SQL statements, requests) served so far


@dataclass(frozen=True)
class Target:
    """A server under test: where an operation is sent and how its counters are read."""

    name: str
    server: Server
    path: Callable[[Operation], str]
    counters: Counters


@dataclass
class Measurement:
    operation: Operation
    target: str
    load: LoadResult | None = None
    warmup: LoadResult | None = None
    sql_per_request: float | None = None
    cpu_ms_per_request: float | None = None
    peak_rss_mib: float | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None or self.load is None or not self.load.ok

    @property
    def failures(self) -> int:
        runs = [run for run in (self.warmup, self.load) if run is not None]
        return sum(run.failed + run.socket_errors for run in runs)


class ProbeError(Exception):
    pass


def quire_counters(server: Server) -> Counters:
    """From Quire's Prometheus histogram quire_sql_statements_per_request."""

    def read() -> tuple[float, float]:
        values = {}
        for line in get_text(server.url("/metrics")).splitlines():
            name, _, value = line.partition(" ")
            if name in (
                "quire_sql_statements_per_request_sum",
                "quire_sql_statements_per_request_count",
            ):
                values[name.rsplit("_", 1)[1]] = float(value)
        return values.get("sum", 0.0), values.get("count", 0.0)

    return read


def floor_counters(server: Server) -> Counters:
    def read() -> tuple[float, float]:
        stats = orjson.loads(get_text(server.url("/stats")))
        return float(stats["statements"]), float(stats["requests"])

    return read


def probe(url: str, body: bytes, expect: tuple[str, ...]) -> Any:
    """`data` of one request, which must be 200, error-free and non-empty where expected."""
    answer = post_json(url, body)
    if answer.status != 200:
        raise ProbeError(f"HTTP {answer.status}: {answer.body[:300]!r}")
    document = answer.json()
    if document.get("errors") or document.get("data") is None:
        raise ProbeError(f"errors in the answer: {answer.body[:300]!r}")
    value = document["data"]
    for key in expect:
        value = value.get(key) if isinstance(value, dict) else None
    if not value:
        raise ProbeError(f"empty {'.'.join(expect)} in the answer: {answer.body[:300]!r}")
    return document["data"]


def measure(
    target: Target,
    operation: Operation,
    body: Path,
    *,
    wrk: str,
    settings: LoadSettings,
) -> Measurement:
    result = Measurement(operation=operation, target=target.name)
    url = target.server.url(target.path(operation))
    try:
        probe(url, body.read_bytes(), operation.expect)
    except ProbeError as error:
        result.error = f"probe failed: {error}"
        return result
    pid = target.server.process.pid
    statements_before, requests_before = target.counters()
    cpu_before = cpu_seconds(pid)
    reset_peak_rss(pid)
    if settings.warmup > 0:
        result.warmup = run_wrk(wrk, url, body, settings, settings.warmup)
    result.load = run_wrk(wrk, url, body, settings, settings.duration)
    cpu_after = cpu_seconds(pid)
    statements_after, requests_after = target.counters()
    result.peak_rss_mib = peak_rss_mib(pid)
    served = requests_after - requests_before
    if served > 0:
        result.sql_per_request = (statements_after - statements_before) / served
        result.cpu_ms_per_request = (cpu_after - cpu_before) * 1000 / served
    if result.failures:
        sample = next(
            (
                run.failure_sample
                for run in (result.warmup, result.load)
                if run and run.failure_sample
            ),
            None,
        )
        result.error = f"{result.failures} failed responses; first: {sample or 'socket error'}"
    return result
