"""The rules of webhook delivery that need no server: which addresses are public, how a
Retry-After is read, which URLs and event types an endpoint may have, what gets retried."""

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from app.deliveries import _retry_after, is_public
from resolvers.errors import Rejected
from resolvers.webhooks import Outcome, _next_wait, check_event_types, check_url, matches

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "fec0::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:f5fe:fefe",  # Teredo of 10.1.1.1 (client bits inverted)
    ],
)
def test_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "64:ff9b::5db8:d70e"])
def test_global_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_retry_after_is_read_defensively_and_capped() -> None:
    assert _retry_after("120", NOW) == timedelta(seconds=120)
    assert _retry_after("Sun, 06 Dec 2026 09:10:00 GMT", NOW) == timedelta(minutes=10)
    assert _retry_after("99999999999999999999", NOW) == timedelta(days=1)
    assert _retry_after("Sun, 06 Dec 2026 08:00:00 GMT", NOW) == timedelta(0)
    for hostile in ("²", "-5", "soon", "Fri, 31 Dec 99999 23:59:59 GMT", "", None):
        assert _retry_after(hostile, NOW) is None, hostile


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/h",
        "javascript:alert(1)",
        "http://[::1/",
        "http://example.com:99999/",
        "http://example.com:abc/",
        "https://user:secret@example.com/h",
        "https:///nohost",
        "https://" + "a" * 2_000 + ".com/",
    ],
)
def test_hostile_urls_are_field_errors(url: str) -> None:
    with pytest.raises(Rejected) as refused:
        check_url(url)
    assert refused.value.errors[0][:2] == ("url", "invalid")


def test_event_types_and_wildcards() -> None:
    assert check_event_types(["post.*", "tag.merged", "post.*"]) == ["post.*", "tag.merged"]
    assert matches(["post.*"], "post.published") and not matches(["post.*"], "tag.created")
    assert matches(["*"], "author.deleted") and matches([], "webhook.ping")
    with pytest.raises(Rejected):
        check_event_types(["post.eaten"])
    with pytest.raises(Rejected) as long:
        check_event_types(["x" * 10_000])
    assert len(long.value.errors[0][2]) < 1_000  # the unknown type is not echoed whole


def test_what_is_retried_and_when() -> None:
    rng = __import__("random").Random(1)
    for code in (None, 500, 503, 408, 429):
        wait = _next_wait(1, Outcome(code, "x", 1), rng)
        assert wait is not None and timedelta(seconds=4) <= wait <= timedelta(seconds=6)
    for code in (400, 401, 404, 410, 302):
        assert _next_wait(1, Outcome(code, "x", 1), rng) is None
    assert _next_wait(1, Outcome(None, "private", 1, final=True), rng) is None
    slow = Outcome(429, "x", 1, retry_after=timedelta(hours=3))
    assert _next_wait(1, slow, rng) == timedelta(hours=3)
    assert _next_wait(8, Outcome(500, "x", 1), rng) is None  # the schedule ran out


def test_payloads_name_only_what_readers_could_see() -> None:
    from models import ContentEvent, WebhookEndpoint
    from resolvers.webhooks import _data

    def event(type_: str, **data: object) -> ContentEvent:
        return ContentEvent(id=7, type=type_, object_type="tag", object_id=3, data=data)

    public = WebhookEndpoint(include_unpublished=False)
    told = {"slug": "queues", "visible": True, "wasVisible": True, "cacheKeys": ["tag:3"]}
    assert _data(event("tag.updated", **told), public)["slug"] == "queues"
    hidden = {"slug": "secret-plans", "visible": False, "wasVisible": True, "cacheKeys": ["tag:3"]}
    renamed_and_hidden = _data(event("tag.updated", changedFields=["slug"], **hidden), public)
    assert "slug" not in renamed_and_hidden and renamed_and_hidden["cacheKeys"] == ["tag:3"]
    just_hidden = _data(event("tag.updated", changedFields=["visibility"], **hidden), public)
    assert just_hidden["slug"] == "secret-plans"  # readers saw that slug until now
    draft = {"slug": "draft", "visible": False, "wasVisible": False, "cacheKeys": ["post:1"]}
    assert "slug" not in _data(event("post.created", **draft), public)
    assert (
        _data(event("post.created", **draft), WebhookEndpoint(include_unpublished=True))["slug"]
        == "draft"
    )
