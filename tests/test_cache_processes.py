"""Never stale: two `quire serve` processes share their response cache in Redis while an editor
writes through either of them; every anonymous read that starts after a write's response must
show that write, whichever process answers it and whatever either had cached. Reads sent while
a write is under way are not checked (they may see either side of it), but the answers they
leave in the cache are, by every read after."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import make_url

from tests.api.redis_server import REDIS_URL
from tests.conftest import Database
from tests.server_process import editor_token, ready, server
from tests.tcp_proxy import TcpProxy

POST = "query($id: ID!) { post(id: $id) { title tags { name } } }"
LISTED = """query($tag: String!) {
  posts(first: 50, filter: { tags: { anyOf: [$tag] } }) { nodes { title tags { name } } }
}"""
TAG = "query($slug: String!) { tag(slug: $slug) { name } }"
TOTAL = "query($tag: String!) { posts(filter: { tags: { anyOf: [$tag] } }) { totalCount } }"
POST_COUNT = "query($slug: String!) { tag(slug: $slug) { postCount } }"
VERSION = "query($id: ID!) { node(id: $id) { ... on Post { version } } }"
CREATE_TAG = """mutation($name: String!) {
  createTag(input: { name: $name }) { tag { id slug version } errors { code } } }"""
CREATE_POST = """mutation($title: String!, $tags: [ID!]) {
  createPost(input: { title: $title, body: "Text.", tagIds: $tags }) {
    post { id } errors { code } } }"""
UPDATE_POST = """mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {
  updatePost(id: $id, version: $version, input: $input) { errors { code } } }"""
PUBLISH = """mutation($id: ID!, $version: Int!) {
  publishPost(id: $id, version: $version) { errors { code } } }"""
UNPUBLISH = """mutation($id: ID!, $version: Int!) {
  unpublishPost(id: $id, version: $version) { errors { code } } }"""
DELETE = """mutation($id: ID!, $version: Int!) {
  deletePost(id: $id, version: $version) { errors { code } } }"""
UPDATE_TAG = """mutation($id: ID!, $version: Int!, $input: UpdateTagInput!) {
  updateTag(id: $id, version: $version, input: $input) { tag { version } errors { code } } }"""

WRITES = ("create", "retitle", "toggle", "delete", "tag", "untag", "hide", "show", "rename")
READS = ("page", "list", "tag", "count")
step = st.tuples(
    st.sampled_from((*WRITES, *READS, *READS, "race", "race")),
    st.integers(min_value=0, max_value=7),  # which post
    st.integers(min_value=0, max_value=1),  # which process
)


@dataclass
class Post:
    id: str
    title: str
    live: bool = False
    tagged: bool = False
    deleted: bool = False


@dataclass
class Blog:
    """What readers must see: the test's own model of the content it wrote."""

    run: dict[str, str]  # the tag every post of this example carries: id, slug
    topic: dict[str, Any]  # the tag that is added, removed, hidden, shown and renamed
    topic_name: str
    topic_public: bool = True
    posts: list[Post] = field(default_factory=list)
    written: int = 0

    def page(self, post: Post) -> dict[str, Any] | None:
        if not post.live or post.deleted:
            return None
        tags = [self.run["name"]]
        if post.tagged and self.topic_public:
            tags.append(self.topic_name)
        return {"title": post.title, "tags": [{"name": name} for name in tags]}

    def listed(self) -> list[Any]:
        pages = [self.page(post) for post in self.posts if post.live and not post.deleted]
        return sorted(pages, key=lambda page: str(page))

    def existing(self) -> list[Post]:
        return [post for post in self.posts if not post.deleted]

    def name(self, kind: str) -> str:
        self.written += 1
        return f"{self.run['slug']} {kind} {self.written}"


