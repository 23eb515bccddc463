"""Run the benchmark and write its report to bench/results/.

    uv run python -m bench.run --posts 100000 --backend postgresql --duration 10

Loads (or reuses) the dataset, starts Quire and the floor on free ports, picks the operations'
variables from the data, checks that the floor answers what Quire answers, then loads every
operation with wrk in turn. Exits non-zero, after writing the report, when any response failed
its check or the floor's answers differ from Quire's.
"""

import argparse
import os
import shutil
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.dataset import DATA_DIR, Dataset, database_version, prepare, redacted
from bench.load import LoadSettings, ensure_wrk, wrk_version
from bench.measure import (
    Measurement,
    ProbeError,
    Target,
    floor_counters,
    measure,
    probe,
    quire_counters,
)
from bench.operations import OPERATIONS, Operation, Parameters, discover, request_body
from bench.report import Report, load_average, machine_info, versions
from bench.servers import ROOT, Server, free_port, pinned, running

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SERVER_CPUS, DRIVER_CPUS = "0", "1"
BUSY_LOAD_AVERAGE = 0.5  # one-minute load average above which the report warns of other work


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1000, help="English posts in the dataset")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds of load per operation"
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of warm-up per operation"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--text", default="kafka", help="the text filter's word")
    parser.add_argument("--search", default="kafka streams", help="the selective search's words")
    parser.add_argument(
        "--common-word", default="index", help="the common search's word (in about 10% of posts)"
    )
    parser.add_argument("--deep-page", type=int, default=50, help="the deep cursor page")
    parser.add_argument(
        "--operations",
        default=",".join(op.name for op in OPERATIONS),
        help="comma-separated subset of: " + ", ".join(op.name for op in OPERATIONS),
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "QUIRE_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a database on the PostgreSQL server that gets the quire_bench_<posts> databases",
    )
    parser.add_argument(
        "--response-cache",
        action="store_true",
        help="run Quire with its response cache on (warm after the first request); off by "
        "default, so the figures are of the full GraphQL path",
    )
    parser.add_argument(
        "--quire-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra QUIRE_* setting for Quire (repeatable), e.g. QUIRE_DB_POOL_SIZE=20",
    )
    args = parser.parse_args(argv)
    if args.response_cache:
        args.quire_env.append("QUIRE_RESPONSE_CACHE=true")
    for setting in args.quire_env:
        key, equals, _value = setting.partition("=")
        if not equals or not key.startswith("QUIRE_"):
            parser.error(f"--quire-env takes QUIRE_NAME=value, not {setting!r}")
    known = {op.name for op in OPERATIONS}
    chosen = [name.strip() for name in args.operations.split(",") if name.strip()]
    unknown = sorted(set(chosen) - known)
    if unknown:
        parser.error(f"unknown operations: {', '.join(unknown)}")
    args.selected = [op for op in OPERATIONS if op.name in chosen]
    return args


def pinning() -> tuple[str | None, str | None]:
    """CPUs for the servers and for wrk: different cores when there are two and taskset."""
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return SERVER_CPUS, DRIVER_CPUS
    return None, None


