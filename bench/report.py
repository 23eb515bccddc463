"""The Markdown report: machine, versions, settings and one row per measured operation."""

import json
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import Measurement
from bench.servers import ROOT

KEY_PACKAGES = (
    "strawberry-graphql",
    "graphql-core",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "orjson",
    "pydantic",
    "uvloop",
    "httptools",
)

LEGEND = (
    "- `vs floor`: Quire's req/s over the floor's for the same page, measured in this run. "
    "`(home)`, `(tag)`: the floor does not serve that page; the ratio is to its nearest route, "
    "for reference.",
    "- `p50 ms`, `p99 ms`: wrk's latency percentiles at that fixed concurrency.",
    "- `SQL/req`: statements per request over the whole load: Quire's "
    "`quire_sql_statements_per_request` histogram, the floor's own counter.",
    "- `CPU ms/req`: CPU time of the server process (all its threads; not the database "
    "server's) per request. Steadier than req/s when other work shares the machine.",
    "- `peak RSS MiB`: the server's peak resident memory during that operation's load (VmHWM, "
    "reset before each operation; the `uv run` launcher excluded).",
    "- `failed`: responses that were not HTTP 200 with `data` and without `errors`, plus "
    "socket errors and timeouts, warm-up included. Any failure invalidates the row.",
)


@dataclass
class Report:
    title: str
    machine: list[str]
    versions: list[str]
    settings: list[str]
    parameters: list[str]
    measurements: list[Measurement] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def floor_rps(self, route: str) -> float | None:
        for m in self.measurements:
            if m.target == "floor" and m.operation.floor == route and m.load and not m.failed:
                return m.load.requests_per_second
        return None

    def markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        for heading, items in (
            ("Machine", self.machine),
            ("Versions", self.versions),
            ("Settings", self.settings),
            ("Parameters", self.parameters),
        ):
            lines += [f"## {heading}", "", *(f"- {item}" for item in items), ""]
        lines += ["## Results", "", *self.table(), ""]
        lines += [*LEGEND, ""]
        failures = [
            f"{m.target}, {m.operation.title}: {m.error or 'no request completed'}"
            for m in self.measurements
            if m.failed
        ]
        if failures:
            lines += ["## Failures", "", *(f"- {failure}" for failure in failures), ""]
        if self.checks:
            lines += ["## Checks", "", *(f"- {check}" for check in self.checks), ""]
        return "\n".join(lines)

    def table(self) -> list[str]:
        rows = [
            "| Operation | Server | req/s | vs floor | p50 ms | p99 ms | SQL/req | CPU ms/req "
            "| peak RSS MiB | failed |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for m in self.measurements:
            load = m.load if m.load is not None and m.load.requests > 0 else None
            rows.append(
                "| "
                + " | ".join(
                    [
                        m.operation.title,
                        m.target,
                        _rate(load.requests_per_second) if load else "—",
                        self._ratio(m),
                        _ms(load.p50_ms) if load else "—",
                        _ms(load.p99_ms) if load else "—",
                        _number(m.sql_per_request),
                        _ms(m.cpu_ms_per_request) if m.cpu_ms_per_request is not None else "—",
                        f"{m.peak_rss_mib:.0f}" if m.peak_rss_mib is not None else "—",
                        ("**FAILED**" if m.failed else "0")
                        + (f" ({m.failures})" if m.failures else ""),
                    ]
                )
                + " |"
            )
        return rows

    def _ratio(self, m: Measurement) -> str:
        if m.target == "floor" or m.operation.floor is None or m.load is None or m.failed:
            return "—"
        floor = self.floor_rps(m.operation.floor)
        if not floor:
            return "—"
        ratio = f"{m.load.requests_per_second / floor:.2f}"
        return ratio if m.operation.floor_serves_it else f"{ratio} ({m.operation.floor})"


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if abs(value - round(value)) < 0.005 else f"{value:.2f}"


# --- Facts about this machine and checkout ------------------------------------------------------


def machine_info() -> list[str]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return [
        f"CPU: {model}, nproc {os.cpu_count()}",
        f"Memory: {mem_kib / 1024 / 1024:.1f} GiB",
        f"Kernel: {platform.system()} {platform.release()} ({platform.machine()})",
        f"Load average before the run: {load_average()}",
    ]


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def versions(*extra: str) -> list[str]:
    installed = _installed_packages()
    packages = ", ".join(f"{name} {installed.get(name, 'not installed')}" for name in KEY_PACKAGES)
    return [
        f"Python {sys.version.split()[0]} ({sys.implementation.name})",
        f"Packages: {packages}",
        *extra,
        f"Quire: {_git_revision()}",
    ]


def _installed_packages() -> dict[str, str]:
    completed = subprocess.run(
        ["uv", "pip", "list", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        return {}
    return {item["name"].lower(): item["version"] for item in json.loads(completed.stdout)}


def _git_revision() -> str:
    def git(*args: str) -> str:
        completed = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return completed.stdout.strip()

    revision = git("rev-parse", "--short", "HEAD") or "unknown"
    status = git("status", "--porcelain", "--", ".", ":!bench")
    changed = [line for line in status.splitlines() if line]
    suffix = f" with {len(changed)} uncommitted changes outside bench/" if changed else ""
    return f"commit {revision}{suffix}"
