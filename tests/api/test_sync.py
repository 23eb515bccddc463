"""The sync feed: a full listing page by page, then only what changed, each object once in its
latest state or as a tombstone; signed cursors bound to their filters and viewer; expiry."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from app.database import create_session_factory
from models import EditorRole, EventCursor
from resolvers import sync
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import Editor, make_editor, publish
from tests.conftest import Database

SYNC = """
query($after: String, $first: Int, $types: [SyncType!], $languages: [String!]) {
  sync(after: $after, first: $first, types: $types, languages: $languages) {
    items {
      __typename
      ... on Post { id title slug language status updatedAt tags { id } authors { id } }
      ... on Author { id name updatedAt }
      ... on Tag { id name updatedAt }
      ... on Tombstone { id type }
    }
    cursor hasMore
  }
}"""
CREATE = """mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id version } errors { code } } }"""
UPDATE = """mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {
  updatePost(id: $id, version: $version, input: $input) { post { id version } errors { code } } }"""
PUBLISH = """mutation($id: ID!, $version: Int!, $at: DateTime) {
  publishPost(id: $id, version: $version, at: $at) { post { id version } errors { code } } }"""
UNPUBLISH = """mutation($id: ID!, $version: Int!) {
  unpublishPost(id: $id, version: $version) { post { id version } errors { code } } }"""
DELETE = """mutation($id: ID!, $version: Int!) {
  deletePost(id: $id, version: $version) { deletedId errors { code } } }"""
UPDATE_TAG = """mutation($id: ID!, $version: Int!, $input: UpdateTagInput!) {
  updateTag(id: $id, version: $version, input: $input) { tag { version } errors { code } } }"""
TAG = "query($slug: String!) { tag(slug: $slug) { id version } }"


class App:
    """A copy of the content, kept by the feed as a mobile app would."""

    def __init__(self, client: GraphQLClient, **filters: Any) -> None:
        self.client = client
        self.filters = filters
        self.objects: dict[str, dict[str, Any]] = {}
        self.cursor: str | None = None
        self.pages = 0

    async def sync(self, first: int = 7) -> list[dict[str, Any]]:
        """Pages until up to date; the items received."""
        received = []
        while True:
            variables = {"after": self.cursor, "first": first, **self.filters}
            page = (await self.client.data(SYNC, variables))["sync"]
            self.pages += 1
            for item in page["items"]:
                received.append(item)
                if item["__typename"] == "Tombstone":
                    self.objects.pop(item["id"], None)
                else:
                    self.objects[item["id"]] = item
            self.cursor = page["cursor"]
            if not page["hasMore"]:
                return received


async def listing(client: GraphQLClient) -> dict[str, dict[str, Any]]:
    """What a fresh full listing shows, through the ordinary connections."""
    found: dict[str, dict[str, Any]] = {}
    fields = {
        "posts": "id title slug language status updatedAt tags { id } authors { id }",
        "authors": "id name updatedAt",
        "tags": "id name updatedAt",
    }
    for root, selection in fields.items():
        after = None
        while True:
            query = f"""query($after: String) {{ {root}(first: 100, after: $after) {{
                nodes {{ __typename {selection} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
            page = (await client.data(query, {"after": after}))[root]
            found |= {node["id"]: node for node in page["nodes"]}
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    return found


async def succeed(editor: Editor, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    payload = await editor.run(query, variables)
    assert payload["errors"] == [], payload
    return payload


async def test_a_full_sync_holds_what_a_full_listing_shows(
    client: GraphQLClient,
) -> None:
    app = App(client)
    await app.sync(first=100)
    assert app.objects == await listing(client)
    kinds = {item["__typename"] for item in app.objects.values()}
    assert kinds == {"Post", "Author", "Tag"}
    assert app.pages > 2  # the listing took pages, then one caught up


async def test_nothing_new_costs_one_statement_and_keeps_the_cursor(
    demo_db: Database, count_statements: Any
) -> None:
    async for client in serve(demo_db, response_cache=False):
        app = App(client)
        await app.sync(first=100)
        cursor = app.cursor
        counter = count_statements(client)
        assert await app.sync() == []
        assert counter.count == 1
        assert app.cursor == cursor


async def test_changes_come_once_each_in_their_latest_state_or_as_tombstones(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    kept = await publish(editor, "Kept", tagNames=["Kafka"])
    gone = await publish(editor, "Gone")
    hidden = await publish(editor, "Hidden")
    app = App(scratch_client)
    await app.sync()
    assert {item["title"] for item in app.objects.values() if "title" in item} == {
        "Kept",
        "Gone",
        "Hidden",
    }

    version = kept["version"]
    for title in ("Kept 2", "Kept 3"):
        saved = await succeed(
            editor, UPDATE, {"id": kept["id"], "version": version, "input": {"title": title}}
        )
        version = saved["post"]["version"]
    await succeed(editor, DELETE, {"id": gone["id"], "version": gone["version"]})
    await succeed(editor, UNPUBLISH, {"id": hidden["id"], "version": hidden["version"]})
    tag = (await editor.data(TAG, {"slug": "kafka"}))["tag"]
    await succeed(
        editor,
        UPDATE_TAG,
        {"id": tag["id"], "version": tag["version"], "input": {"visibility": "INTERNAL"}},
    )

    received = await app.sync()
    by_id = {item["id"]: item for item in received}
    assert len(by_id) == len(received), "each object once"
    assert by_id[kept["id"]]["title"] == "Kept 3" and by_id[kept["id"]]["tags"] == []
    assert by_id[gone["id"]] == {"__typename": "Tombstone", "id": gone["id"], "type": "POST"}
    assert by_id[hidden["id"]]["__typename"] == "Tombstone"
    assert by_id[tag["id"]] == {"__typename": "Tombstone", "id": tag["id"], "type": "TAG"}
    assert app.objects == await listing(scratch_client)


async def test_filters_limit_the_feed_and_a_post_that_leaves_them_is_a_tombstone(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    spanish = await publish(editor, "Hola", language="es", tagNames=["Datos"])
    await publish(editor, "Hello", language="en")
    app = App(scratch_client, types=["POST"], languages=["es"])
    await app.sync()
    assert [item["title"] for item in app.objects.values()] == ["Hola"]

    await succeed(
        editor,
        UPDATE,
        {"id": spanish["id"], "version": spanish["version"], "input": {"language": "en"}},
    )
    received = await app.sync()
    assert [item["__typename"] for item in received] == ["Tombstone"]
    assert app.objects == {}
    tags_only = App(scratch_client, types=["TAG"])
    await tags_only.sync()
    assert [item["name"] for item in tags_only.objects.values()] == ["Datos"]


async def test_a_cursor_is_good_only_for_its_own_feed(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    app = App(scratch_client)
    await app.sync()
    assert app.cursor is not None
    attempts = [
        ({"after": app.cursor, "types": ["POST"]}, None),  # other filters
        ({"after": _altered(app.cursor)}, None),
        ({"after": "not a cursor"}, None),
        ({"after": app.cursor}, editor),  # another viewer's view
        ({"first": 0}, None),
        ({"first": 101}, None),
    ]
    for variables, sender in attempts:
        body = {"query": SYNC, "variables": variables}
        headers = sender.headers if sender else {}
        answer = (await scratch_client.http.post("/graphql", json=body, headers=headers)).json()
        assert answer["data"] is None, variables
        assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", answer


def _altered(cursor: str) -> str:
    """The cursor with one character of its payload changed."""
    middle = len(cursor) // 4
    return cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]


async def test_editors_sync_the_drafts_they_may_read_and_readers_never_do(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    draft = (await succeed(editor, CREATE, {"input": {"title": "Draft"}}))["post"]
    reader, desk = App(scratch_client), App(editor)  # type: ignore[arg-type]
    await reader.sync()
    await desk.sync()
    assert draft["id"] not in reader.objects and desk.objects[draft["id"]]["status"] == "DRAFT"


async def test_a_cursor_from_before_the_retention_must_start_again(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    await publish(editor, "Old")
    app = App(scratch_client)
    await app.sync()
    await publish(editor, "Newer")  # an event after the app's cursor
    async with create_session_factory(scratch_db.engine)() as session, session.begin():
        await session.execute(
            update(EventCursor).where(EventCursor.name == "webhooks").values(last_event_id=10**9)
        )
        forgotten = await sync.prune(session, before=datetime.now(UTC) + timedelta(days=1))
    assert forgotten > 0
    error = await scratch_client.error(SYNC, {"after": app.cursor})
    assert error["extensions"]["code"] == "SYNC_EXPIRED" and error["path"] == ["sync"]
    fresh = App(scratch_client)
    await fresh.sync()
    assert fresh.objects == await listing(scratch_client)


async def test_events_not_yet_sent_to_webhooks_are_never_pruned(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    await publish(editor, "Waiting")
    async with create_session_factory(scratch_db.engine)() as session, session.begin():
        assert await sync.prune(session, before=datetime.now(UTC) + timedelta(days=1)) == 0


@pytest.mark.parametrize("first", [5, 100])
async def test_page_sizes_do_not_change_what_an_app_holds(
    client: GraphQLClient, first: int
) -> None:
    small, large = App(client), App(client)
    await small.sync(first=first)
    await large.sync(first=37)
    assert small.objects == large.objects


async def test_a_scheduled_post_arrives_at_its_instant_updated_then(
    scratch_db: Database,
) -> None:
    async for client in serve(scratch_db, background_jobs=True, background_interval_seconds=0.5):
        editor = await make_editor(client, scratch_db, EditorRole.EDITOR, "ed")
        post = (await succeed(editor, CREATE, {"input": {"title": "Soon"}}))["post"]
        app = App(client)
        await app.sync()  # the first sync warms the server up; a slow CI machine took 1 s
        instant = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
        variables = {"id": post["id"], "version": post["version"], "at": instant.isoformat()}
        await succeed(editor, PUBLISH, variables)
        await app.sync()  # at most a tombstone for the draft it never held
        assert post["id"] not in app.objects
        await asyncio.sleep((instant - datetime.now(UTC)).total_seconds() + 0.05)
        early = await app.sync()  # most likely before the job's tick: nothing yet, and cached
        await asyncio.sleep(1.5)  # the job has recorded the event and purged that answer
        received = early + await app.sync()
        assert [item["id"] for item in received] == [post["id"]]
        assert datetime.fromisoformat(received[0]["updatedAt"]) == instant
        assert received[0]["status"] == "PUBLISHED"
