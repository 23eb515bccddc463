"""The servers under test as subprocesses: start, wait until ready, read their memory, stop."""

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        return self.base_url + path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def pinned(command: list[str], cpus: str | None) -> list[str]:
    """`command` under `taskset -c cpus` when both a CPU list and taskset are there."""
    if cpus is None or not shutil.which("taskset"):
        return command
    return ["taskset", "-c", cpus, *command]


@contextmanager
def running(
    name: str,
    command: list[str],
    *,
    port: int,
    ready_path: str,
    env: dict[str, str],
    log: Path,
) -> Iterator[Server]:
    """Run `command` (which must listen on `port`) until the block ends."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping reaches uv's child
        )
    server = Server(name=name, base_url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        _wait_until_ready(server, ready_path)
        yield server
    finally:
        _stop(process)


def _wait_until_ready(server: Server, path: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited while starting:\n{_tail(server.log)}")
        try:
            with urllib.request.urlopen(server.url(path), timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"{server.name} was not ready within {READY_TIMEOUT_SECONDS:g} s:\n{_tail(server.log)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# --- Memory -------------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the ppid follows the last ')'.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending.extend(children.get(current, []))
    return tree


def _server_processes(pid: int) -> list[int]:
    """The tree without the `uv run` launcher, whose memory is not the server's."""
    return [p for p in process_tree(pid) if _read(p, "comm").strip() != "uv"]


def reset_peak_rss(pid: int) -> bool:
    """Restart the kernel's peak-RSS counters (VmHWM) of the server's processes."""
    try:
        for process in _server_processes(pid):
            Path(f"/proc/{process}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mib(pid: int) -> float:
    """Sum of VmHWM over the server's processes (one worker: that worker's peak RSS)."""
    total_kib = 0
    for process in _server_processes(pid):
        for line in _read(process, "status").splitlines():
            if line.startswith("VmHWM:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the server's processes (all their threads) so far."""
    ticks = 0
    for process in _server_processes(pid):
        fields = _read(process, "stat").rsplit(")", 1)[-1].split()
        if len(fields) > 12:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _read(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_text()
    except OSError:
        return ""
