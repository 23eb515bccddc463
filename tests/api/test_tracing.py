"""OpenTelemetry tracing, collected with the SDK's in-memory exporter: a span per request, per
GraphQL operation (whichever executor answers it), per SQL statement, per Redis command and
per webhook delivery; and nothing at all while tracing is off."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app import tracing
from app.deliveries import Sender
from resolvers import spans
from resolvers.webhooks import Claimed, new_secret
from tests.api.conftest import serve
from tests.api.redis_server import REDIS_URL
from tests.conftest import Database
from tests.webhook_receiver import receiving

HOME = {
    "query": "query Home { posts(first: 3) { nodes { title authors { name } } } }",
    "operationName": "Home",
}
TAGS = {"query": "query Tags { tags { nodes { name } } }", "operationName": "Tags"}
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    assert tracing.start(exporter)
    try:
        yield exporter
    finally:
        tracing.stop()


def named(found: list[ReadableSpan], prefix: str) -> list[ReadableSpan]:
    return [span for span in found if span.name.startswith(prefix)]


def within(found: list[ReadableSpan], span: ReadableSpan, ancestor: ReadableSpan) -> bool:
    """Whether `span` descends from `ancestor`."""
    by_id = {s.context.span_id: s for s in found}
    parent = span.parent
    while parent is not None:
        if parent.span_id == ancestor.context.span_id:
            return True
        above = by_id.get(parent.span_id)
        parent = above.parent if above is not None else None
    return False


@pytest.mark.parametrize(("body", "executor"), [(HOME, "compiled"), (TAGS, "strawberry")])
async def test_a_request_is_a_span_with_its_operation_and_each_statement_below(
    demo_db: Database, exported: InMemorySpanExporter, body: dict[str, Any], executor: str
) -> None:
    async for client in serve(demo_db, response_cache=False):
        exported.clear()
        response = await client.http.post(
            "/graphql", json=body, headers={"traceparent": TRACEPARENT}
        )
        assert response.status_code == 200
    found = list(exported.get_finished_spans())
    (request,) = [s for s in found if s.name == "POST /graphql"]
    (operation,) = named(found, "graphql.operation")
    assert operation.parent is not None and operation.parent.span_id == request.context.span_id
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == body["operationName"]
    assert operation.attributes["quire.executor"] == executor
    statements = named(found, "db.query")
    assert statements and all(s.name == "db.query SELECT" for s in statements)
    assert {s.attributes["db.system"] for s in statements if s.attributes} == {demo_db.backend}
    assert any(within(found, s, operation) for s in statements)  # the operation's own reads
    assert [s.name for s in found if s.name.endswith(("receive", "send"))] == []
    assert {s.context.trace_id for s in found} == {int(TRACEPARENT.split("-")[1], 16)}


async def test_redis_commands_are_spans(
    demo_db: Database, exported: InMemorySpanExporter, redis_prefix: str
) -> None:
    settings = {"redis_url": REDIS_URL, "redis_prefix": redis_prefix}
    async for client in serve(demo_db, **settings):
        exported.clear()
        await client.http.post("/graphql", json=HOME)
    commands = [
        s
        for s in exported.get_finished_spans()
        if s.attributes and s.attributes.get("db.system") == "redis"
    ]
    assert commands, [s.name for s in exported.get_finished_spans()]


async def test_a_webhook_delivery_is_a_span(exported: InMemorySpanExporter) -> None:
    async with receiving() as receiver:
        sender = Sender(allow_private=True)
        claimed = Claimed(1, 1, receiver.url, new_secret(), "msg_1", '{"type": "ping"}')
        try:
            outcome = await sender.send(claimed, now=datetime.now(UTC))
        finally:
            await sender.close()
        await receiver.wait_for(1)
    (delivery,) = named(list(exported.get_finished_spans()), "webhook.delivery")
    assert delivery.attributes is not None
    assert delivery.attributes["http.response.status_code"] == outcome.status_code == 200
    assert delivery.attributes["quire.webhook.attempt"] == 1


async def test_while_tracing_is_off_nothing_is_recorded(demo_db: Database) -> None:
    exporter = InMemorySpanExporter()
    assert spans.tracer() is None
    async for client in serve(demo_db, response_cache=False):
        await client.http.post("/graphql", json=HOME)
    assert exporter.get_finished_spans() == ()
    with spans.span("anything") as nothing:
        assert nothing is None


def test_the_standard_variables_turn_it_on() -> None:
    assert not tracing.wanted({})
    assert not tracing.wanted({"OTEL_TRACES_EXPORTER": "none"})
    assert tracing.wanted({"OTEL_TRACES_EXPORTER": "otlp"})
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert not tracing.wanted({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "x"})
