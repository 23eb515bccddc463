"""Who sees drafts and scheduled posts: anonymous readers never do, on any path; editors' accounts
find the posts their role allows by lookup, and list them only when they ask with `status`."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
from sqlalchemy import insert, update

from app.database import create_session_factory
from models import Author, EditorRole, Post, Tag
from resolvers import accounts
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import Editor, make_team
from tests.api.reader import global_id
from tests.conftest import Database, create_database

CREATE = """
mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id slug version } errors { code message } }
}"""
PUBLISH = """
mutation($id: ID!, $version: Int!, $at: DateTime) {
  publishPost(id: $id, version: $version, at: $at) { post { version } errors { code message } }
}"""
RENAME = """
mutation($id: ID!, $version: Int!, $slug: String!) {
  updatePost(id: $id, version: $version, input: { slug: $slug }) { errors { code message } }
}"""

LIVE = {"live", "en-vivo"}
DRAFTS = {"author-draft", "contributor-draft"}
ALL = LIVE | DRAFTS | {"scheduled"}
RENAMED = {"en-vivo-old": "en-vivo", "author-draft-old": "author-draft"}
# What each viewer may read by lookup. Lists show LIVE to everyone unless `status` asks for more.
READABLE = {
    "anonymous": LIVE,
    "integration token (author)": LIVE,  # a role, but no account: it owns nothing
    "contributor": LIVE | {"contributor-draft"},
    "author": LIVE | {"author-draft", "scheduled"},
    "editor": ALL,
    "integration token (editor)": ALL,
}


class Reader(Protocol):
    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]: ...

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]: ...


@dataclass
class World:
    readers: dict[str, Reader]
    ids: dict[str, str]  # current slug -> global ID


async def _create(editor: Editor, ids: dict[str, str], **input: Any) -> tuple[str, int]:
    result = await editor.run(CREATE, {"input": input})
    assert result["errors"] == [], result
    ids[result["post"]["slug"]] = result["post"]["id"]
    return result["post"]["id"], result["post"]["version"]


async def _publish(editor: Editor, post_id: str, version: int, at: str | None = None) -> int:
    result = await editor.run(PUBLISH, {"id": post_id, "version": version, "at": at})
    assert result["errors"] == [], result
    version = result["post"]["version"]
    assert isinstance(version, int)
    return version


async def _rename(
    editor: Editor, ids: dict[str, str], post_id: str, version: int, slug: str
) -> None:
    result = await editor.run(RENAME, {"id": post_id, "version": version, "slug": slug})
    assert result["errors"] == [], result
    ids[slug] = post_id


async def _integration(client: GraphQLClient, database: Database, role: EditorRole) -> Editor:
    async with create_session_factory(database.engine)() as session, session.begin():
        issued = await accounts.create_integration_token(session, name=f"{role}-bot", role=role)
    return Editor(client, issued.secret, editor_id=0)  # the id is unused: no account behind it


async def _build(client: GraphQLClient, database: Database) -> World:
    """Two live posts (one renamed), a future one and an old-slugged draft by an author, a
    contributor's draft; one author profile, one public tag, one translation group for all."""
    async with client.engine.begin() as connection:
        author_id = (
            await connection.execute(insert(Author).values(name="Ana", slug="ana"))
        ).inserted_primary_key[0]
        tag_id = (
            await connection.execute(insert(Tag).values(name="Web", slug="web"))
        ).inserted_primary_key[0]
    team = await make_team(client, database)
    author, contributor = team["author"], team["contributor"]
    links = {"authorIds": [global_id("Author", author_id)], "tagIds": [global_id("Tag", tag_id)]}
    ids: dict[str, str] = {}

    live = await _create(author, ids, title="Live", body="x", language="en", **links)
    await _publish(author, *live)
    vivo = await _create(author, ids, title="En vivo old", body="x", language="es", **links)
    await _rename(author, ids, vivo[0], await _publish(author, *vivo), "en-vivo")
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    scheduled = await _create(author, ids, title="Scheduled", body="x", language="fr", **links)
    await _publish(author, *scheduled, at=future)
    draft = await _create(author, ids, title="Author draft old", body="x", language="de", **links)
    await _rename(author, ids, *draft, "author-draft")
    await _create(contributor, ids, title="Contributor draft", body="x", language="it", **links)
    for old in RENAMED:
        del ids[old]
    async with client.engine.begin() as connection:
        await connection.execute(update(Post).values(translation_group="group-1"))

    readers: dict[str, Reader] = {
        "anonymous": client,
        "integration token (author)": await _integration(client, database, EditorRole.AUTHOR),
        "contributor": contributor,
        "author": author,
        "editor": team["editor"],
        "integration token (editor)": await _integration(client, database, EditorRole.EDITOR),
    }
    assert set(ids) == ALL
    return World(readers, ids)


