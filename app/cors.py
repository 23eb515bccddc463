"""Cross-origin preflights from origins that are not allowed: a clear refusal that names the
setting, rather than the bare 405 (no CORS configured) or 400 a browser's console shows without
a reason. Allowed origins go on to Starlette's CORSMiddleware."""

import orjson
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_SHOWN_ORIGIN = 200


class PreflightRefusal:
    def __init__(self, app: ASGIApp, *, allowed: list[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            origin = headers.get("origin")
            if (
                origin is not None
                and "access-control-request-method" in headers
                and origin not in self.allowed
                and "*" not in self.allowed
            ):
                await _refusal(origin)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _refusal(origin: str) -> Response:
    shown = origin[:MAX_SHOWN_ORIGIN]
    message = (
        f"Cross-origin requests from {shown} are not allowed. The API's operator lists the "
        "origins that may call it in QUIRE_CORS_ORIGINS."
    )
    body = {"errors": [{"message": message, "extensions": {"code": "CORS_ORIGIN_NOT_ALLOWED"}}]}
    return Response(
        orjson.dumps(body),
        status_code=403,
        media_type="application/json",
        headers={"cache-control": "no-store", "vary": "Origin"},
    )
