"""Purges by key: every complete anonymous answer names the cache keys of what it read (in
`Surrogate-Key`, or the header configured), and a write purges only the cached answers that read
what it changed: in one process, and between processes through Redis."""

import asyncio
import time
from datetime import timedelta
from typing import Any

import httpx

from app.database import create_session_factory
from models import EditorRole
from resolvers import schedule
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import CREATE_POST, PUBLISH_POST, Editor, make_editor, publish
from tests.api.reader import db_id, global_id
from tests.api.redis_server import REDIS_URL
from tests.api.test_response_cache import UPDATE
from tests.clock import Clock
from tests.conftest import Database

LISTED = "{ posts(first: 3) { nodes { id authors { id } tags { id } } } }"
PAGE = "query($id: ID!) { post(id: $id) { title tags { name } } }"
TITLES = "{ posts(first: 20) { nodes { title } } }"
UPDATE_TAG = """
mutation($id: ID!, $version: Int!, $input: UpdateTagInput!) {
  updateTag(id: $id, version: $version, input: $input) { tag { version } errors { code } }
}"""


def header_keys(response: httpx.Response, name: str = "surrogate-key", sep: str = " ") -> set[str]:
    assert response.status_code == 200, response.text
    return set(response.headers[name].split(sep))


async def get(client: GraphQLClient, query: str, variables: str | None = None) -> httpx.Response:
    params = {"query": query} | ({"variables": variables} if variables else {})
    return await client.http.get("/graphql", params=params)


async def test_an_answer_names_each_object_it_read_and_the_lists_it_read(
    client: GraphQLClient,
) -> None:
    response = await get(client, LISTED)
    expected = {"posts"}
    for post in response.json()["data"]["posts"]["nodes"]:
        expected.add(f"post:{db_id(post['id'])}")
        expected |= {f"author:{db_id(author['id'])}" for author in post["authors"]}
        expected |= {f"tag:{db_id(tag['id'])}" for tag in post["tags"]}
    assert any(key.startswith("tag:") for key in expected), "the demo's posts have tags"
    assert header_keys(response) == expected
    hit = await get(client, LISTED)
    assert hit.headers["surrogate-key"] == response.headers["surrogate-key"]
    revalidated = await client.http.get(
        "/graphql", params={"query": LISTED}, headers={"if-none-match": hit.headers["etag"]}
    )
    assert revalidated.status_code == 304
    assert revalidated.headers["surrogate-key"] == response.headers["surrogate-key"]


async def test_a_lookup_that_found_nothing_names_what_would_make_it_find_something(
    client: GraphQLClient,
) -> None:
    missing = global_id("Post", 987_654)
    assert header_keys(await get(client, PAGE, f'{{"id": "{missing}"}}')) == {"post:987654"}
    assert header_keys(await get(client, '{ post(slug: "no-such-post") { id } }')) == {"posts"}
    assert header_keys(await get(client, '{ tag(slug: "no-such-tag") { id } }')) == {"tags"}
    counted = await get(client, "{ tags(first: 1) { nodes { postCount } } }")
    assert {"tags", "posts"} <= header_keys(counted)


async def test_cache_tag_is_comma_separated_and_editors_answers_name_no_keys(
    demo_db: Database,
) -> None:
    async for client in serve(demo_db, surrogate_key_header="Cache-Tag"):
        response = await get(client, LISTED)
        assert "surrogate-key" not in response.headers
        assert "posts" in header_keys(response, "cache-tag", ",")
        editor = await make_editor(client, demo_db, EditorRole.EDITOR, "keys-editor")
        private = await client.http.get(
            "/graphql", params={"query": LISTED}, headers=editor.headers
        )
        assert private.status_code == 200 and "cache-tag" not in private.headers
    async for client in serve(demo_db, surrogate_key_header=""):
        response = await get(client, LISTED)
        assert response.status_code == 200 and "surrogate-key" not in response.headers


async def saving_one_post_keeps_the_others_page(
    writer: GraphQLClient, reader: GraphQLClient, editor: Editor, count_statements: Any
) -> None:
    """Post A saved through `writer`: `reader` still answers post B's page from the cache,
    and post A's page and every list with the new title."""
    a, b = await publish(editor, "Post A"), await publish(editor, "Post B")
    for client in (reader, writer):
        await client.data(PAGE, {"id": a["id"]})
        await client.data(PAGE, {"id": b["id"]})
        await client.data(TITLES)
    saved = await editor.run(
        UPDATE, {"id": a["id"], "version": a["version"], "input": {"title": "Post A, again"}}
    )
    assert saved["errors"] == []

    counter = count_statements(reader)
    assert (await reader.data(PAGE, {"id": b["id"]}))["post"]["title"] == "Post B"
    assert counter.count == 0, "post B's page should still be cached"
    assert (await reader.data(PAGE, {"id": a["id"]}))["post"]["title"] == "Post A, again"
    titles = [node["title"] for node in (await reader.data(TITLES))["posts"]["nodes"]]
    assert titles == ["Post B", "Post A, again"]


