"""Webhooks over real HTTP: an admin registers an endpoint, editors change content, and a real
receiver on a loopback port gets each event signed as Standard Webhooks says (verified with the
`standardwebhooks` package, not with Quire's code), retried on 5xx with the same id, never on
other 4xx, never to a redirect, and never to a private address unless allowed."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from models import EditorRole
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import Editor, make_editor
from tests.conftest import Database
from tests.webhook_receiver import Receiver, receiving

ENDPOINT = "id url eventTypes active disabledAt disabledReason failingSince version"
ERRORS = "errors { field code message }"
CREATE_ENDPOINT = f"""mutation($input: CreateWebhookEndpointInput!) {{
  createWebhookEndpoint(input: $input) {{ endpoint {{ {ENDPOINT} }} secret {ERRORS} }} }}"""
DELIVERIES = """query($id: ID!) { webhookEndpoint(id: $id) { deliveries(first: 50) {
  id eventType sequence messageId status attempts lastStatusCode lastError
  attemptLog { attempt statusCode error } } } }"""
CREATE_POST = """mutation($input: CreatePostInput!) {
  createPost(input: $input) { post { id version slug } errors { code } } }"""
PUBLISH = """mutation($id: ID!, $version: Int!, $at: DateTime) {
  publishPost(id: $id, version: $version, at: $at) { post { id version } errors { code } } }"""
UPDATE = """mutation($id: ID!, $version: Int!, $input: UpdatePostInput!) {
  updatePost(id: $id, version: $version, input: $input) { post { id version } errors { code } } }"""
FAST = {"background_jobs": True, "background_interval_seconds": 0.05}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as found:
        yield found


async def _app(database: Database, **settings: Any) -> AsyncIterator[GraphQLClient]:
    async for client in serve(database, **{**FAST, **settings}):
        yield client


@pytest.fixture
async def hooks(scratch_db: Database) -> AsyncIterator[GraphQLClient]:
    """The app with background jobs on, delivering to loopback receivers."""
    async for client in _app(scratch_db, webhook_allow_private_targets=True):
        yield client


async def _admin_and_editor(client: GraphQLClient, database: Database) -> tuple[Editor, Editor]:
    admin = await make_editor(client, database, EditorRole.ADMIN, "admin")
    editor = await make_editor(client, database, EditorRole.EDITOR, "editor")
    return admin, editor


async def _endpoint(admin: Editor, url: str, *events: str) -> tuple[dict[str, Any], str]:
    made = await admin.run(CREATE_ENDPOINT, {"input": {"url": url, "eventTypes": list(events)}})
    assert made["errors"] == [], made
    return made["endpoint"], made["secret"]


async def _deliveries(admin: Editor, endpoint_id: str) -> list[dict[str, Any]]:
    data = await admin.data(DELIVERIES, {"id": endpoint_id})
    found: list[dict[str, Any]] = data["webhookEndpoint"]["deliveries"]
    return found


async def _until(check: Any, within: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await check()
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_a_published_post_reaches_the_receiver_signed_with_a_thin_payload(
    hooks: GraphQLClient, scratch_db: Database, receiver: Receiver
) -> None:
    admin, editor = await _admin_and_editor(hooks, scratch_db)
    endpoint, secret = await _endpoint(admin, receiver.url, "post.*")
    assert secret.startswith("whsec_")
    post = (await editor.run(CREATE_POST, {"input": {"title": "Queues at night"}}))["post"]
    await editor.run(PUBLISH, {"id": post["id"], "version": post["version"]})

    # Deliveries are sent concurrently: their order of arrival is not their sequence.
    created, published = sorted(
        await receiver.wait_for(2), key=lambda r: r.payload["data"]["sequence"]
    )
    for received in (created, published):
        verified = Webhook(secret).verify(received.body, received.headers)
        assert verified == received.payload
        assert received.headers["webhook-id"].startswith("msg_")
    assert created.payload["type"] == "post.created"
    # A draft: readers cannot see it, so the payload names only what to purge.
    assert created.payload["data"] == {
        "sequence": created.payload["data"]["sequence"],
        "objectType": "post",
        "id": post["id"],
        "visible": False,
        "wasVisible": False,
        "cacheKeys": created.payload["data"]["cacheKeys"],
    }
    data = published.payload["data"]
    assert published.payload["type"] == "post.published"
    assert data["sequence"] > created.payload["data"]["sequence"]
    assert data["id"] == post["id"] and data["slug"] == post["slug"] and data["language"] == "en"
    assert data["visible"] is True and data["wasVisible"] is False
    assert "status" in data["changedFields"] and "publishedAt" in data["changedFields"]
    assert set(data["cacheKeys"]) >= {"posts"} and any(
        k.startswith("post:") for k in data["cacheKeys"]
    )
    delivered = await _until(lambda: _all_succeeded(admin, endpoint["id"], 2))
    assert {d["eventType"] for d in delivered} == {"post.created", "post.published"}


async def _all_succeeded(admin: Editor, endpoint_id: str, count: int) -> list[dict[str, Any]]:
    found = await _deliveries(admin, endpoint_id)
    ok = len(found) == count and all(d["status"] == "SUCCEEDED" for d in found)
    return found if ok else []


async def test_a_5xx_is_retried_with_the_same_id_and_a_400_is_not(
    hooks: GraphQLClient, scratch_db: Database, receiver: Receiver
) -> None:
    admin, editor = await _admin_and_editor(hooks, scratch_db)
    endpoint, secret = await _endpoint(admin, receiver.url, "post.created", "post.updated")
    receiver.answer(503, to="post.created")
    receiver.answer(400, to="post.updated")
    post = (await editor.run(CREATE_POST, {"input": {"title": "Retried"}}))["post"]
    await editor.run(UPDATE, {"id": post["id"], "version": 1, "input": {"title": "Refused"}})
    # The create fails with 503 and is retried about 5 s later; the update gets 400 once.
    await receiver.wait_for(3, within=15)
    first, retried = receiver.of_type("post.created")
    (refused,) = receiver.of_type("post.updated")
    assert first.headers["webhook-id"] == retried.headers["webhook-id"]
    assert first.body == retried.body
    Webhook(secret).verify(retried.body, retried.headers)
    assert refused.payload["type"] == "post.updated"
    deliveries = await _until(lambda: _settled(admin, endpoint["id"]))
    by_type = {d["eventType"]: d for d in deliveries}
    assert by_type["post.created"]["status"] == "SUCCEEDED"
    assert [a["statusCode"] for a in by_type["post.created"]["attemptLog"]] == [503, 200]
    assert by_type["post.updated"]["status"] == "FAILED"
    assert [a["statusCode"] for a in by_type["post.updated"]["attemptLog"]] == [400]
    await asyncio.sleep(0.3)
    assert len(receiver.received) == 3  # nothing more


async def _settled(admin: Editor, endpoint_id: str) -> list[dict[str, Any]]:
    found = await _deliveries(admin, endpoint_id)
    return found if found and all(d["status"] != "PENDING" for d in found) else []


async def test_redirects_are_not_followed(
    hooks: GraphQLClient, scratch_db: Database, receiver: Receiver
) -> None:
    admin, editor = await _admin_and_editor(hooks, scratch_db)
    endpoint, _ = await _endpoint(admin, receiver.url, "*")
    receiver.answer(302, headers={"location": receiver.url + "/elsewhere"})
    await editor.run(CREATE_POST, {"input": {"title": "Moved"}})
    await receiver.wait_for(1)
    (delivery,) = await _until(lambda: _settled(admin, endpoint["id"]))
    assert delivery["status"] == "FAILED" and delivery["lastStatusCode"] == 302
    await asyncio.sleep(0.3)
    assert len(receiver.received) == 1


@pytest.fixture
async def guarded(scratch_db: Database) -> AsyncIterator[GraphQLClient]:
    """The app as deployed: private targets not allowed."""
    async for client in _app(scratch_db):
        yield client


async def test_private_targets_are_refused_at_send_time_unless_allowed(
    guarded: GraphQLClient, scratch_db: Database, receiver: Receiver
) -> None:
    admin, editor = await _admin_and_editor(guarded, scratch_db)
    endpoint, _ = await _endpoint(admin, receiver.url, "post.*")
    await editor.run(CREATE_POST, {"input": {"title": "Never sent"}})
    (delivery,) = await _until(lambda: _settled(admin, endpoint["id"]))
    assert delivery["status"] == "FAILED"
    assert "private, loopback or link-local" in delivery["lastError"]
    assert [a["attempt"] for a in delivery["attemptLog"]] == [1]  # not retried
    assert receiver.received == []


@pytest.fixture
async def impatient(scratch_db: Database) -> AsyncIterator[GraphQLClient]:
    """The app switching an endpoint off after a second of failures."""
    settings = {"webhook_allow_private_targets": True, "webhook_disable_after_hours": 1 / 3600}
    async for client in _app(scratch_db, **settings):
        yield client


async def test_an_endpoint_failing_for_too_long_is_switched_off_and_says_why(
    impatient: GraphQLClient, scratch_db: Database, receiver: Receiver
) -> None:
    admin, editor = await _admin_and_editor(impatient, scratch_db)
    endpoint, _ = await _endpoint(admin, receiver.url, "post.*")
    receiver.answer(*[500] * 10)
    await editor.run(CREATE_POST, {"input": {"title": "One"}})
    await receiver.wait_for(1)
    await asyncio.sleep(1.1)
    await editor.run(CREATE_POST, {"input": {"title": "Two"}})
    query = "query($id: ID!) { webhookEndpoint(id: $id) { active disabledReason } }"

    async def switched_off() -> dict[str, Any] | None:
        found: dict[str, Any] = (await admin.data(query, {"id": endpoint["id"]}))["webhookEndpoint"]
        return found if not found["active"] else None

    off = await _until(switched_off)
    assert "HTTP 500" in off["disabledReason"]


async def test_ping_and_redeliver(
    hooks: GraphQLClient, scratch_db: Database, receiver: Receiver
) -> None:
    admin, _ = await _admin_and_editor(hooks, scratch_db)
    endpoint, secret = await _endpoint(admin, receiver.url, "tag.*")
    ping = "mutation($id: ID!) { pingWebhookEndpoint(id: $id) { delivery { id } errors { code } } }"
    pinged = await admin.run(ping, {"id": endpoint["id"]})
    (first,) = await receiver.wait_for(1)
    assert first.payload["type"] == "webhook.ping"
    Webhook(secret).verify(first.body, first.headers)
    await _until(lambda: _settled(admin, endpoint["id"]))
    again = (
        "mutation($id: ID!) { redeliverWebhook(id: $id) { delivery { status } errors { code } } }"
    )
    assert (await admin.run(again, {"id": pinged["delivery"]["id"]}))["errors"] == []
    _, second = await receiver.wait_for(2)
    assert second.headers["webhook-id"] == first.headers["webhook-id"]


async def test_only_admins_manage_endpoints_and_bad_input_is_a_field_error(
    hooks: GraphQLClient, scratch_db: Database
) -> None:
    admin, editor = await _admin_and_editor(hooks, scratch_db)
    refused = await editor.run(
        CREATE_ENDPOINT, {"input": {"url": "https://example.com/h", "eventTypes": ["*"]}}
    )
    assert refused["endpoint"] is None and refused["errors"][0]["code"] == "FORBIDDEN"
    listed = await editor.post("{ webhookEndpoints { id } }")
    assert listed["data"]["webhookEndpoints"] is None
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for url, events, field in (
        ("ftp://example.com/h", ["*"], "url"),
        ("javascript:alert(1)", ["*"], "url"),
        ("https://example.com/h", ["post.eaten"], "eventTypes"),
        ("https://example.com/h", [], "eventTypes"),
    ):
        bad = await admin.run(CREATE_ENDPOINT, {"input": {"url": url, "eventTypes": events}})
        assert bad["endpoint"] is None and bad["secret"] is None
        assert [(e["field"], e["code"]) for e in bad["errors"]] == [(field, "INVALID")]


async def test_a_scheduled_post_is_announced_within_a_second_of_its_instant(
    hooks: GraphQLClient, scratch_db: Database, receiver: Receiver
) -> None:
    admin, editor = await _admin_and_editor(hooks, scratch_db)
    await _endpoint(admin, receiver.url, "post.published")
    post = (await editor.run(CREATE_POST, {"input": {"title": "At nine"}}))["post"]
    instant = datetime.now(UTC) + timedelta(seconds=1.5)
    scheduled = await editor.run(
        PUBLISH, {"id": post["id"], "version": 1, "at": instant.isoformat()}
    )
    assert scheduled["errors"] == []
    (published,) = await receiver.wait_for(1, within=10)
    arrived = datetime.now(UTC)
    assert published.payload["type"] == "post.published"
    assert timedelta(0) <= arrived - instant < timedelta(seconds=1)
    stamped = datetime.fromisoformat(published.payload["timestamp"].replace("Z", "+00:00"))
    assert abs(stamped - instant) < timedelta(milliseconds=1)  # dated at its instant
