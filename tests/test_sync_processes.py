"""The sync feed's guarantee, property-tested with two `quire serve` processes on one database:
an app that starts syncing at any moment, applies the pages in order and syncs again at random
moments, through either process, while an editor creates, edits, publishes, schedules,
unpublishes, deletes, renames slugs, links translations, hides, shows and merges tags and
reassigns authors through either process, holds at the end exactly what a fresh full listing
shows."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from models import Post, PostStatus
from tests.api.redis_server import REDIS_URL
from tests.conftest import Database
from tests.server_process import editor_token, ready, server

POST_FIELDS = (
    "id title slug language status updatedAt tags { id } authors { id } translations { id }"
)
NAMED_FIELDS = "id name slug updatedAt"
SYNC = f"""query($after: String, $first: Int) {{
  sync(after: $after, first: $first) {{
    items {{ __typename ... on Post {{ {POST_FIELDS} }} ... on Author {{ {NAMED_FIELDS} }}
      ... on Tag {{ {NAMED_FIELDS} }} ... on Tombstone {{ id type }} }}
    cursor hasMore }} }}"""
VERSION = "query($id: ID!) { node(id: $id) { ... on Post { version } ... on Author { version } } }"
MUTATIONS = {
    "create_post": """mutation($title: String!, $language: String, $tags: [ID!], $authors: [ID!]) {
      createPost(input: { title: $title, body: "Text.", language: $language, tagIds: $tags,
        authorIds: $authors }) { post { id } errors { code } } }""",
    "update_post": """mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {
      updatePost(id: $id, version: $version, input: $input) { errors { code } } }""",
    "publish": """mutation($id: ID!, $version: Int!, $at: DateTime) {
      publishPost(id: $id, version: $version, at: $at) { errors { code } } }""",
    "unpublish": """mutation($id: ID!, $version: Int!) {
      unpublishPost(id: $id, version: $version) { errors { code } } }""",
    "delete_post": """mutation($id: ID!, $version: Int!) {
      deletePost(id: $id, version: $version) { errors { code } } }""",
    "link": """mutation($id: ID!, $version: Int!, $of: ID!) {
      linkTranslation(id: $id, version: $version, translationOf: $of) { errors { code } } }""",
    "create_tag": """mutation($name: String!) {
      createTag(input: { name: $name }) { tag { id version } errors { code } } }""",
    "update_tag": """mutation($id: ID!, $version: Int!, $input: UpdateTagInput!) {
      updateTag(id: $id, version: $version, input: $input) { tag { version } errors { code } } }""",
    "merge_tags": """mutation($s: ID!, $sv: Int!, $t: ID!, $tv: Int!) {
      mergeTags(sourceId: $s, sourceVersion: $sv, targetId: $t, targetVersion: $tv) {
        tag { version } errors { code } } }""",
    "create_author": """mutation($name: String!) {
      createAuthor(input: { name: $name }) { author { id } errors { code } } }""",
    "update_author": """mutation($id: ID!, $version: Int!, $name: String!) {
      updateAuthor(id: $id, version: $version, input: { name: $name }) { errors { code } } }""",
    "delete_author": """mutation($id: ID!, $version: Int!, $to: ID) {
      deleteAuthor(id: $id, version: $version, reassignTo: $to) { errors { code } } }""",
}
WRITES = (
    "create_post",
    "create_post",
    "retitle",
    "reslug",
    "publish",
    "schedule",
    "unpublish",
    "delete_post",
    "link",
    "create_tag",
    "hide_tag",
    "show_tag",
    "merge_tags",
    "create_author",
    "rename_author",
    "reassign_author",
)
step = st.one_of(
    st.tuples(st.sampled_from(WRITES), st.integers(0, 99), st.integers(0, 1)),
    st.tuples(st.just("sync"), st.sampled_from([1, 3, 20]), st.integers(0, 1)),
)


@dataclass
class Newsroom:
    """The ids the editor works on (whatever readers see of them), and the tags' versions."""

    posts: list[str] = field(default_factory=list)
    languages: dict[str, str] = field(default_factory=dict)
    tags: dict[str, int] = field(default_factory=dict)
    authors: list[str] = field(default_factory=list)
    written: int = 0
    last_instant: datetime | None = None

    def name(self, kind: str) -> str:
        self.written += 1
        return f"{kind} {self.written} {uuid.uuid4().hex[:8]}"