def server_env(database_url: str, extra: list[str]) -> dict[str, str]:
    """The caller's environment without its QUIRE_* settings, plus the benchmark's own and
    the `--quire-env` ones (where `--response-cache` puts its setting too)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUIRE_")}
    env.update(QUIRE_SETTINGS)
    for setting in extra:
        key, _, value = setting.partition("=")
        env[key] = value
    env["QUIRE_DATABASE_URL"] = database_url
    return env


QUIRE_SETTINGS = {
    "QUIRE_ENVIRONMENT": "development",
    "QUIRE_WORKERS": "1",
    "QUIRE_LOG_LEVEL": "warning",
    "QUIRE_RATE_LIMIT_ENABLED": "false",
    "QUIRE_METRICS": "true",
    "QUIRE_DB_ECHO": "false",
    "QUIRE_RESPONSE_CACHE": "false",
}


def plan(selected: list[Operation]) -> list[tuple[str, Operation]]:
    """Each floor route right before the first operation compared with it."""
    by_name = {op.name: op for op in OPERATIONS}
    steps: list[tuple[str, Operation]] = []
    floors: set[str] = set()
    for operation in selected:
        if operation.floor and operation.floor not in floors:
            steps.append(("floor", by_name[operation.floor]))
            floors.add(operation.floor)
        steps.append(("Quire", operation))
    return steps


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = ensure_wrk()
    dataset = prepare(args.backend, args.posts, postgres_url=args.postgres_url)
    server_cpus, driver_cpus = pinning()
    settings = LoadSettings(
        connections=args.connections,
        threads=args.threads,
        duration=args.duration,
        warmup=args.warmup,
        cpus=driver_cpus,
    )
    started = datetime.now(UTC)
    busy = os.getloadavg()[0]
    report = Report(
        title=f"Quire benchmark: {args.backend}, {args.posts:,} posts, "
        f"{started:%Y-%m-%d %H:%M} UTC",
        machine=machine_info(),
        versions=versions(f"wrk: {wrk_version(wrk)}", f"Database: {database_version(dataset.url)}"),
        settings=settings_lines(args, dataset, settings, server_cpus),
        parameters=[],
    )
    steps = plan(args.selected)
    env = server_env(dataset.url, args.quire_env)
    logs = DATA_DIR / "logs"
    quire_port, floor_port = free_port(), free_port()
    quire_command = ["uv", "run", "--frozen", "quire", "serve", "--port", str(quire_port)]
    floor_command = ["uv", "run", "--frozen", "uvicorn", "bench.floor:app", "--host", "127.0.0.1"]
    floor_command += ["--port", str(floor_port), "--log-level", "warning"]
    with (
        running(
            "Quire",
            pinned([*quire_command, "--workers", "1"], server_cpus),
            port=quire_port,
            ready_path="/readyz",
            env=env,
            log=logs / "quire.log",
        ) as quire,
        running(
            "floor",
            pinned(floor_command, server_cpus),
            port=floor_port,
            ready_path="/readyz",
            env=env,
            log=logs / "floor.log",
        ) as floor,
    ):
        parameters = discover(
            quire.url("/graphql"),
            text=args.text,
            search=args.search,
            common_word=args.common_word,
            deep_page=args.deep_page,
        )
        report.parameters = parameter_lines(parameters, dataset)
        steps = [(target, titled(operation, parameters)) for target, operation in steps]
        bodies = write_bodies(parameters)
        floor_routes = sorted({op.name for target, op in steps if target == "floor"})
        report.checks = compare_with_floor(quire, floor, floor_routes, bodies)
        if busy > BUSY_LOAD_AVERAGE:
            report.checks.append(
                f"Load average {busy:.2f} before the run: other work shared the CPUs, so req/s "
                "and latencies are pessimistic and noisy; compare CPU ms/req and the ratios"
            )
        targets = {
            "Quire": Target("Quire", quire, lambda _op: "/graphql", quire_counters(quire)),
            "floor": Target("floor", floor, lambda op: f"/{op.name}", floor_counters(floor)),
        }
        for target_name, operation in steps:
            print(f"{target_name}: {operation.title}...", flush=True)
            measurement = measure(
                targets[target_name], operation, bodies[operation.name], wrk=wrk, settings=settings
            )
            report.measurements.append(measurement)
            print("  " + summary(measurement), flush=True)
    report.machine.append(f"Load average after the run: {load_average()}")
    cached = "-cached" if args.response_cache else ""
    path = RESULTS_DIR / f"{started:%Y-%m-%d}-{args.backend}-{args.posts}{cached}.md"
    RESULTS_DIR.mkdir(exist_ok=True)
    path.write_text(report.markdown())
    print()
    print(report.markdown())
    print(f"Report written to {path.relative_to(ROOT)}")
    return verdict(report)


def settings_lines(
    args: argparse.Namespace, dataset: Dataset, settings: LoadSettings, server_cpus: str | None
) -> list[str]:
    pinned_note = (
        f"servers pinned to CPU {server_cpus}, wrk to CPU {settings.cpus} (taskset); "
        "the database server is not pinned"
        if server_cpus is not None
        else "no CPU pinning (fewer than 2 CPUs or no taskset)"
    )
    quire_env = " ".join(
        [f"{key}={value}" for key, value in QUIRE_SETTINGS.items()] + args.quire_env
    )
    lines = [
        f"Load: wrk, {settings.threads} threads, {settings.connections} connections, "
        f"{settings.duration:g} s per operation after a {settings.warmup:g} s warm-up "
        f"(warm-up responses are checked too), timeout {settings.timeout:g} s",
        f"CPUs: {pinned_note}",
        f"Quire: `uv run --frozen quire serve --workers 1` with {quire_env}",
        "Floor: `uv run --frozen uvicorn bench.floor:app --log-level warning` "
        "(one worker, same uvicorn), pool of 10 connections on PostgreSQL, 5 on SQLite",
        f"Database: `{redacted(dataset.url)}`",
        f"Dataset: `quire demo load --posts {dataset.posts} --seed 1`, "
        + (
            f"loaded for this run in {dataset.load_seconds:.0f} s"
            if dataset.loaded_now and dataset.load_seconds is not None
            else "reused from an earlier run"
        ),
    ]
    if (ROOT / ".env").exists():
        lines.append("Warning: a .env file in the project root may add settings to Quire's")
    return lines


def parameter_lines(parameters: Parameters, dataset: Dataset) -> list[str]:
    return [
        f"Tag page: tag `{parameters.tag}` ({parameters.tag_posts:,} published posts), "
        "the one with most posts",
        *(
            f"Tag page, tag number {rank} by posts: `{slug}` ({posts:,} published posts)"
            for rank, (slug, posts) in sorted(parameters.ranked_tags.items())
        ),
        f"Author page: author `{parameters.author}` ({parameters.author_posts:,} published posts)",
        "Author page, long tail: author number {} by posts, `{}` ({:,} published posts)".format(
            *parameters.tail_author
        ),
        f"Post page: `{parameters.post_slug}` (has a translation)",
        f"Text filter: `{parameters.text}`",
        f"Search: `{parameters.search}`; common word: `{parameters.common_word}`",
        f"Deep page: page {parameters.deep_page} of the home list, reached by walking the cursors",
    ]


def titled(operation: Operation, parameters: Parameters) -> Operation:
    """The deep page's title names the page the cursor walk reached."""
    if operation.name != "deep":
        return operation
    return replace(operation, title=f"Page {parameters.deep_page} (cursor)")


