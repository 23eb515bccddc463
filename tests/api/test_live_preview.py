"""Live preview: a real WebSocket client subscribes to a post (graphql-transport-ws) on a real
server, and receives it each time it is saved; authorization, limits and hostile input."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from models import EditorRole
from tests.api.editors import CREATE_POST, Editor, make_editor
from tests.api.reader import global_id
from tests.clock import Clock
from tests.conftest import Database
from tests.live_server import LiveServer, live_server
from tests.ws_client import ws_client

WATCH = """subscription($id: ID!) {
  post(id: $id) { id title version status tags { name } }
}"""
WATCH_PREVIEW = """subscription($token: String!) {
  post(previewToken: $token) { id title status }
}"""
UPDATE = """mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {
  updatePost(id: $id, version: $version, input: $input) { post { version } errors { code } } }"""
PUBLISH = """mutation($id: ID!, $version: Int!) {
  publishPost(id: $id, version: $version) { post { version } errors { code } } }"""
UNPUBLISH = """mutation($id: ID!, $version: Int!) {
  unpublishPost(id: $id, version: $version) { post { version } errors { code } } }"""
DELETE = """mutation($id: ID!, $version: Int!) {
  deletePost(id: $id, version: $version) { deletedId errors { code } } }"""
LINK = """mutation($id: ID!) { createPreviewLink(postId: $id) { token errors { code } } }"""
LOGOUT = "mutation { logout { ok } }"


@pytest.fixture
async def live(scratch_db: Database) -> AsyncIterator[LiveServer]:
    async with live_server(scratch_db, ws_recheck_seconds=0.2) as server:
        yield server


@pytest.fixture
async def editor(live: LiveServer, scratch_db: Database) -> Editor:
    return await make_editor(live.client, scratch_db, EditorRole.EDITOR, "ed")


def bearer(editor: Editor) -> dict[str, str]:
    return {"Authorization": f"Bearer {editor.token}"}


async def draft(editor: Editor, title: str = "Draft", **fields: Any) -> dict[str, Any]:
    created = await editor.run(CREATE_POST, {"input": {"title": title, "body": "Hi.", **fields}})
    assert created["errors"] == [], created
    post: dict[str, Any] = created["post"]
    return post


async def save(editor: Editor, post: dict[str, Any], **fields: Any) -> int:
    """Update the post; its new version (kept in `post`)."""
    variables = {"id": post["id"], "version": post["version"], "input": fields}
    saved = await editor.run(UPDATE, variables)
    assert saved["errors"] == [], saved
    post["version"] = saved["post"]["version"]
    return int(post["version"])


async def test_an_editor_receives_the_post_at_once_then_after_every_save(
    live: LiveServer, editor: Editor
) -> None:
    post = await draft(editor)
    async with ws_client(live.ws_url, init=bearer(editor)) as ws:
        key = await ws.subscribe(WATCH, {"id": post["id"]})
        first = (await ws.next(key))["post"]
        assert (first["title"], first["status"], first["version"]) == ("Draft", "DRAFT", 1)
        await save(editor, post, title="Second")
        assert (await ws.next(key))["post"]["title"] == "Second"
        await save(editor, post, title="Third")
        received = (await ws.next(key))["post"]
        assert (received["title"], received["version"]) == ("Third", post["version"])


async def test_a_tag_renamed_elsewhere_reaches_the_posts_preview(
    live: LiveServer, editor: Editor
) -> None:
    post = await draft(editor, tagNames=["Kafka"])
    tag = await editor.data('{ tags(filter: {name: "Kafka"}) { nodes { id version } } }')
    node = tag["tags"]["nodes"][0]
    async with ws_client(live.ws_url, init=bearer(editor)) as ws:
        key = await ws.subscribe(WATCH, {"id": post["id"]})
        assert (await ws.next(key))["post"]["tags"] == [{"name": "Kafka"}]
        rename = """mutation($id: ID!, $version: Int!) {
          updateTag(id: $id, version: $version, input: {name: "Apache Kafka"}) {
            errors { code } } }"""
        assert (await editor.run(rename, node))["errors"] == []
        assert (await ws.next(key))["post"]["tags"] == [{"name": "Apache Kafka"}]


async def test_a_reader_sees_live_posts_only_and_the_end_of_one_unpublished(
    live: LiveServer, editor: Editor
) -> None:
    hidden, shown = await draft(editor, "Hidden"), await draft(editor, "Shown")
    published = await editor.run(PUBLISH, {"id": shown["id"], "version": shown["version"]})
    shown["version"] = published["post"]["version"]
    async with ws_client(live.ws_url) as ws:
        key = await ws.subscribe(WATCH, {"id": hidden["id"]})
        assert await ws.next(key) == {"post": None}
        assert await ws.receive() == {"id": key, "type": "complete"}
        key = await ws.subscribe(WATCH, {"id": shown["id"]})
        assert (await ws.next(key))["post"]["title"] == "Shown"
        await editor.run(UNPUBLISH, {"id": shown["id"], "version": shown["version"]})
        assert await ws.next(key) == {"post": None}
        assert await ws.receive() == {"id": key, "type": "complete"}


async def test_a_preview_token_follows_a_draft_until_it_is_deleted(
    live: LiveServer, editor: Editor
) -> None:
    post = await draft(editor)
    token = (await editor.run(LINK, {"id": post["id"]}))["token"]
    async with ws_client(live.ws_url) as ws:  # anonymous: the token is all it takes
        key = await ws.subscribe(WATCH_PREVIEW, {"token": token})
        assert (await ws.next(key))["post"]["status"] == "DRAFT"
        await save(editor, post, title="Better")
        assert (await ws.next(key))["post"]["title"] == "Better"
        await editor.run(DELETE, {"id": post["id"], "version": post["version"]})
        assert await ws.next(key) == {"post": None}
        assert await ws.receive() == {"id": key, "type": "complete"}


async def test_an_expired_preview_token_ends_the_subscription(scratch_db: Database) -> None:
    clock = Clock()
    async with live_server(scratch_db, clock=clock) as live:
        editor = await make_editor(live.client, scratch_db, EditorRole.EDITOR, "ed")
        post = await draft(editor)
        link = """mutation($id: ID!) { createPreviewLink(postId: $id) { token expiresAt } }"""
        created = await editor.run(link, {"id": post["id"]})
        expires = datetime.fromisoformat(created["expiresAt"])
        clock.now = expires - timedelta(seconds=1)
        async with ws_client(live.ws_url) as ws:
            key = await ws.subscribe(WATCH_PREVIEW, {"token": created["token"]})
            assert (await ws.next(key))["post"]["title"] == "Draft"
            clock.now = expires
            ended = await ws.receive(within=5)  # at its expiry, with nothing saved
            assert ended["type"] == "next" and ended["payload"]["data"] is None
            codes = [e["extensions"]["code"] for e in ended["payload"]["errors"]]
            assert codes == ["BAD_USER_INPUT"]
            assert await ws.receive() == {"id": key, "type": "complete"}
            key = await ws.subscribe(WATCH_PREVIEW, {"token": created["token"]})
            refused = await ws.receive()
            assert refused["type"] == "next" and refused["payload"]["data"] is None


async def test_a_revoked_token_closes_the_subscription_at_the_next_save(
    scratch_db: Database,
) -> None:
    async with live_server(scratch_db) as live:  # the periodic check is a minute away
        editor = await make_editor(live.client, scratch_db, EditorRole.EDITOR, "ed")
        author = await make_editor(live.client, scratch_db, EditorRole.EDITOR, "other")
        post = await draft(editor)
        async with ws_client(live.ws_url, init=bearer(editor)) as ws:
            key = await ws.subscribe(WATCH, {"id": post["id"]})
            assert (await ws.next(key))["post"]["status"] == "DRAFT"
            assert (await editor.data(LOGOUT))["logout"]["ok"] is True
            await save(author, post, title="After the logout")
            ended = await ws.receive()
            assert ended["id"] == key and ended["payload"]["data"] is None
            assert [e["extensions"]["code"] for e in ended["payload"]["errors"]] == [
                "UNAUTHENTICATED"
            ]
            assert "After the logout" not in str(ended)
            closed = await ws.closed()
            assert (closed.code, closed.reason) == (4403, "Forbidden")


async def test_a_revoked_token_closes_an_idle_subscription_too(
    live: LiveServer, editor: Editor
) -> None:
    post = await draft(editor)
    async with ws_client(live.ws_url, init=bearer(editor)) as ws:
        key = await ws.subscribe(WATCH, {"id": post["id"]})
        await ws.next(key)
        await editor.data(LOGOUT)
        closed = await ws.closed(within=5)  # nothing saved: the periodic check (0.2 s here)
        assert closed.code == 4403


async def test_a_demoted_editor_stops_seeing_others_drafts_at_the_next_message(
    live: LiveServer, editor: Editor, scratch_db: Database
) -> None:
    admin = await make_editor(live.client, scratch_db, EditorRole.ADMIN, "admin")
    writer = await make_editor(live.client, scratch_db, EditorRole.EDITOR, "writer")
    post = await draft(writer)
    async with ws_client(live.ws_url, init=bearer(editor)) as ws:
        key = await ws.subscribe(WATCH, {"id": post["id"]})
        assert (await ws.next(key))["post"]["status"] == "DRAFT"
        demote = """mutation($id: ID!) {
          setEditorRole(id: $id, version: 1, role: CONTRIBUTOR) { errors { code } } }"""
        assert (await admin.run(demote, {"id": global_id("Editor", editor.editor_id)}))[
            "errors"
        ] == []
        await save(writer, post, title="Not for contributors")
        assert await ws.next(key) == {"post": None}  # a contributor reads their own drafts only
        assert await ws.receive() == {"id": key, "type": "complete"}


@pytest.mark.parametrize(
    "init",
    [
        {"Authorization": "Bearer not-a-token"},
        {"headers": {"Authorization": "Bearer not-a-token"}},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + "x" * 500},
    ],
)
async def test_a_bad_token_is_refused_when_the_connection_opens(
    live: LiveServer, init: dict[str, Any]
) -> None:
    async with ws_client(live.ws_url, ack=False) as ws:
        await ws.send({"type": "connection_init", "payload": init})
        closed = await ws.closed()
        assert (closed.code, closed.reason) == (4403, "Forbidden")


async def test_the_token_may_come_in_the_upgrade_request(live: LiveServer, editor: Editor) -> None:
    post = await draft(editor)
    async with ws_client(live.ws_url, additional_headers=bearer(editor)) as ws:
        key = await ws.subscribe(WATCH, {"id": post["id"]})
        assert (await ws.next(key))["post"]["status"] == "DRAFT"  # a reader would get null


async def test_queries_and_mutations_go_over_http(live: LiveServer, editor: Editor) -> None:
    async with ws_client(live.ws_url, init=bearer(editor)) as ws:
        for document in ("{ posts { totalCount } }", LOGOUT):
            key = await ws.subscribe(document)
            refused = await ws.receive()
            assert refused["id"] == key and refused["type"] == "error"
            assert refused["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert (await editor.data("{ viewer { name } }"))["viewer"]["name"] == "ed"  # not logged out


@pytest.mark.parametrize(
    ("document", "code"),
    [
        (
            "subscription { post(id: " + "[" * 100 + "1" + "]" * 100 + ") { id } }",
            "QUERY_TOO_COMPLEX",
        ),
        (
            "subscription { post(id: 1) { id " + "@skip(if: false) " * 60 + "} }",
            "QUERY_TOO_COMPLEX",
        ),
        (
            "subscription { post(id: 1) { " + " ".join(f"a{n}: title" for n in range(200)) + " } }",
            "QUERY_TOO_COMPLEX",
        ),
        ("subscription { post(id: 1) { nope } }", "GRAPHQL_VALIDATION_FAILED"),
        ("subscription { post { id } }", "BAD_USER_INPUT"),
    ],
)
async def test_subscription_documents_pass_the_query_limits(
    live: LiveServer, document: str, code: str
) -> None:
    async with ws_client(live.ws_url) as ws:
        key = await ws.subscribe(document)
        refused = await ws.receive()
        assert refused["id"] == key
        errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == [code], refused


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("not json", 4400),
        ('{"type": "subscribe", "id": "1", "payload": {"query": "subscription { x }"}}', 4401),
        ('{"type": "connection_init", "payload": []}', 4400),
        ('{"type": "mystery"}', 4400),
        ("[]", 4400),
        ("null", 4400),
        ('"connection_init"', 4400),
        ('{"type": 5}', 4400),
    ],
)
async def test_malformed_messages_close_the_connection(
    live: LiveServer, message: str, code: int
) -> None:
    async with ws_client(live.ws_url, ack=False) as ws:
        await ws.socket.send(message)
        assert (await ws.closed()).code == code


async def test_a_malformed_subscribe_payload_is_refused(live: LiveServer) -> None:
    async with ws_client(live.ws_url) as ws:
        payloads = ({"query": 5}, {"query": "subscription { x }", "variables": [1]}, {}, [])
        for payload in payloads:
            await ws.send({"id": "k", "type": "subscribe", "payload": payload})
            refused = await ws.receive()
            assert refused["type"] == "error", refused
            assert refused["payload"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_connections_per_client_are_limited(scratch_db: Database) -> None:
    async with live_server(scratch_db, ws_max_connections_per_client=2) as live:
        async with (
            ws_client(live.ws_url) as _one,
            ws_client(live.ws_url) as _two,
            ws_client(live.ws_url, ack=False) as three,
        ):
            assert (await three.closed()).code == 1013
        async with ws_client(live.ws_url) as again:  # the closed ones no longer count
            assert again.socket.state.name == "OPEN"


async def test_idle_and_silent_connections_are_closed(scratch_db: Database) -> None:
    async with live_server(scratch_db, ws_idle_seconds=0.5) as live:
        async with ws_client(live.ws_url) as idle:
            closed = await idle.closed(within=5)
            assert (closed.code, closed.reason) == (1000, "Idle: no subscription.")
        async with ws_client(live.ws_url, ack=False) as silent:
            closed = await silent.closed(within=5)
            assert (closed.code, closed.reason) == (4408, "Connection initialisation timeout")


async def test_a_page_on_another_origin_may_not_connect(live: LiveServer) -> None:
    with pytest.raises(Exception, match="403"):
        async with ws_client(live.ws_url, origin="https://evil.example"):  # type: ignore[arg-type]
            pass


async def test_several_subscriptions_on_one_connection_are_independent(
    live: LiveServer, editor: Editor
) -> None:
    one, two = await draft(editor, "One"), await draft(editor, "Two")
    async with ws_client(live.ws_url, init=bearer(editor)) as ws:
        first = await ws.subscribe(WATCH, {"id": one["id"]})
        await ws.next(first)
        second = await ws.subscribe(WATCH, {"id": two["id"]})
        await ws.next(second)
        metrics = (await live.client.http.get("/metrics")).text
        assert "quire_websocket_connections 1.0" in metrics
        assert "quire_subscriptions 2.0" in metrics
        await save(editor, two, title="Two, again")
        assert (await ws.next(second))["post"]["title"] == "Two, again"
        await ws.send({"id": second, "type": "complete"})
        await save(editor, one, title="One, again")
        await save(editor, two, title="Two, unseen")
        assert (await ws.next(first))["post"]["title"] == "One, again"
        with pytest.raises(TimeoutError):
            await ws.receive(within=0.5)


async def test_http_keeps_working_beside_websockets(live: LiveServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            live.ws_url.replace("ws://", "http://"), json={"query": "{ posts { totalCount } }"}
        )
    assert response.json()["data"] == {"posts": {"totalCount": 0}}


async def test_a_document_that_does_not_parse_gets_an_error(live: LiveServer) -> None:
    async with ws_client(live.ws_url) as ws:
        key = await ws.subscribe("subscription { post(id: ")
        refused = await ws.receive()
        assert (refused["id"], refused["type"]) == (key, "error")
        assert refused["payload"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        assert "Syntax Error" in refused["payload"][0]["message"]


@pytest.mark.parametrize("key", [["1"], {"a": 1}, 7, ""])
async def test_a_subscribe_id_that_is_not_a_string_closes_the_connection(
    live: LiveServer, key: Any
) -> None:
    async with ws_client(live.ws_url) as ws:
        await ws.send({"id": key, "type": "subscribe", "payload": {"query": WATCH}})
        assert (await ws.closed()).code == 4400


async def test_an_id_in_use_closes_the_connection_as_the_protocol_says(
    live: LiveServer, editor: Editor
) -> None:
    post = await draft(editor)
    async with ws_client(live.ws_url, init=bearer(editor)) as ws:
        key = await ws.subscribe(WATCH, {"id": post["id"]})
        await ws.next(key)
        await ws.send({"id": key, "type": "subscribe", "payload": {"query": "{ nope }"}})
        assert (await ws.closed()).code == 4409


async def test_a_null_init_payload_and_an_unencodable_token(live: LiveServer) -> None:
    async with ws_client(live.ws_url, ack=False) as ws:
        await ws.send({"type": "connection_init", "payload": None})
        assert (await ws.receive())["type"] == "connection_ack"
    async with ws_client(live.ws_url, ack=False) as ws:
        await ws.send({"type": "connection_init", "payload": {"Authorization": "Bearer \ud800"}})
        assert (await ws.closed()).code == 4403