class Servers:
    def __init__(self, bases: list[str], token: str, database: Database) -> None:
        self.database = database
        self.readers = [httpx.AsyncClient(base_url=base, timeout=30) for base in bases]
        headers = {"authorization": f"Bearer {token}"}
        self.editors = [
            httpx.AsyncClient(base_url=base, headers=headers, timeout=30) for base in bases
        ]

    async def read(self, which: int, query: str, variables: dict[str, Any]) -> Any:
        body = (
            await self.readers[which].post(
                "/graphql", json={"query": query, "variables": variables}
            )
        ).json()
        assert "errors" not in body, body
        return body["data"]

    async def write(self, which: int, name: str, variables: dict[str, Any]) -> Any:
        answer = await self.editors[which].post(
            "/graphql", json={"query": MUTATIONS[name], "variables": variables}
        )
        body = answer.json()
        assert "errors" not in body, body
        payload = next(iter(body["data"].values()))
        assert payload["errors"] == [], (name, variables, payload)
        return payload

    async def attempt(self, which: int, name: str, variables: dict[str, Any]) -> None:
        """A write that may be refused (with a typed error, never a failure)."""
        answer = await self.editors[which].post(
            "/graphql", json={"query": MUTATIONS[name], "variables": variables}
        )
        assert "errors" not in answer.json(), answer.text

    async def version(self, which: int, object_id: str) -> int:
        answer = await self.editors[which].post(
            "/graphql", json={"query": VERSION, "variables": {"id": object_id}}
        )
        version: int = answer.json()["data"]["node"]["version"]
        return version

    async def close(self) -> None:
        for client in (*self.readers, *self.editors):
            await client.aclose()


class App:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.cursor: str | None = None

    async def sync(self, servers: Servers, which: int, first: int) -> None:
        while True:
            page = (await servers.read(which, SYNC, {"after": self.cursor, "first": first}))["sync"]
            for item in page["items"]:
                if item["__typename"] == "Tombstone":
                    self.objects.pop(item["id"], None)
                else:
                    self.objects[item["id"]] = item
            self.cursor = page["cursor"]
            if not page["hasMore"]:
                return