class Servers:
    """Two processes; the first one's database answers go through `proxy` (PostgreSQL)."""

    def __init__(self, bases: list[str], token: str, proxy: TcpProxy | None) -> None:
        self.proxy = proxy
        self.readers = [httpx.AsyncClient(base_url=base) for base in bases]
        self.editors = [
            httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {token}"})
            for base in bases
        ]

    async def read(self, which: int, query: str, variables: dict[str, Any]) -> Any:
        response = await self.readers[which].get(
            "/graphql", params={"query": query, "variables": _json(variables)}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def write(self, which: int, query: str, variables: dict[str, Any]) -> Any:
        response = await self.editors[which].post(
            "/graphql", json={"query": query, "variables": variables}
        )
        body = response.json()
        assert "errors" not in body, body
        payload = next(iter(body["data"].values()))
        assert payload["errors"] == [], payload
        return payload

    async def version(self, which: int, object_id: str) -> int:
        response = await self.editors[which].post(
            "/graphql", json={"query": VERSION, "variables": {"id": object_id}}
        )
        version: int = response.json()["data"]["node"]["version"]
        return version

    async def close(self) -> None:
        for client in (*self.readers, *self.editors):
            await client.aclose()


def _json(variables: dict[str, Any]) -> str:
    return orjson.dumps(variables).decode()


@pytest.fixture
async def servers(
    scratch_db: Database, tmp_path: Path, redis_prefix: str
) -> AsyncIterator[Servers]:
    token = await editor_token(scratch_db, "writer")
    shared = {"QUIRE_REDIS_URL": REDIS_URL, "QUIRE_REDIS_PREFIX": redis_prefix}
    proxy, slow = None, {}
    if scratch_db.backend == "postgresql":
        url = make_url(scratch_db.url)
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
        await proxy.start()
        slow = {"QUIRE_DATABASE_URL": url.set(port=proxy.port).render_as_string(False)}
    try:
        with _both(scratch_db, tmp_path, shared, slow) as bases:
            for base in bases:
                await ready(base)
            found = Servers(bases, token, proxy)
            yield found
            await found.close()
            if proxy is not None:  # stopping waits on the process: nothing serves the proxy
                await proxy.cut()
    finally:
        if proxy is not None:
            await proxy.cut()


@contextmanager
def _both(
    database: Database, tmp_path: Path, shared: dict[str, str], slow: dict[str, str]
) -> Iterator[list[str]]:
    with (
        server(database, tmp_path, "a", **{**shared, **slow}) as a,
        server(database, tmp_path, "b", **shared) as b,
    ):
        yield [a.base, b.base]


examples = iter(range(1_000_000))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=4, max_size=30))
@example(steps=[("create", 0, 0), ("toggle", 0, 0), ("page", 0, 0), ("race", 0, 0)])
async def test_no_read_after_a_write_shows_what_it_changed_from_before(
    servers: Servers, steps: list[tuple[str, int, int]]
) -> None:
    blog = await _new_blog(servers, f"run-{next(examples)}-{datetime.now(UTC):%H%M%S%f}")
    for action, index, which in steps:
        if action in WRITES:
            await _write(servers, blog, action, index, which)
        elif action == "race":
            await _race(servers, blog, index, which)
        else:
            await _read(servers, blog, action, index, which, check=True)
    for which in (0, 1):  # the end state, through both processes
        for kind in READS:
            for index in range(len(blog.posts)):
                await _read(servers, blog, kind, index, which, check=True)


async def _race(servers: Servers, blog: Blog, index: int, which: int) -> None:
    """A write while reads are under way: they may store what they read before it, unless the
    write's purge refuses them. On PostgreSQL it is sure to happen: the first process gets its
    database's answers late, and a write just before empties the entries of what it reads, so
    its reads read before the second write (through the second process) and store after it."""
    live = [post for post in blog.existing() if post.live]  # a change readers can see
    if not live:
        await _write(servers, blog, "toggle", index, which)
        return
    post = live[index % len(live)]
    shown = blog.posts.index(post)  # the index `_read` takes
    if servers.proxy is None:
        reads = [
            _read(servers, blog, kind, shown, process, check=False)
            for kind in READS
            for process in (0, 1)
        ]
        await asyncio.gather(_retitle(servers, blog, post, which), *reads)
        return
    await _retitle(servers, blog, post, 1)
    servers.proxy.delay = 0.2
    try:
        under_way = asyncio.gather(
            *(_read(servers, blog, kind, shown, 0, check=False) for kind in READS)
        )
        await asyncio.sleep(0.05)
        await _retitle(servers, blog, post, 1)
        await under_way
    finally:
        servers.proxy.delay = 0


