"""Real `quire serve` processes for the tests that need several, or need to kill one."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.database import create_session_factory
from models import EditorRole
from resolvers import accounts
from tests.conftest import Database
from tests.webhook_receiver import free_port


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]


@contextmanager
def server(database: Database, tmp_path: Path, name: str, **settings: str) -> Iterator[Server]:
    """A `quire serve` process (one worker: uvicorn serves in the process itself) on a free
    port."""
    port = free_port()
    env = {
        **os.environ,
        "QUIRE_DATABASE_URL": database.url,
        "QUIRE_LOG_LEVEL": "warning",
        "QUIRE_RATE_LIMIT_ENABLED": "false",
        "QUIRE_BACKGROUND_INTERVAL_SECONDS": "0.05",
        "QUIRE_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "QUIRE_SHUTDOWN_DRAIN_SECONDS": "0",
        **settings,
    }
    log = (tmp_path / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield Server(f"http://127.0.0.1:{port}", process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


async def ready(base: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            try:
                if (await http.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{base} never answered")


async def editor_token(database: Database, name: str) -> str:
    """The secret of a new integration token with the editor role, for the processes' writes."""
    async with create_session_factory(database.engine)() as session, session.begin():
        issued = await accounts.create_integration_token(session, name=name, role=EditorRole.EDITOR)
    return issued.secret