async def listing(servers: Servers, which: int) -> dict[str, dict[str, Any]]:
    """What a fresh full listing shows, through the ordinary connections."""
    found: dict[str, dict[str, Any]] = {}
    for root, selection in (
        ("posts", POST_FIELDS),
        ("authors", NAMED_FIELDS),
        ("tags", NAMED_FIELDS),
    ):
        after = None
        while True:
            query = f"""query($after: String) {{ {root}(first: 100, after: $after) {{
                nodes {{ __typename {selection} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
            page = (await servers.read(which, query, {"after": after}))[root]
            found |= {node["id"]: node for node in page["nodes"]}
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    return found


@pytest.fixture
async def servers(
    scratch_db: Database, tmp_path: Path, redis_prefix: str
) -> AsyncIterator[Servers]:
    """Two processes sharing their response cache in Redis, as production runs them."""
    token = await editor_token(scratch_db, "newsroom")
    shared = {"QUIRE_REDIS_URL": REDIS_URL, "QUIRE_REDIS_PREFIX": redis_prefix}
    with (
        server(scratch_db, tmp_path, "a", **shared) as a,
        server(scratch_db, tmp_path, "b", **shared) as b,
    ):
        await ready(a.base)
        await ready(b.base)
        found = Servers([a.base, b.base], token, scratch_db)
        yield found
        await found.close()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(  # a translation's readers-visible change reaches its group
    before=[("create_post", 0, 0), ("create_post", 1, 1), ("publish", 0, 0), ("publish", 1, 1)],
    after=[("link", 0, 0), ("sync", 20, 0), ("unpublish", 1, 1), ("sync", 3, 1)],
)
@example(  # a translation going live at its instant reaches its group
    before=[("create_post", 0, 0), ("create_post", 1, 1), ("publish", 0, 0)],
    after=[("link", 0, 0), ("sync", 20, 0), ("schedule", 1, 1)],
)
@example(  # a merge gives the target tag a new version
    before=[("create_tag", 0, 0), ("create_tag", 0, 0), ("create_post", 0, 0)],
    after=[("sync", 1, 0), ("merge_tags", 0, 1)],
)
@given(
    before=st.lists(step, max_size=12),
    after=st.lists(step, min_size=1, max_size=25),
)
async def test_an_app_that_syncs_at_random_moments_ends_with_what_a_full_listing_shows(
    servers: Servers, before: list[tuple[str, int, int]], after: list[tuple[str, int, int]]
) -> None:
    newsroom, app = Newsroom(), App()
    for action, pick, which in before:  # content before the app's first sync
        if action != "sync":
            await _write(servers, newsroom, action, pick, which)
    for action, pick, which in after:
        if action == "sync":
            await app.sync(servers, which, first=pick)
        else:
            await _write(servers, newsroom, action, pick, which)
    if newsroom.last_instant is not None:
        await asyncio.sleep(max(0.0, (newsroom.last_instant - datetime.now(UTC)).total_seconds()))
        await _gone_live(servers.database)
    await app.sync(servers, 0, first=20)
    expected = await listing(servers, 1)
    differences = {
        key: (app.objects.get(key), expected.get(key))
        for key in app.objects.keys() | expected.keys()
        if app.objects.get(key) != expected.get(key)
    }
    assert not differences, orjson.dumps(differences, option=orjson.OPT_INDENT_2).decode()


async def _gone_live(database: Database) -> None:
    """Until no post is left scheduled (every instant has passed): the background jobs have
    recorded their events, and then purged the cached answers they change."""
    for _ in range(200):
        async with database.engine.connect() as connection:
            waiting = await connection.scalar(
                select(func.count()).select_from(Post).where(Post.status == PostStatus.SCHEDULED)
            )
        if not waiting:
            await asyncio.sleep(0.2)  # the purge follows the commit
            return
        await asyncio.sleep(0.05)
    raise AssertionError("scheduled posts never went live")


async def _write(servers: Servers, room: Newsroom, action: str, pick: int, which: int) -> None:
    if action == "create_tag" or (
        (action.endswith("_tag") or action == "merge_tags") and len(room.tags) < 2
    ):
        made = await servers.write(which, "create_tag", {"name": room.name("tag")})
        room.tags[made["tag"]["id"]] = made["tag"]["version"]
        return
    if action == "create_author" or (action.endswith("_author") and len(room.authors) < 2):
        made = await servers.write(which, "create_author", {"name": room.name("author")})
        room.authors.append(made["author"]["id"])
        return
    if action == "create_post" or not room.posts:
        variables: dict[str, Any] = {
            "title": room.name("post"),
            "language": ["en", "es"][pick % 2],
            "tags": [sorted(room.tags)[pick % len(room.tags)]] if room.tags else None,
            "authors": [room.authors[pick % len(room.authors)]] if room.authors else None,
        }
        made = await servers.write(which, "create_post", variables)
        room.posts.append(made["post"]["id"])
        room.languages[made["post"]["id"]] = variables["language"]
        return
    if action in ("hide_tag", "show_tag", "merge_tags"):
        ids = sorted(room.tags)
        tag = ids[pick % len(ids)]
        if action == "merge_tags":
            target = ids[(pick + 1) % len(ids)]
            variables = {"s": tag, "sv": room.tags[tag], "t": target, "tv": room.tags[target]}
            merged = await servers.write(which, "merge_tags", variables)
            del room.tags[tag]
            room.tags[target] = merged["tag"]["version"]
            return
        visibility = "INTERNAL" if action == "hide_tag" else "PUBLIC"
        key = {"id": tag, "version": room.tags[tag], "input": {"visibility": visibility}}
        room.tags[tag] = (await servers.write(which, "update_tag", key))["tag"]["version"]
        return
    if action in ("rename_author", "reassign_author"):
        author = room.authors[pick % len(room.authors)]
        key = {"id": author, "version": await servers.version(which, author)}
        if action == "rename_author":
            await servers.write(which, "update_author", {**key, "name": room.name("author")})
            return
        heir = room.authors[(pick + 1) % len(room.authors)]
        await servers.write(which, "delete_author", {**key, "to": heir})
        room.authors.remove(author)
        return
    post = room.posts[pick % len(room.posts)]
    key = {"id": post, "version": await servers.version(which, post)}
    if action == "retitle":
        await servers.write(which, "update_post", {**key, "input": {"title": room.name("t")}})
    elif action == "reslug":
        slug = room.name("s").replace(" ", "-")
        await servers.write(which, "update_post", {**key, "input": {"slug": slug}})
    elif action == "publish":
        await servers.write(which, "publish", key)
    elif action == "schedule":
        instant = datetime.now(UTC) + timedelta(seconds=0.3 + pick / 100)
        room.last_instant = max(room.last_instant or instant, instant)
        await servers.write(which, "publish", {**key, "at": instant.isoformat()})
    elif action == "unpublish":
        await servers.write(which, "unpublish", key)
    elif action == "delete_post":
        await servers.write(which, "delete_post", key)
        room.posts.remove(post)
    else:  # link: to a post in the other language, if there is one not yet in a group
        await _link(servers, room, post, key, which)


async def _link(
    servers: Servers, room: Newsroom, post: str, key: dict[str, Any], which: int
) -> None:
    """Link to a post in the other language; refusals (a language already in the group) are
    expected, and change nothing."""
    others = [other for other in room.posts if room.languages[other] != room.languages[post]]
    if others:
        await servers.attempt(which, "link", {**key, "of": others[0]})
