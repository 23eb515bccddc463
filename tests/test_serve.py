"""`quire serve --workers 2` serves over real sockets and shuts down cleanly on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_workers_serve_and_stop_gracefully(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QUIRE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "QUIRE_LOG_LEVEL": "warning",
    }
    quire = [sys.executable, "-m", "app.cli"]
    subprocess.run([*quire, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*quire, "demo", "load", "--posts", "20"], env=env, check=True, capture_output=True
    )
    port = _free_port()
    server = subprocess.Popen(
        [*quire, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        answered = False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not answered:
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": "{ posts(first: 1) { totalCount } }"},
                )
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            assert response.status_code == 200
            assert response.json()["data"]["posts"]["totalCount"] > 0
            answered = True
        assert answered, "the server never answered"
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    assert server.returncode == 0, output