async def test_saving_a_post_purges_its_page_and_the_lists_and_keeps_the_others(
    scratch_client: GraphQLClient, scratch_db: Database, count_statements: Any
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    await saving_one_post_keeps_the_others_page(
        scratch_client, scratch_client, editor, count_statements
    )


async def test_a_save_through_one_instance_purges_only_its_keys_in_redis(
    scratch_db: Database, redis_prefix: str, count_statements: Any
) -> None:
    shared = {"redis_url": REDIS_URL, "redis_prefix": redis_prefix, "workers": 2}
    async for writer in serve(scratch_db, **shared):
        async for reader in serve(scratch_db, **shared):
            editor = await make_editor(writer, scratch_db, EditorRole.EDITOR, "ed")
            await saving_one_post_keeps_the_others_page(writer, reader, editor, count_statements)


async def test_a_tag_made_internal_disappears_from_the_cached_pages_of_its_posts(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    post = await publish(editor, "Tagged", tagNames=["Kafka"])
    tag = post["tags"][0]

    async def tags_shown() -> list[str]:
        found = await scratch_client.data(PAGE, {"id": post["id"]})
        return [t["name"] for t in found["post"]["tags"]]

    assert await tags_shown() == ["Kafka"]
    internal = {"visibility": "INTERNAL"}
    hidden = await editor.run(
        UPDATE_TAG, {"id": tag["id"], "version": tag["version"], "input": internal}
    )
    assert hidden["errors"] == []
    assert await tags_shown() == []
    shown = await editor.run(
        UPDATE_TAG,
        {"id": tag["id"], "version": hidden["tag"]["version"], "input": {"visibility": "PUBLIC"}},
    )
    assert shown["errors"] == []
    assert await tags_shown() == ["Kafka"]


async def test_a_list_of_tags_by_their_posts_follows_a_post_published_under_a_new_tag(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    await publish(editor, "First", tagNames=["Old"])
    ranked = (
        "{ tags(first: 5, orderBy: { field: POST_COUNT, direction: DESC }) { nodes { name } } }"
    )
    assert [t["name"] for t in (await scratch_client.data(ranked))["tags"]["nodes"]] == ["Old"]
    created = await editor.run(CREATE_POST, {"input": {"title": "Second", "tagNames": ["New"]}})
    assert [t["name"] for t in (await scratch_client.data(ranked))["tags"]["nodes"]] == [
        "Old",
        "New",
    ]  # the tag is new: the list changed with it
    post = created["post"]
    await editor.run(PUBLISH_POST, {"id": post["id"], "version": post["version"]})
    counted = "{ tags(first: 5) { nodes { name postCount } } }"
    shown = (await scratch_client.data(counted))["tags"]["nodes"]
    assert {t["name"]: t["postCount"] for t in shown} == {"New": 1, "Old": 1}
    await publish(editor, "Third", tagNames=["New"])
    shown = (await scratch_client.data(counted))["tags"]["nodes"]
    assert {t["name"]: t["postCount"] for t in shown} == {"New": 2, "Old": 1}
    assert [t["name"] for t in (await scratch_client.data(ranked))["tags"]["nodes"]] == [
        "New",
        "Old",
    ]


async def test_a_search_suggestion_follows_the_words_of_posts_published_after_it(
    scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    """Asked alone, the suggestion reads no page of posts, yet any post published can give
    it the word it lacked: it names `posts`."""
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    await publish(editor, "About streams", body="Streams everywhere.")
    suggest = '{ posts(search: "kafak streams") { searchSuggestion } }'
    first = await get(scratch_client, suggest)
    assert first.json()["data"]["posts"]["searchSuggestion"] is None
    assert header_keys(first) == {"posts"}
    await publish(editor, "About kafka", body="Kafka is a log.")
    again = await get(scratch_client, suggest)
    assert again.json()["data"]["posts"]["searchSuggestion"] == "kafka streams"


SYNC = """query($after: String) {
  sync(after: $after, first: 100, types: [POST]) { items { ... on Post { title } } cursor hasMore }
}"""


async def test_events_another_process_records_purge_the_in_process_cache(
    scratch_db: Database,
) -> None:
    """Without Redis the cache lives in the serving process, and `quire worker` (or `quire
    import`) records events in another: the process hears of them through the event log. Here
    the other process is `quire worker`'s job publishing a scheduled post, on a session of
    its own; the cached "nothing new" of the sync feed must give way to the post."""
    clock = Clock()
    async for client in serve(scratch_db, clock=clock, live_poll_seconds=0.05):
        editor = await make_editor(client, scratch_db, EditorRole.EDITOR, "ed")
        at = clock.now + timedelta(hours=1)
        await publish(editor, "Later", at=at)
        after = None
        while True:
            page = (await client.data(SYNC, {"after": after}))["sync"]
            after = page["cursor"]
            if not page["hasMore"]:
                break
        clock.now = at + timedelta(seconds=1)
        assert (await client.data(SYNC, {"after": after}))["sync"]["items"] == []  # cached
        async with create_session_factory(scratch_db.engine)() as session, session.begin():
            assert await schedule.go_live(session, now=clock.now) == 1
        deadline = time.monotonic() + 10
        while not (items := (await client.data(SYNC, {"after": after}))["sync"]["items"]):
            assert time.monotonic() < deadline, "the cached answer was never purged"
            await asyncio.sleep(0.05)
        assert items == [{"title": "Later"}]