@pytest.fixture(scope="module")
async def world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """Built once per backend: the tests below only read."""
    database, cleanup = await create_database(backend, tmp_path_factory.mktemp(backend))
    try:
        async for client in serve(database):
            yield await _build(client, database)
    finally:
        await cleanup()


def _slugs(nodes: list[dict[str, Any]]) -> set[str]:
    return {node["slug"] for node in nodes}


# Every path to a post, and what it must show: lists and counts the live posts to everyone,
# lookups (probed once per post, with its ID or slug as $value) what the viewer may read.
LISTS = {
    "posts": "{ posts(first: 100) { nodes { slug } } }",
    "author.posts": '{ author(slug: "ana") { posts(first: 100) { nodes { slug } } } }',
    "tag.posts": '{ tag(slug: "web") { posts(first: 100) { nodes { slug } } } }',
    "translations": "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Post { translations "
    "{ slug } } } }",
}
COUNTS = {
    "posts.totalCount": "{ posts { totalCount } }",
    "author.posts.totalCount": '{ author(slug: "ana") { posts { totalCount } } }',
    "tag.posts.totalCount": '{ tag(slug: "web") { posts { totalCount } } }',
    "author.postCount": '{ author(slug: "ana") { postCount } }',
    "tag.postCount": '{ tag(slug: "web") { postCount } }',
    "authors.postCount": "{ authors { nodes { postCount } } }",
    "facets.languages": "{ posts { facets { languages { count } } } }",
    "facets.tags": "{ posts { facets { tags { count } } } }",
    "facets.authors": "{ posts { facets { authors { count } } } }",
}
LOOKUPS = {
    "post(id)": "query($value: ID!) { post(id: $value) { slug } }",
    "post(slug)": "query($value: String!) { post(slug: $value) { slug } }",
    "post(old slug)": "query($value: String!) { post(slug: $value) { slug } }",
    "node": "query($value: ID!) { node(id: $value) { ... on Post { slug } } }",
    "nodes": "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Post { slug } } }",
}
PATHS = {**LISTS, **COUNTS, **LOOKUPS}


def _probes(path: str, world: World) -> list[dict[str, Any]]:
    """The variables of each request that walks `path`."""
    if path in ("post(id)", "node"):
        return [{"value": post_id} for post_id in world.ids.values()]
    if path == "post(slug)":
        return [{"value": slug} for slug in world.ids]
    if path == "post(old slug)":
        return [{"value": slug} for slug in RENAMED]
    return [{"ids": list(world.ids.values())} if "$ids" in PATHS[path] else {}]


def _values(data: Any, key: str) -> Iterator[Any]:
    """Every value under `key`, at any depth of a response."""
    if isinstance(data, dict):
        for name, value in data.items():
            yield from [value] if name == key else _values(value, key)
    elif isinstance(data, list):
        for item in data:
            yield from _values(item, key)


def _expected(path: str, viewer: str) -> set[str]:
    if path in LISTS:
        return LIVE
    if path == "post(old slug)":
        return READABLE[viewer] & set(RENAMED.values())
    return READABLE[viewer]


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("viewer", list(READABLE))
async def test_each_path_shows_what_the_viewer_may_read_and_lists_only_live_posts(
    world: World, viewer: str, path: str
) -> None:
    reader = world.readers[viewer]
    responses = [await reader.data(PATHS[path], variables) for variables in _probes(path, world)]
    if path in COUNTS:
        keys = ("count", "totalCount", "postCount")
        assert sum(count for key in keys for count in _values(responses, key)) == len(LIVE)
    else:
        assert set(_values(responses, "slug")) == _expected(path, viewer)


