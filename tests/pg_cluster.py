"""A PostgreSQL cluster of the test's own, on a free loopback port, for the tests that stop,
start or replicate a database (the shared one at 5432 must stay up for everyone else).

It runs the machine's PostgreSQL binaries as the `postgres` user (as `.ci/run` does, the suite
runs as root, which PostgreSQL refuses to run as)."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.webhook_receiver import free_port

USER = "postgres"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl, or None when this machine has none."""
    for found in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (found / "initdb").exists():
            return found
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


@dataclass
class Cluster:
    folder: Path
    port: int
    bin: Path

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/postgres"

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A PostgreSQL program of this machine, run as the cluster's owner."""
        program = [str(self.bin / command[0]), *command[1:]]
        if os.geteuid() == 0:
            program = ["runuser", "-u", USER, "--", *program]
        return subprocess.run(program, check=check, capture_output=True, text=True, timeout=120)

    def pg_ctl(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("pg_ctl", "-D", str(self.folder / "data"), *arguments, check=check)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self.pg_ctl("-o", options, "-l", str(self.folder / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast", *, wait: bool = True) -> None:
        """`pg_ctl stop -m mode`; without `wait`, it returns once the shutdown began."""
        self.pg_ctl("-m", mode, "-w" if wait else "-W", "stop", check=wait)


@contextmanager
def cluster() -> Iterator[Cluster]:
    """A new cluster (trust authentication), started; stopped and removed afterwards. Its
    folder is outside pytest's (which only root may enter)."""
    found = binaries()
    if found is None:
        raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="quire-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, USER, USER)
    made = Cluster(folder, free_port(), found)
    made.run("initdb", "-D", str(folder / "data"), "-U", USER, "--auth=trust", "-E", "UTF8")
    made.start()
    try:
        yield made
    finally:
        made.pg_ctl("-m", "immediate", "stop", check=False)  # whatever the test left running
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def replica_of(primary: Cluster) -> Iterator[Cluster]:
    """A streaming replica of `primary` (`pg_basebackup -R`: it follows the primary from its
    own folder, on a port of its own), started; stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="quire-pg-replica-"))
    if os.geteuid() == 0:
        shutil.chown(folder, USER, USER)
    made = Cluster(folder, free_port(), primary.bin)
    made.run(
        "pg_basebackup",
        *("-h", "127.0.0.1", "-p", str(primary.port), "-U", USER),
        *("-D", str(folder / "data"), "-R", "-X", "stream", "-c", "fast"),
    )
    made.start()
    try:
        yield made
    finally:
        made.pg_ctl("-m", "immediate", "stop", check=False)
        shutil.rmtree(folder, ignore_errors=True)
