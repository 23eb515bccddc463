"""The GraphiQL page over HTTP: offline assets with integrity hashes, a strict CSP, README tabs.

The browser half of these promises is in tests/browser/test_graphiql.py.
"""

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.graphiql import ASSETS
from app.main import create_app
from app.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
VENDOR = ASSETS / "vendor"
HTML = {"accept": "text/html,application/xhtml+xml"}


async def _http(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    # The page needs no database; the engine is created but never connects (no background
    # jobs either: they would query the empty database).
    app = create_app(
        Settings(
            database_url="sqlite+aiosqlite:///:memory:",
            secret_key="test-secret",
            background_jobs=False,
            _env_file=None,
            **settings,
        )
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _http():
        yield client


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts: list[tuple[dict[str, str | None], str]] = []
        self._open_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._open_script = dict(attrs)

    def handle_data(self, data: str) -> None:
        if self._open_script is not None and data.strip():
            self.inline_scripts.append((self._open_script, data))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open_script = None


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def _sri(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (directive.split() for directive in policy.split(";") if directive.strip())
    return {name: values for name, *values in parts}


def _config(page: str) -> dict[str, Any]:
    (attrs, data), *_ = (s for s in _parse(page).inline_scripts if s[0].get("type"))
    assert attrs == {"id": "quire-graphiql-config", "type": "application/json"}
    config: dict[str, Any] = json.loads(data)
    return config


async def test_the_page_allows_only_its_own_origin_without_eval_or_inline_code(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = _directives(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    nonce = _config(response.text)["styleNonce"]
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    for directive in ("img-src", "font-src", "connect-src"):
        assert policy[directive] == ["'self'"], directive
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    # The only inline <script> is inert data, which CSP does not run.
    assert [attrs["type"] for attrs, _ in _parse(response.text).inline_scripts] == [
        "application/json"
    ]


async def test_every_page_gets_its_own_nonce(http: httpx.AsyncClient) -> None:
    first, second = [(await http.get("/graphql", headers=HTML)).text for _ in range(2)]
    assert _config(first)["styleNonce"] != _config(second)["styleNonce"]
    assert len(_config(first)["styleNonce"]) >= 22


async def test_every_script_and_stylesheet_is_served_here_and_matches_its_integrity(
    http: httpx.AsyncClient,
) -> None:
    page = (await http.get("/graphql", headers=HTML)).text
    tags = _parse(page).tags
    assets = [attrs for tag, attrs in tags if tag == "script" and "src" in attrs]
    assets += [
        attrs | {"src": attrs["href"]} for tag, attrs in tags if attrs.get("rel") == "stylesheet"
    ]
    assert len(assets) == 8
    for attrs in assets:
        src, integrity = attrs["src"], attrs["integrity"]
        assert src and src.startswith("/graphql/static/"), src
        response = await http.get(src)
        assert response.status_code == 200, src
        assert _sri(response.content) == integrity, src
    icon = next(attrs["href"] for tag, attrs in tags if attrs.get("rel") == "icon")
    assert icon and (await http.get(icon)).status_code == 200


def test_vendored_files_are_exactly_the_ones_the_manifest_pins() -> None:
    manifest = json.loads((ASSETS / "manifest.json").read_text())
    on_disk = {
        path.relative_to(ASSETS).as_posix()
        for path in VENDOR.rglob("*")
        if path.is_file() and path.name != "LICENSE"
    }
    assert on_disk == set(manifest["assets"])
    for path, entry in manifest["assets"].items():
        assert _sri((ASSETS / path).read_bytes()) == entry["integrity"], (
            f"{path} differs from the manifest; run scripts/refresh_graphiql_assets.py"
        )
    versions = {package["name"]: package["version"] for package in manifest["packages"]}
    assert set(versions) == {"react", "react-dom", "graphiql", "@graphiql/plugin-explorer"}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in versions.values())


@pytest.mark.parametrize("stylesheet", sorted(ASSETS.rglob("*.css")), ids=lambda p: p.name)
def test_stylesheets_load_fonts_and_images_only_from_files_served_here(stylesheet: Path) -> None:
    css = stylesheet.read_text()
    for url in re.findall(r"url\(\s*['\"]?([^)'\"]+)", css):
        assert not re.match(r"[a-z]+:|//", url), f"{stylesheet.name} loads {url[:40]}"
        assert (stylesheet.parent / url).is_file(), url
    assert "@import" not in css


def test_graphiql_tabs_are_the_readme_example_queries() -> None:
    """examples.json holds the README's example queries, in order; edit both together."""
    section = README.read_text().split("## Example queries", 1)[1].split("\n## ", 1)[0]
    readme = re.findall(r"```graphql\n(.*?)```", section, flags=re.DOTALL)
    examples = json.loads((ASSETS / "examples.json").read_text())
    assert [example["query"] for example in examples] == readme


async def test_the_first_tab_is_the_commented_home_page_and_no_tab_sends_a_token(
    http: httpx.AsyncClient,
) -> None:
    config = _config((await http.get("/graphql", headers=HTML)).text)
    assert config["endpoint"] == "/graphql"
    home = config["tabs"][0]["query"]
    assert home.startswith("# Welcome")
    assert '#   {"Authorization": "Bearer <token>"}' in home
    assert "query HomePage {" in home and "pageInfo" in home
    assert all(tab["headers"] == "{}" for tab in config["tabs"])
    assert all(json.loads(tab.get("variables", "{}")) is not None for tab in config["tabs"])


async def test_api_calls_to_the_endpoint_still_reach_graphql(http: httpx.AsyncClient) -> None:
    query = "{ __typename }"
    over_get = await http.get("/graphql", params={"query": query}, headers=HTML)
    over_post = await http.post("/graphql", json={"query": query})
    assert over_get.json()["data"] == over_post.json()["data"] == {"__typename": "Query"}


async def test_switched_off_there_is_neither_page_nor_assets() -> None:
    async for http in _http(graphiql=False):
        page = await http.get("/graphql", headers=HTML)
        assert page.status_code == 404
        assert "graphiql" not in page.text.lower()
        assert (await http.get("/graphql/static/quire-graphiql.js")).status_code == 404
        assert (await http.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
