"""`quire serve --workers 2` serves over real sockets, sums both workers' numbers in any
scrape, and shuts down cleanly on SIGTERM: not ready first, still serving while a load
balancer drains it, then stopped."""

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
        "QUIRE_SHUTDOWN_DRAIN_SECONDS": "2",
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
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
        _check_metrics_sum_every_worker(port)
        server.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        # The supervisor passes it on to both workers: once it has, four new connections in a
        # row (either worker may take each) all hear "shutting down", and are still served.
        in_a_row = 0
        while in_a_row < 4:
            assert time.monotonic() - stopping < 2, "the workers never turned not ready"
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz")
            draining = ready.status_code == 503
            if draining:
                assert ready.json() == {"status": "unavailable", "reason": "shutting down"}
            in_a_row = in_a_row + 1 if draining else 0
            served = httpx.post(
                f"http://127.0.0.1:{port}/graphql", json={"query": "{ posts { totalCount } }"}
            )
            assert served.status_code == 200  # draining: still serving
        output = server.communicate(timeout=30)[0].decode()
        assert time.monotonic() - stopping >= 2  # not before the drain ended
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, output


def _check_metrics_sum_every_worker(port: int) -> None:
    """Requests on new connections land on either worker; every scrape, whichever worker
    answers it, counts all of them."""
    sent = 20
    for _ in range(sent):
        httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "query Counted { __typename }", "operationName": "Counted"},
        )
    line = 'quire_requests_total{operation="Counted",status="200"}'
    for _ in range(6):
        scrape = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        counted = [row for row in scrape.splitlines() if row.startswith(line)]
        assert counted == [f"{line} {float(sent)}"], counted
