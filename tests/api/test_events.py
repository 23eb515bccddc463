"""The content event log: every change a reader or an editor can see writes its event in the
same transaction (a failed write writes none), in sequence order, with what a receiver needs."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.database import create_session_factory
from models import ContentEvent, EditorRole
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import Editor, make_editor, make_team
from tests.conftest import Database

CREATE = """mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id version slug publishedAt } errors { code } } }"""
UPDATE = """mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {
  updatePost(id: $id, version: $version, input: $input) {
    post { id version slug } errors { code } } }"""
PUBLISH = """mutation($id: ID!, $version: Int!, $at: DateTime) {
  publishPost(id: $id, version: $version, at: $at) {
    post { id version publishedAt status } errors { code } } }"""
UNPUBLISH = """mutation($id: ID!, $version: Int!) {
  unpublishPost(id: $id, version: $version) { post { id version publishedAt } errors { code } } }"""
DELETE = """mutation($id: ID!, $version: Int!) {
  deletePost(id: $id, version: $version) { deletedId errors { code } } }"""


@pytest.fixture
async def team(scratch_client: GraphQLClient, scratch_db: Database) -> dict[str, Editor]:
    return await make_team(scratch_client, scratch_db)


async def events_of(database: Database, after: int = 0) -> list[ContentEvent]:
    async with create_session_factory(database.engine)() as session:
        found = await session.scalars(
            select(ContentEvent).where(ContentEvent.id > after).order_by(ContentEvent.id)
        )
        return list(found)


def _summary(events: list[ContentEvent]) -> list[tuple[str, list[str]]]:
    return [(e.type, e.data.get("changedFields", [])) for e in events]


async def test_each_post_write_records_its_event_and_a_failed_one_records_none(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    post = (await editor.run(CREATE, {"input": {"title": "Queues", "tagNames": ["Kafka"]}}))["post"]
    renamed = (
        await editor.run(
            UPDATE, {"id": post["id"], "version": 1, "input": {"title": "Logs", "slug": "logs"}}
        )
    )["post"]
    stale = await editor.run(UPDATE, {"id": post["id"], "version": 1, "input": {"title": "X"}})
    assert stale["errors"][0]["code"] == "CONFLICT"
    published = (await editor.run(PUBLISH, {"id": post["id"], "version": renamed["version"]}))[
        "post"
    ]
    await editor.run(DELETE, {"id": post["id"], "version": published["version"]})

    events = await events_of(scratch_db)
    assert _summary(events) == [
        ("tag.created", []),
        ("post.created", []),
        ("post.updated", ["slug", "title"]),
        ("post.slug_changed", ["slug"]),
        ("post.published", ["publishedAt", "status"]),
        ("post.deleted", []),
    ]
    moments = [e.occurred_at for e in events]  # the log's order is the order of the writes
    assert moments == sorted(moments)
    slug_changed = events[3].data
    assert slug_changed["previousSlug"] == post["slug"] and slug_changed["slug"] == "logs"
    assert [e.data["visible"] for e in events[1:]] == [False, False, False, True, False]
    assert events[-1].data["wasVisible"] is True
    assert "posts" in events[1].data["cacheKeys"]


async def test_unpublishing_and_publishing_again_keeps_the_first_publication_date(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    post = (await editor.run(CREATE, {"input": {"title": "Once"}}))["post"]
    first = (await editor.run(PUBLISH, {"id": post["id"], "version": 1}))["post"]
    down = (await editor.run(UNPUBLISH, {"id": post["id"], "version": first["version"]}))["post"]
    again = (await editor.run(PUBLISH, {"id": post["id"], "version": down["version"]}))["post"]
    assert again["publishedAt"] == first["publishedAt"] and again["status"] == "PUBLISHED"
    later = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    down = (await editor.run(UNPUBLISH, {"id": post["id"], "version": again["version"]}))["post"]
    moved = (
        await editor.run(PUBLISH, {"id": post["id"], "version": down["version"], "at": later})
    )["post"]
    assert moved["publishedAt"] != first["publishedAt"]  # a new `at` wins
    types = [e.type for e in await events_of(scratch_db)]
    assert types[-4:] == [
        "post.unpublished",
        "post.published",
        "post.unpublished",
        "post.published",
    ]


async def test_merging_tags_and_reassigning_authors_tell_about_every_post_they_change(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    for title, tags in (("A", ["Old"]), ("B", ["Old", "New"]), ("C", ["New"])):
        await editor.run(CREATE, {"input": {"title": title, "tagNames": tags}})
    seen = (await events_of(scratch_db))[-1].id
    merge = """mutation($s: ID!, $sv: Int!, $t: ID!, $tv: Int!) {
      mergeTags(sourceId: $s, sourceVersion: $sv, targetId: $t, targetVersion: $tv) {
        errors { code } } }"""
    old, new = await _tag(editor, "Old"), await _tag(editor, "New")
    result = await editor.run(
        merge, {"s": old["id"], "sv": old["version"], "t": new["id"], "tv": new["version"]}
    )
    assert result["errors"] == []
    events = await events_of(scratch_db, after=seen)
    assert events[0].type == "tag.merged" and events[0].data["mergedInto"] is not None
    changed_posts = sorted(e.object_id for e in events if e.type == "post.updated")
    assert len(changed_posts) == 2  # A and B had the source tag
    assert all(e.data["changedFields"] == ["tags"] for e in events if e.type == "post.updated")


async def test_hiding_a_tag_tells_about_every_post_that_showed_it_and_renaming_about_none(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    for title, tags in (("A", ["Kept"]), ("B", ["Kept", "Other"]), ("C", ["Other"])):
        await editor.run(CREATE, {"input": {"title": title, "tagNames": tags}})
    change = """mutation($id: ID!, $version: Int!, $input: UpdateTagInput!) {
      updateTag(id: $id, version: $version, input: $input) { tag { version } errors { code } } }"""
    tag = await _tag(editor, "Kept")
    seen = (await events_of(scratch_db))[-1].id
    renamed = await editor.run(
        change, {"id": tag["id"], "version": tag["version"], "input": {"name": "Kept2"}}
    )
    assert renamed["errors"] == []
    assert _summary(await events_of(scratch_db, after=seen)) == [("tag.updated", ["name"])]

    seen = (await events_of(scratch_db))[-1].id
    version = renamed["tag"]["version"]
    hidden = await editor.run(
        change, {"id": tag["id"], "version": version, "input": {"visibility": "INTERNAL"}}
    )
    assert hidden["errors"] == []
    events = await events_of(scratch_db, after=seen)
    assert _summary(events) == [
        ("tag.updated", ["visibility"]),
        ("post.updated", ["tags"]),
        ("post.updated", ["tags"]),
    ]
    assert events[0].data["visible"] is False and events[0].data["wasVisible"] is True
    assert "posts" in events[0].data["cacheKeys"]


async def _tag(editor: Editor, name: str) -> dict[str, Any]:
    query = "query($slug: String!) { tag(slug: $slug) { id version } }"
    found: dict[str, Any] = (await editor.data(query, {"slug": name.lower()}))["tag"]
    return found


async def test_a_scheduled_post_that_went_live_while_no_process_ran_is_announced_late(
    scratch_db: Database,
) -> None:
    async for client in serve(scratch_db):  # background jobs off: nothing announces it
        editor = await make_editor(client, scratch_db, EditorRole.EDITOR, "editor")
        post = (await editor.run(CREATE, {"input": {"title": "Nine"}}))["post"]
        # Chosen once the app is up and the post written, so a slow machine has the whole
        # second and a half to schedule it.
        instant = datetime.now(UTC) + timedelta(seconds=1.5)
        await editor.run(PUBLISH, {"id": post["id"], "version": 1, "at": instant.isoformat()})
    await _sleep_until(instant + timedelta(seconds=0.2))
    assert [e.type for e in await events_of(scratch_db)][-1] == "post.scheduled"
    settings = {"background_jobs": True, "background_interval_seconds": 0.05}
    async for _client in serve(scratch_db, **settings):
        event = await _until_event(scratch_db, "post.published")
        assert event.occurred_at == instant  # dated at its instant, late but not lost
        assert event.data["visible"] is True


async def _sleep_until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


async def _until_event(database: Database, event_type: str) -> ContentEvent:
    for _ in range(200):
        found = [e for e in await events_of(database) if e.type == event_type]
        if found:
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {event_type} event")


async def test_linking_a_translation_tells_about_both_posts(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    from tests.api.mutations import LINK, UNLINK, row_id

    editor = team["editor"]
    english = (await editor.run(CREATE, {"input": {"title": "Queues"}}))["post"]
    spanish = (await editor.run(CREATE, {"input": {"title": "Colas", "language": "es"}}))["post"]
    seen = (await events_of(scratch_db))[-1].id
    linked = await editor.run(LINK, {"id": spanish["id"], "version": 1, "of": english["id"]})
    assert linked["errors"] == []
    await editor.run(UNLINK, {"id": spanish["id"], "version": linked["post"]["version"]})
    told = [
        (e.type, e.object_id, e.data["changedFields"]) for e in await events_of(scratch_db, seen)
    ]
    english_id, spanish_id = (row_id(p["id"]) for p in (english, spanish))
    assert told == [
        ("post.translation_linked", spanish_id, ["translations"]),
        ("post.updated", english_id, ["translations"]),
        ("post.translation_unlinked", spanish_id, ["translations"]),
        ("post.updated", english_id, ["translations"]),
    ]
