"""GraphiQL for browsers at GET /graphql, with every asset served by the app itself.

The vendored files under static/graphiql/vendor/ come from npm via
scripts/refresh_graphiql_assets.py, which records their sha384 in manifest.json; the page
names them with those `integrity=` hashes, so a file changed by hand fails to load instead of
running. The page runs under a Content-Security-Policy that allows only this origin: its own
bootstrap is an external script, and its configuration is an inert JSON block.
"""

import base64
import hashlib
import json
import secrets
from functools import cache
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static" / "graphiql"
STATIC_ROUTE = "graphiql_static"
STYLESHEETS = (
    "vendor/graphiql/graphiql.min.css",
    "vendor/plugin-explorer/style.css",
    "quire-graphiql.css",
)
SCRIPTS = (
    "vendor/react/react.production.min.js",
    "vendor/react-dom/react-dom.production.min.js",
    "vendor/graphiql/graphiql.min.js",
    "vendor/plugin-explorer/index.umd.js",
    "quire-graphiql.js",
)
NEW_TAB_QUERY = "# A new tab: write a query, or open Docs or Explorer on the left.\n\n"


def content_security_policy(nonce: str) -> str:
    # Radix UI (inside GraphiQL) adds <style> elements while a dialog or menu is open; the
    # bootstrap script hands it this response's nonce, so no 'unsafe-inline' is needed.
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self'",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


@cache
def integrity_hashes() -> dict[str, str]:
    """sha384 of every asset the page names: vendored ones from the manifest, ours from disk."""
    manifest = json.loads((ASSETS / "manifest.json").read_text())
    hashes = {path: entry["integrity"] for path, entry in manifest["assets"].items()}
    for path in (*STYLESHEETS, *SCRIPTS):
        if not path.startswith("vendor/"):
            digest = hashlib.sha384((ASSETS / path).read_bytes()).digest()
            hashes[path] = f"sha384-{base64.b64encode(digest).decode()}"
    return hashes


@cache
def example_tabs() -> list[dict[str, str]]:
    """GraphiQL's first tabs: the README's example queries, each under a comment."""
    tabs = []
    for example in json.loads((ASSETS / "examples.json").read_text()):
        comment = "".join(f"# {line}".rstrip() + "\n" for line in example["comment"])
        tab = {"query": f"{comment}\n{example['query']}", "headers": "{}"}
        if "variables" in example:
            tab["variables"] = json.dumps(example["variables"], indent=2)
        tabs.append(tab)
    return tabs


def render_page(request: Request, nonce: str) -> str:
    hashes = integrity_hashes()

    def url(path: str) -> str:
        return escape(request.url_for(STATIC_ROUTE, path=path).path)

    config = {
        "endpoint": request.url.path,
        "styleNonce": nonce,
        "tabs": example_tabs(),
        "newTabQuery": NEW_TAB_QUERY,
    }
    # `<` is escaped so no string in the JSON can close the <script> element around it.
    config_json = json.dumps(config).replace("<", "\\u003c")
    styles = "\n".join(
        f'    <link rel="stylesheet" href="{url(p)}" integrity="{hashes[p]}">' for p in STYLESHEETS
    )
    scripts = "\n".join(
        f'    <script src="{url(p)}" integrity="{hashes[p]}"></script>' for p in SCRIPTS
    )
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Quire · GraphiQL</title>
    <link rel="icon" href="{url("quire.svg")}" type="image/svg+xml">
{styles}
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <noscript>GraphiQL needs JavaScript; the API itself answers POST /graphql.</noscript>
    <script id="quire-graphiql-config" type="application/json">{config_json}</script>
{scripts}
  </body>
</html>
"""


async def graphiql_page(request: Request) -> Response:
    nonce = secrets.token_urlsafe(18)
    return HTMLResponse(
        render_page(request, nonce),
        headers={
            "Content-Security-Policy": content_security_policy(nonce),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def graphiql_assets(path: str = "/graphql/static") -> Mount:
    integrity_hashes()  # a missing or broken manifest fails at startup, not on first visit
    return Mount(path, app=StaticFiles(directory=ASSETS), name=STATIC_ROUTE)
