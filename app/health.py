"""Liveness and readiness probes."""

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse

from app import migrations


async def healthz(_request: Request) -> JSONResponse:
    """The process is up and serving HTTP."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: the database answers and its schema is at the code's migration head."""
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