async def _retitle(servers: Servers, blog: Blog, post: Post, which: int) -> None:
    title = blog.name("post")
    version = await servers.version(which, post.id)
    await servers.write(
        which, UPDATE_POST, {"id": post.id, "version": version, "input": {"title": title}}
    )
    post.title = title


async def _new_blog(servers: Servers, run: str) -> Blog:
    made = await servers.write(0, CREATE_TAG, {"name": run})
    topic = await servers.write(0, CREATE_TAG, {"name": f"{run} topic"})
    return Blog(
        run={**made["tag"], "name": run},
        topic=topic["tag"],
        topic_name=f"{run} topic",
    )


async def _write(servers: Servers, blog: Blog, action: str, index: int, which: int) -> None:
    if action == "create" or not blog.existing():
        title = blog.name("post")
        made = await servers.write(which, CREATE_POST, {"title": title, "tags": [blog.run["id"]]})
        blog.posts.append(Post(made["post"]["id"], title))
        return
    if action in ("hide", "show", "rename"):
        changes: dict[str, Any] = {
            "hide": {"visibility": "INTERNAL"},
            "show": {"visibility": "PUBLIC"},
            "rename": {"name": blog.name("topic")},
        }[action]
        key = {"id": blog.topic["id"], "version": blog.topic["version"]}
        changed = await servers.write(which, UPDATE_TAG, {**key, "input": changes})
        blog.topic["version"] = changed["tag"]["version"]
        blog.topic_public = {"hide": False, "show": True}.get(action, blog.topic_public)
        blog.topic_name = changes.get("name", blog.topic_name)
        return
    post = blog.existing()[index % len(blog.existing())]
    if action == "retitle":
        await _retitle(servers, blog, post, which)
        return
    key = {"id": post.id, "version": await servers.version(which, post.id)}
    if action == "toggle":
        await servers.write(which, UNPUBLISH if post.live else PUBLISH, key)
        post.live = not post.live
    elif action == "delete":
        await servers.write(which, DELETE, key)
        post.deleted = True
    else:
        tags = [blog.run["id"], blog.topic["id"]] if action == "tag" else [blog.run["id"]]
        await servers.write(which, UPDATE_POST, {**key, "input": {"tagIds": tags}})
        post.tagged = action == "tag"


async def _read(
    servers: Servers, blog: Blog, kind: str, index: int, which: int, *, check: bool
) -> None:
    if kind == "tag":
        found = await servers.read(which, TAG, {"slug": blog.topic["slug"]})
        expected: Any = {"name": blog.topic_name} if blog.topic_public else None
        assert not check or found["tag"] == expected, (found, expected)
    elif kind == "count":
        total = await servers.read(which, TOTAL, {"tag": blog.run["slug"]})
        counted = await servers.read(which, POST_COUNT, {"slug": blog.run["slug"]})
        live = len(blog.listed())
        shown = (total["posts"]["totalCount"], counted["tag"]["postCount"])
        assert not check or shown == (live, live), (shown, live)
    elif kind == "list":
        found = await servers.read(which, LISTED, {"tag": blog.run["slug"]})
        shown = sorted(found["posts"]["nodes"], key=lambda page: str(page))
        assert not check or shown == blog.listed(), (shown, blog.listed())
    elif blog.posts:
        post = blog.posts[index % len(blog.posts)]
        found = await servers.read(which, POST, {"id": post.id})
        assert not check or found["post"] == blog.page(post), (found, blog.page(post))
