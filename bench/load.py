"""The load driver: wrk with a Lua script that checks every response."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "wrk" / "graphql.lua"


@dataclass(frozen=True)
class LoadSettings:
    connections: int = 16
    threads: int = 2
    duration: float = 10.0
    warmup: float = 2.0
    timeout: float = 15.0  # beyond Quire's own 10 s request timeout, so Quire answers first
    cpus: str | None = None  # taskset CPU list for wrk, e.g. "1"


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    checked: int  # responses the Lua script looked at
    failed: int  # responses that were not 200 with data and without errors
    socket_errors: int  # connect, read, write errors and timeouts (no response to check)
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    failure_sample: str | None
    output: str

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        # `checked == requests` proves the Lua check saw every response.
        return (
            self.requests > 0
            and self.checked == self.requests
            and self.failed == 0
            and self.socket_errors == 0
        )


def ensure_wrk() -> str:
    """wrk's path, installed from Debian's packages first when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("wrk is missing; installing it with apt-get", flush=True)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("apt-get installed wrk, but it is not on PATH")
    return found


def wrk_version(wrk: str) -> str:
    completed = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first_line = (completed.stdout or completed.stderr).splitlines()[:1]
    return first_line[0].split(" [")[0] if first_line else "unknown"


def run_wrk(wrk: str, url: str, body: Path, settings: LoadSettings, seconds: float) -> LoadResult:
    """One bounded wrk run against `url`, POSTing the JSON in `body`."""
    command = [
        wrk,
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{seconds:g}s",
        f"--timeout={settings.timeout:g}s",
        "--latency",
        "-s",
        str(SCRIPT),
        url,
        "--",
        str(body),
    ]
    if settings.cpus is not None and shutil.which("taskset"):
        command = ["taskset", "-c", settings.cpus, *command]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + settings.timeout + 30
    )
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise RuntimeError(f"wrk exited with {completed.returncode}:\n{output}")
    return parse_output(output)


def parse_output(output: str) -> LoadResult:
    """Read the BENCH_RESULT line the Lua script's done() prints (latencies in microseconds)."""
    result: dict[str, float] | None = None
    sample = None
    for line in output.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line.removeprefix("BENCH_RESULT "))
        elif line.startswith("BENCH_FAILURE_SAMPLE "):
            sample = line.removeprefix("BENCH_FAILURE_SAMPLE ")
    if result is None:
        raise RuntimeError(f"wrk printed no BENCH_RESULT line; is the Lua script in use?\n{output}")
    socket_errors = sum(
        int(result[key]) for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return LoadResult(
        requests=int(result["requests"]),
        seconds=result["duration_us"] / 1e6,
        checked=int(result["checked"]),
        failed=int(result["failed"]),
        socket_errors=socket_errors,
        p50_ms=result["p50_us"] / 1000,
        p90_ms=result["p90_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        max_ms=result["max_us"] / 1000,
        failure_sample=sample,
        output=output,
    )
