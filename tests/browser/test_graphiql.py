"""GraphiQL in a real browser: Debian's Chromium, headless, with every foreign request blocked.

The app runs in a uvicorn subprocess on a free loopback port over a migrated SQLite file with
the demo blog. Playwright (the Python package, pointed at /usr/bin/chromium; it never downloads
a browser) drives the page. Without Chromium these tests are skipped, except with CI=true,
where they fail: `.ci/run` installs it.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    Route,
    expect,
    sync_playwright,
)
from sqlalchemy import select

from models import Post
from tests.conftest import DEMO_SEED, create_database, missing_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Belt and braces: no host name resolves, so nothing could leave even past the router.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
ROOT = Path(__file__).resolve().parents[2]
QUERY = "query FirstFive { posts(first: 5) { nodes { title } } }"
HEADERS_PANE = '.graphiql-editor-tool[aria-label="Headers"]'
README_TABS = [
    "HomePage",
    "NextPage",
    "TagPage",
    "PostPage",
    "AuthorPage",
    "Facets",
    "Search",
    "Combined",
]


@dataclass
class Site:
    url: str
    titles: set[str]
    log: Path

    def post(self, query: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query}).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body: dict[str, Any] = json.load(response)
        return body


@dataclass
class Visit:
    """A page whose console errors, failed requests and foreign requests are recorded."""

    page: Page
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    graphql_requests: list[Request] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.blocked == [], self.blocked
        assert self.failed == [], self.failed


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        missing_service(f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does)")
    return CHROMIUM


@pytest.fixture(scope="module")
async def demo_file(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[str, set[str]]]:
    from app.demo import load_demo

    database, cleanup = await create_database("sqlite", tmp_path_factory.mktemp("browser"))
    await load_demo(database.engine, posts=40, seed=DEMO_SEED, now=datetime.now(UTC))
    async with database.engine.connect() as connection:
        titles = set((await connection.scalars(select(Post.title))).all())
    await database.engine.dispose()
    yield database.url, titles
    await cleanup()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def site(
    chromium: Path, demo_file: tuple[str, set[str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    url, titles = demo_file
    port = _free_port()
    log = tmp_path_factory.mktemp("uvicorn") / "uvicorn.log"
    env = os.environ | {
        "QUIRE_DATABASE_URL": url,
        "QUIRE_SECRET_KEY": "browser-test-secret",
        "QUIRE_GRAPHIQL": "true",
        "QUIRE_LOG_LEVEL": "warning",
        "QUIRE_SHUTDOWN_DRAIN_SECONDS": "0",
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        _wait_until_healthy(f"http://127.0.0.1:{port}", server, log)
        yield Site(url=f"http://127.0.0.1:{port}", titles=titles, log=log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"uvicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"uvicorn did not answer within 30 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def browser(chromium: Path, site: Site) -> Iterator[Browser]:
    # After `site`: while open, Playwright's sync API marks its own event loop as running, and
    # the async database fixture behind `site` must not be set up or torn down inside it.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def visit(browser: Browser, site: Site) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    visit = Visit(page=context.new_page())
    own_host = urlsplit(site.url).netloc

    def route(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            visit.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            visit.errors.append(f"{message.text} at {message.location}")

    def request(request: Request) -> None:
        if request.method == "POST" and urlsplit(request.url).path == "/graphql":
            visit.graphql_requests.append(request)

    context.route("**/*", route)
    visit.page.on("console", console)
    visit.page.on("pageerror", lambda error: visit.errors.append(f"page error: {error}"))
    visit.page.on("requestfailed", lambda r: visit.failed.append(f"{r.url}: {r.failure}"))
    visit.page.on("request", request)
    yield visit
    context.close()


def _open_graphiql(visit: Visit, site: Site) -> None:
    response = visit.page.goto(f"{site.url}/graphql")
    assert response is not None and response.ok
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(visit.page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()


def _editor_text(visit: Visit, selector: str) -> str:
    text: str = visit.page.locator(f"{selector} .CodeMirror").first.evaluate(
        "wrapper => wrapper.CodeMirror.getValue()"
    )
    return text


def test_a_query_typed_into_graphiql_runs_and_shows_the_posts(
    visit: Visit, site: Site, tmp_path: Path
) -> None:
    _open_graphiql(visit, site)
    page = visit.page
    page.locator(".graphiql-query-editor .CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(QUERY, delay=15)
    # CodeMirror closes brackets as they are typed and steps over the typed closing ones.
    assert _editor_text(visit, ".graphiql-query-editor") == QUERY
    # GraphiQL has parsed the typed text once the tab is named after its operation.
    expect(page.locator(".graphiql-tab-active .graphiql-tab-button")).to_have_text("FirstFive")

    page.get_by_role("button", name="Execute query").click()

    expected = [node["title"] for node in site.post(QUERY)["data"]["posts"]["nodes"]]
    assert len(expected) == 5 and set(expected) <= site.titles
    result = page.locator(".result-window")
    for title in expected:
        expect(result).to_contain_text(json.dumps(title, ensure_ascii=False))
    shown = json.loads(_editor_text(visit, ".result-window"))
    assert [node["title"] for node in shown["data"]["posts"]["nodes"]] == expected

    screenshot = tmp_path / "graphiql.png"
    page.screenshot(path=screenshot)
    print(f"screenshot: {screenshot}")
    visit.assert_clean()


def test_first_screen_offers_the_readme_examples_and_shows_where_a_token_goes(
    visit: Visit, site: Site
) -> None:
    _open_graphiql(visit, site)
    page = visit.page
    expect(page.locator(".graphiql-tab-button")).to_have_text(README_TABS)
    welcome = _editor_text(visit, ".graphiql-query-editor")
    assert welcome.startswith("# Welcome") and "query HomePage" in welcome
    headers = page.locator(HEADERS_PANE)
    expect(headers).to_be_visible()
    assert _editor_text(visit, f"{HEADERS_PANE} .graphiql-editor:not(.hidden)") == "{}"
    # JSON has no comments, so the hint on where a token goes is drawn by the page's stylesheet.
    hint = headers.evaluate("section => getComputedStyle(section, '::after').content")
    assert "Authorization" in hint and "Bearer" in hint

    page.get_by_role("button", name="Execute query").click()
    expect(page.locator(".result-window")).to_contain_text('"totalCount"')
    posts = json.loads(_editor_text(visit, ".result-window"))["data"]["posts"]
    assert (
        posts["totalCount"] == site.post("{ posts { totalCount } }")["data"]["posts"]["totalCount"]
    )
    assert len(posts["edges"]) == 20 and posts["pageInfo"]["endCursor"]
    runs = [r for r in visit.graphql_requests if "query HomePage" in (r.post_data or "")]
    assert len(runs) == 1
    # The introspection query for Docs went out too; none of them sent a token.
    assert all("authorization" not in r.all_headers() for r in visit.graphql_requests)
    visit.assert_clean()


def test_docs_query_explorer_and_dialogs_work_under_the_csp(
    visit: Visit, site: Site, tmp_path: Path
) -> None:
    _open_graphiql(visit, site)
    page = visit.page

    page.get_by_role("button", name="Show Documentation Explorer").click()
    docs = page.locator(".graphiql-doc-explorer")
    expect(docs).to_contain_text("query: Query")
    docs.get_by_text("Query", exact=True).click()
    expect(docs).to_contain_text("posts")

    page.get_by_role("button", name="Show GraphiQL Explorer").click()
    explorer = page.locator(".graphiql-explorer-root")
    expect(explorer).to_contain_text("posts")
    explorer.get_by_text("featured", exact=True).first.click()
    expect(page.locator(".graphiql-query-editor")).to_contain_text("featured")
    page.screenshot(path=tmp_path / "explorer.png")

    # Radix UI adds a <style> element while a dialog is open: it must carry the page's nonce.
    page.get_by_role("button", name="Open settings dialog").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    visit.assert_clean()