STATUS_PAGE = """
query($status: [PostStatus!], $first: Int, $after: String, $direction: OrderDirection) {
  posts(filter: { status: $status }, first: $first, after: $after,
        orderBy: { field: PUBLISHED_AT, direction: $direction }) {
    totalCount nodes { slug status } pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.mark.parametrize("viewer", ["anonymous", "integration token (author)"])
@pytest.mark.parametrize("status", ["DRAFT", "SCHEDULED"])
@pytest.mark.parametrize(
    "root", ["posts", 'author(slug: "ana") { posts', 'tag(slug: "web") { posts']
)
async def test_asking_for_drafts_or_scheduled_posts_without_an_account_is_forbidden(
    world: World, viewer: str, status: str, root: str
) -> None:
    closing = " }" if "{" in root else ""
    body = await world.readers[viewer].post(
        f"query($s: [PostStatus!]) {{ {root}(filter: {{ status: $s }}) {{ nodes {{ slug }} }}"
        f"{closing} }}",
        {"s": [status]},
    )
    assert len(body["errors"]) == 1, body
    error = body["errors"][0]
    assert error["extensions"] == {"code": "FORBIDDEN", "field": "filter.status"}
    assert "drafts and scheduled posts" in error["message"]
    assert "slug" not in str(body["data"])


async def _status_slugs(reader: Reader, statuses: list[str]) -> tuple[set[str], int]:
    page = (await reader.data(STATUS_PAGE, {"status": statuses, "first": 100}))["posts"]
    return _slugs(page["nodes"]), page["totalCount"]


@pytest.mark.parametrize(
    ("viewer", "statuses", "expected"),
    [
        ("contributor", ["DRAFT"], {"contributor-draft"}),
        ("contributor", ["SCHEDULED"], set()),
        ("author", ["DRAFT"], {"author-draft"}),
        ("author", ["DRAFT", "SCHEDULED"], {"author-draft", "scheduled"}),
        ("editor", ["DRAFT"], DRAFTS),
        ("editor", ["SCHEDULED"], {"scheduled"}),
        ("editor", ["DRAFT", "SCHEDULED", "PUBLISHED"], ALL),
        ("integration token (editor)", ["DRAFT"], DRAFTS),
        ("anonymous", ["PUBLISHED"], LIVE),
        ("integration token (author)", ["PUBLISHED"], LIVE),
    ],
)
async def test_status_lists_the_asked_statuses_the_viewer_may_read(
    world: World, viewer: str, statuses: list[str], expected: set[str]
) -> None:
    assert await _status_slugs(world.readers[viewer], statuses) == (expected, len(expected))


async def test_a_contributor_finds_their_own_draft_but_not_another_one(world: World) -> None:
    contributor = world.readers["contributor"]
    data = await contributor.data(
        '{ own: post(slug: "contributor-draft") { slug status } '
        'other: post(slug: "author-draft") { slug } }'
    )
    assert data == {"own": {"slug": "contributor-draft", "status": "DRAFT"}, "other": None}


async def test_every_status_pages_once_through_all_posts_with_drafts_first(world: World) -> None:
    editor = world.readers["editor"]
    everything = ["DRAFT", "SCHEDULED", "PUBLISHED"]
    seen: list[dict[str, str]] = []
    after = None
    while True:
        page = (await editor.data(STATUS_PAGE, {"status": everything, "first": 2, "after": after}))[
            "posts"
        ]
        seen.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [node["status"] for node in seen] == [
        "DRAFT",
        "DRAFT",
        "SCHEDULED",
        "PUBLISHED",
        "PUBLISHED",
    ]
    assert [node["slug"] for node in seen[:2]] == ["contributor-draft", "author-draft"]
    assert {node["slug"] for node in seen} == ALL and len(seen) == len(ALL)
    oldest_first = (
        await editor.data(STATUS_PAGE, {"status": everything, "first": 5, "direction": "ASC"})
    )["posts"]["nodes"]
    assert oldest_first == list(reversed(seen))


async def test_facets_follow_the_status_filter(world: World) -> None:
    data = await world.readers["editor"].data(
        "{ posts(filter: { status: [DRAFT] }) "
        "{ facets { languages { language count } authors { author { slug } count } } } }"
    )
    facets = data["posts"]["facets"]
    assert sorted((f["language"], f["count"]) for f in facets["languages"]) == [
        ("de", 1),
        ("it", 1),
    ]
    assert facets["authors"] == [{"author": {"slug": "ana"}, "count": 2}]


async def test_a_cursor_from_a_status_list_is_refused_on_the_default_list(world: World) -> None:
    editor = world.readers["editor"]
    page = await editor.data(STATUS_PAGE, {"status": ["DRAFT"], "first": 1})
    cursor = page["posts"]["pageInfo"]["endCursor"]
    body = await editor.post(STATUS_PAGE, {"first": 1, "after": cursor})
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    assert "different ordering or filter" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("filter_", "message"),
    [
        ({"or": [{"status": ["DRAFT"]}, {"featured": True}]}, "at the top of the filter"),
        ({"not": {"status": ["PUBLISHED"]}}, "at the top of the filter"),
        ({"status": []}, "`status` needs at least one value."),
    ],
)
async def test_a_status_inside_and_or_not_or_an_empty_one_is_refused(
    world: World, filter_: dict[str, Any], message: str
) -> None:
    body = await world.readers["editor"].post(
        "query($f: PostFilter) { posts(filter: $f) { nodes { slug } } }", {"f": filter_}
    )
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.status"}
    assert message in body["errors"][0]["message"]
