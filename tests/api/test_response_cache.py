"""The response cache: anonymous reads answered without SQL, never stale after a save or a
scheduled post's instant, never filled or read by editors, shared and invalidated through Redis."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from models import EditorRole
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import make_editor, publish
from tests.api.redis_server import CLOSED_PORT_URL, REDIS_URL
from tests.conftest import Database
from tests.tcp_proxy import TcpProxy

PAGE = "query Page($n: Int!) { posts(first: $n) { totalCount nodes { title slug } } }"
TITLES = "{ posts(first: 20) { nodes { title } } }"
CREATE = """
mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id version } errors { code message } }
}"""
UPDATE = """
mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {
  updatePost(id: $id, version: $version, input: $input) { post { version } errors { code } }
}"""
PUBLISH = """
mutation($id: ID!, $version: Int!, $at: DateTime) {
  publishPost(id: $id, version: $version, at: $at) { post { id version } errors { code } }
}"""
PREVIEW_LINK = """
mutation($id: ID!) { createPreviewLink(postId: $id) { token errors { code } } }"""
PREVIEW = "query($token: String!) { post(previewToken: $token) { title } }"


def titles(data: dict[str, Any]) -> list[str]:
    return [node["title"] for node in data["posts"]["nodes"]]


async def test_a_second_identical_anonymous_query_runs_no_sql(
    demo_db: Database,
    count_statements: Any,
) -> None:
    async for client in serve(demo_db):
        counter = count_statements(client)
        first = await client.http.post("/graphql", json={"query": PAGE, "variables": {"n": 3}})
        assert counter.count > 0
        executed = counter.count
        second = await client.http.post("/graphql", json={"query": PAGE, "variables": {"n": 3}})
        assert counter.count == executed, counter.statements[executed:]
        assert second.status_code == 200
        assert second.content == first.content
        assert second.json()["extensions"]["cost"]["requested"] > 0


async def test_other_variables_or_operations_are_other_entries(
    demo_db: Database, count_statements: Any
) -> None:
    two = (
        "query A { posts(first: 1) { nodes { slug } } } "
        "query B { tags(first: 1) { nodes { slug } } }"
    )
    async for client in serve(demo_db):
        counter = count_statements(client)
        three = await client.data(PAGE, {"n": 3})
        before = counter.count
        four = await client.data(PAGE, {"n": 4})
        assert counter.count > before
        assert len(four["posts"]["nodes"]) == 4 != len(three["posts"]["nodes"])

        for name in ("A", "B"):
            before = counter.count
            response = await client.http.post(
                "/graphql", json={"query": two, "operationName": name}
            )
            assert counter.count > before, name
            assert ("posts" if name == "A" else "tags") in response.json()["data"]


async def test_layout_and_comments_do_not_make_another_entry(
    demo_db: Database, count_statements: Any
) -> None:
    async for client in serve(demo_db):
        counter = count_statements(client)
        await client.data(PAGE, {"n": 2})
        executed = counter.count
        relaid = (
            "# the home page\nquery Page( $n : Int! ) {\n  posts(first: $n) {\n"
            "    totalCount, nodes { title, slug }  # comma-separated\n  }\n}\n"
        )
        data = await client.data(relaid, {"n": 2})
        assert counter.count == executed, counter.statements[executed:]
        assert len(data["posts"]["nodes"]) == 2


async def test_variables_in_another_key_order_share_an_entry(
    demo_db: Database, count_statements: Any
) -> None:
    query = "query($n: Int!, $o: PostOrder) { posts(first: $n, orderBy: $o) { nodes { slug } } }"
    async for client in serve(demo_db):
        counter = count_statements(client)
        order = {"field": "TITLE", "direction": "ASC"}
        await client.data(query, {"n": 2, "o": order})
        executed = counter.count
        await client.data(query, {"o": {"direction": "ASC", "field": "TITLE"}, "n": 2})
        assert counter.count == executed


async def test_results_with_errors_are_not_kept(demo_db: Database, count_statements: Any) -> None:
    unknown_tag = '{ posts(filter: { tags: { anyOf: ["no-such-tag"] } }) { totalCount } }'
    async for client in serve(demo_db):
        counter = count_statements(client)
        for _ in range(2):
            before = counter.count
            error = await client.error(unknown_tag)
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert counter.count > before


async def test_editors_neither_read_nor_fill_the_cache(
    scratch_client: GraphQLClient, scratch_db: Database, count_statements: Any
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    await publish(editor, "Live")
    counter = count_statements(scratch_client)

    await scratch_client.data(TITLES)  # fills the cache
    before = counter.count
    assert titles(await editor.data(TITLES)) == ["Live"]
    assert counter.count > before, "an editor was answered from the anonymous cache"

    fresh = "{ posts(first: 19) { nodes { title } } }"
    await editor.data(fresh)
    await editor.data(fresh)
    before = counter.count
    await scratch_client.data(fresh)
    assert counter.count > before, "an editor's request filled the cache"


async def test_previews_are_never_cached_so_an_expired_link_stops_at_once(
    scratch_client: GraphQLClient, scratch_db: Database, count_statements: Any
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    draft = (await editor.run(CREATE, {"input": {"title": "Draft", "body": "Hello."}}))["post"]
    link = await editor.run(PREVIEW_LINK, {"id": draft["id"]})
    assert link["errors"] == []
    params = {"query": PREVIEW, "variables": orjson.dumps({"token": link["token"]}).decode()}
    counter = count_statements(scratch_client)
    for _ in range(2):
        before = counter.count
        response = await scratch_client.http.get("/graphql", params=params)
        assert response.json()["data"] == {"post": {"title": "Draft"}}
        assert counter.count > before
        assert response.headers["cache-control"] == "private, no-store"
        assert "etag" not in response.headers


async def test_a_reader_reloading_after_an_editors_save_sees_the_new_title(
    scratch_client: GraphQLClient, scratch_db: Database, count_statements: Any
) -> None:
    editor = await make_editor(scratch_client, scratch_db, EditorRole.EDITOR, "ed")
    post = await publish(editor, "Old title")
    assert titles(await scratch_client.data(TITLES)) == ["Old title"]
    counter = count_statements(scratch_client)
    assert titles(await scratch_client.data(TITLES)) == ["Old title"]
    assert counter.count == 0, "the second read should have been a hit"

    saved = await editor.run(
        UPDATE, {"id": post["id"], "version": post["version"], "input": {"title": "New title"}}
    )
    assert saved["errors"] == []
    assert titles(await scratch_client.data(TITLES)) == ["New title"]


async def test_a_cached_page_expires_when_a_scheduled_post_goes_live(
    scratch_db: Database, count_statements: Any
) -> None:
    now = datetime.now(UTC)
    clock = {"now": now}
    async for client in serve(scratch_db, clock=lambda: clock["now"]):
        editor = await make_editor(client, scratch_db, EditorRole.EDITOR, "ed")
        await publish(editor, "Today")
        await publish(editor, "Scheduled", at=now + timedelta(minutes=2))  # within the TTL
        assert titles(await client.data(TITLES)) == ["Today"]
        counter = count_statements(client)

        clock["now"] = now + timedelta(minutes=1, seconds=59)
        assert titles(await client.data(TITLES)) == ["Today"]
        assert counter.count == 0, "still cached just before the instant"

        clock["now"] = now + timedelta(minutes=2)
        assert titles(await client.data(TITLES)) == ["Scheduled", "Today"]


async def test_entries_expire_after_the_ttl_without_a_scheduled_post(
    scratch_db: Database, count_statements: Any
) -> None:
    now = datetime.now(UTC)
    clock = {"now": now}
    async for client in serve(
        scratch_db, clock=lambda: clock["now"], response_cache_ttl_seconds=60
    ):
        await client.data(TITLES)
        counter = count_statements(client)
        clock["now"] = now + timedelta(seconds=59)
        await client.data(TITLES)
        assert counter.count == 0
        clock["now"] = now + timedelta(seconds=60)
        await client.data(TITLES)
        assert counter.count > 0


async def test_a_cache_hit_is_charged_to_the_rate_limit_like_the_query(
    demo_db: Database, count_statements: Any
) -> None:
    limits = {"rate_limit_enabled": True, "rate_limit_burst": 10, "rate_limit_per_second": 0.01}
    cheap = {"query": "{ posts(first: 2) { totalCount } }"}  # cost 2
    async for client in serve(demo_db, **limits):
        await client.http.post("/graphql", json=cheap)
        counter = count_statements(client)
        hits = [await client.http.post("/graphql", json=cheap) for _ in range(4)]
        assert counter.count == 0
        assert [r.headers["ratelimit-remaining"] for r in hits] == ["6", "4", "2", "0"]
        refused = await client.http.post("/graphql", json=cheap)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"


async def test_several_workers_without_redis_turn_the_cache_off(
    demo_db: Database, count_statements: Any, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("quire.cache")  # "quire" does not propagate to pytest's handler
    logger.addHandler(caplog.handler)
    try:
        async for client in serve(demo_db, workers=4):
            counter = count_statements(client)
            await client.data(TITLES)
            before = counter.count
            await client.data(TITLES)
            assert counter.count > before
    finally:
        logger.removeHandler(caplog.handler)
    warnings = [r for r in caplog.records if r.name == "quire.cache"]
    assert len(warnings) == 1 and "QUIRE_REDIS_URL" in warnings[0].getMessage()


async def test_a_write_through_one_instance_invalidates_another_through_redis(
    scratch_db: Database, redis_prefix: str, count_statements: Any
) -> None:
    shared = {"redis_url": REDIS_URL, "redis_prefix": redis_prefix, "workers": 2}
    async for worker_a in serve(scratch_db, **shared):
        async for worker_b in serve(scratch_db, **shared):
            editor = await make_editor(worker_a, scratch_db, EditorRole.EDITOR, "ed")
            post = await publish(editor, "Old title")
            assert titles(await worker_b.data(TITLES)) == ["Old title"]
            counter = count_statements(worker_a)
            assert titles(await worker_a.data(TITLES)) == ["Old title"]
            assert counter.count == 0, "worker A should have found B's entry in Redis"

            saved = await editor.run(
                UPDATE,
                {"id": post["id"], "version": post["version"], "input": {"title": "New title"}},
            )
            assert saved["errors"] == []
            assert titles(await worker_b.data(TITLES)) == ["New title"]


async def test_with_redis_down_reads_and_writes_still_succeed_uncached(
    scratch_db: Database, count_statements: Any
) -> None:
    async for client in serve(scratch_db, redis_url=CLOSED_PORT_URL, workers=2):
        editor = await make_editor(client, scratch_db, EditorRole.EDITOR, "ed")
        post = await publish(editor, "Old title")
        counter = count_statements(client)
        for _ in range(2):
            before = counter.count
            response = await client.http.get("/graphql", params={"query": TITLES})
            assert response.status_code == 200
            assert titles(response.json()["data"]) == ["Old title"]
            assert counter.count > before
        saved = await editor.run(
            UPDATE, {"id": post["id"], "version": post["version"], "input": {"title": "New"}}
        )
        assert saved["errors"] == []
        assert titles(await client.data(TITLES)) == ["New"]


async def until_title(client: GraphQLClient, title: str, within: float = 3.0) -> bool:
    """Whether the client reads `title` within `within` seconds (a listener's latency)."""
    for _ in range(int(within / 0.05)):
        if titles(await client.data(TITLES)) == [title]:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_an_invalidation_lost_while_redis_was_down_is_made_when_it_returns(
    scratch_db: Database, redis_prefix: str
) -> None:
    redis = urlsplit(REDIS_URL)
    proxy = TcpProxy(redis.hostname or "127.0.0.1", redis.port or 6379)
    await proxy.start()
    direct = {"redis_url": REDIS_URL, "redis_prefix": redis_prefix, "workers": 2}
    proxied = {**direct, "redis_url": f"redis://127.0.0.1:{proxy.port}{redis.path}"}
    try:
        async for reader in serve(scratch_db, **direct):
            async for writer in serve(scratch_db, **proxied):
                editor = await make_editor(writer, scratch_db, EditorRole.EDITOR, "ed")
                post = await publish(editor, "Old title")
                assert titles(await reader.data(TITLES)) == ["Old title"]

                await proxy.cut()
                saved = await editor.run(
                    UPDATE,
                    {"id": post["id"], "version": post["version"], "input": {"title": "New"}},
                )
                assert saved["errors"] == []  # the save lands; its invalidation cannot
                # The reader, which made no write, follows the event log: it purges what the
                # event names (or at least serves nothing older than the log it has read).
                assert await until_title(reader, "New")

                await proxy.start()
                await asyncio.sleep(1.1)  # the writer leaves Redis alone for a second
                await writer.data("{ __typename }")  # its next lookup flushes, as it must
                assert titles(await reader.data(TITLES)) == ["New"]
    finally:
        await proxy.cut()
