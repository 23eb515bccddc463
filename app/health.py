"""Liveness and readiness probes, and draining on SIGTERM."""

import asyncio
import logging
import signal
import threading
from types import FrameType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse

from app import migrations

logger = logging.getLogger("quire.health")


async def healthz(_request: Request) -> JSONResponse:
    """The process is up and serving HTTP."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: not draining, the database answers and its schema is at the code's
    migration head."""
    if getattr(request.app.state, "draining", False):
        return JSONResponse({"status": "unavailable", "reason": "shutting down"}, 503)
    engine: AsyncEngine = request.app.state.engine
    head = migrations.head_revision()
    try:
        async with asyncio.timeout(2), engine.connect() as connection:
            current = await migrations.current_revision(connection)
    except Exception:  # any failure to reach the database means "not ready"
        return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, 503)
    if current != head:
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": "migrations pending",
                "database": current,
                "code": head,
            },
            503,
        )
    return JSONResponse({"status": "ready", "revision": head})


def drain_on_sigterm(state: Any, seconds: float) -> None:
    """On SIGTERM, turn not ready (`state.draining`: /readyz answers 503) and keep serving for
    `seconds`, so a load balancer stops sending new connections, then stop as uvicorn does on
    SIGTERM (finish the requests in flight). A second SIGTERM stops at once; SIGINT (Ctrl-C)
    never waits. Wraps uvicorn's own handler, so it only applies under uvicorn's server, in the
    main thread."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        return
    stop = signal.getsignal(signal.SIGTERM)
    if not callable(stop):
        return
    loop = asyncio.get_running_loop()

    def handle(sig: int, frame: FrameType | None) -> None:
        if getattr(state, "draining", False):
            stop(sig, frame)
            return
        state.draining = True
        logger.info("SIGTERM: not ready; stopping in %s s", seconds)
        loop.call_soon_threadsafe(loop.call_later, seconds, stop, sig, frame)

    signal.signal(signal.SIGTERM, handle)