def write_bodies(parameters: Parameters) -> dict[str, Path]:
    """Each operation's request body, written once for wrk to send."""
    directory = DATA_DIR / "bodies"
    directory.mkdir(parents=True, exist_ok=True)
    bodies = {}
    for operation in OPERATIONS:
        path = directory / f"{operation.name}.json"
        path.write_bytes(request_body(operation, parameters))
        bodies[operation.name] = path
    return bodies


def compare_with_floor(
    quire: Server, floor: Server, routes: list[str], bodies: dict[str, Path]
) -> list[str]:
    """The floor must answer the same document as Quire (cursor values aside), or its ratios
    mean nothing. A post scheduled between the two requests can differ once: retried once."""
    by_name = {op.name: op for op in OPERATIONS}
    checks = []
    for route in routes:
        operation = by_name[route]
        body = bodies[route].read_bytes()
        difference: str | None = "not compared"
        for _attempt in range(2):
            try:
                ours = probe(quire.url("/graphql"), body, operation.expect)
                theirs = probe(floor.url(f"/{route}"), body, operation.expect)
            except ProbeError as error:
                difference = f"probe failed: {error}"
                break
            difference = first_difference(_without_cursors(ours), _without_cursors(theirs))
            if difference is None:
                break
        if difference is None:
            checks.append(f"Floor answer equals Quire's for `{route}` (cursor values aside): yes")
        else:
            checks.append(f"**MISMATCH**: floor answer for `{route}` differs: {difference}")
    return checks


def _without_cursors(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: ("<cursor>" if key == "endCursor" and item else _without_cursors(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_cursors(item) for item in value]
    return value


def first_difference(ours: Any, theirs: Any, path: str = "data") -> str | None:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if list(ours) != list(theirs):
            return f"{path}: keys {list(ours)} vs {list(theirs)}"
        for key in ours:
            found = first_difference(ours[key], theirs[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return f"{path}: {len(ours)} items vs {len(theirs)}"
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found = first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if ours == theirs else f"{path}: Quire {ours!r} vs floor {theirs!r}"


def summary(m: Measurement) -> str:
    if m.load is None:
        return f"FAILED: {m.error}"
    text = (
        f"{m.load.requests_per_second:,.0f} req/s, p50 {m.load.p50_ms:.2f} ms, "
        f"p99 {m.load.p99_ms:.2f} ms"
    )
    return f"{text}; FAILED: {m.error}" if m.failed else text


def verdict(report: Report) -> int:
    problems = [
        f"{m.target}, {m.operation.title}: {m.error or 'no request completed'}"
        for m in report.measurements
        if m.failed
    ]
    problems += [check for check in report.checks if "MISMATCH" in check]
    if not problems:
        return 0
    print("\nBENCHMARK FAILED: these figures are not valid:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    print(f"Server logs: {(DATA_DIR / 'logs').relative_to(ROOT)}/", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
