"""Cursor signing and page-request validation."""

from datetime import UTC, datetime

import pytest

from resolvers import signing
from resolvers.errors import BadUserInput
from resolvers.pagination import CursorCodec, PageRequest, fingerprint

CODEC = CursorCodec("secret", fingerprint("posts", "published_at", True))
WHEN = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def test_a_cursor_decodes_to_the_values_it_was_made_from() -> None:
    cursor = CODEC.encode("datetime", WHEN, 42)
    assert CODEC.decode("datetime", cursor, "after") == (WHEN, 42)


def test_a_cursor_with_a_changed_payload_is_refused() -> None:
    payload, signature = CODEC.encode("int", 5, 42).split(".")
    forged = CursorCodec("secret", CODEC.fingerprint).encode("int", 6, 42).split(".")[0]
    with pytest.raises(BadUserInput, match="not a valid cursor"):
        CODEC.decode("int", f"{forged}.{signature}", "after")
    assert payload != forged


def test_a_cursor_signed_with_another_key_is_refused() -> None:
    cursor = CursorCodec("other-secret", CODEC.fingerprint).encode("int", 5, 42)
    with pytest.raises(BadUserInput, match="not a valid cursor"):
        CODEC.decode("int", cursor, "after")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "!!!.???", "eyJ9.AAAA"])
def test_garbage_is_refused_as_an_invalid_cursor(garbage: str) -> None:
    with pytest.raises(BadUserInput, match="`before` is not a valid cursor"):
        CODEC.decode("int", garbage, "before")


def test_a_cursor_issued_for_another_ordering_or_filter_is_refused() -> None:
    cursor = CursorCodec("secret", fingerprint("posts", "title", False)).encode("str", "A", 1)
    with pytest.raises(BadUserInput, match="different ordering or filter"):
        CODEC.decode("str", cursor, "after")


def test_fingerprint_changes_with_any_argument_and_ignores_set_order() -> None:
    assert fingerprint("posts", ("a", "b")) != fingerprint("posts", ("a", "c"))
    assert fingerprint("posts", frozenset({"a", "b"})) == fingerprint(
        "posts", frozenset({"b", "a"})
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"first": 101}, "between 1 and 100"),
        ({"first": 0}, "between 1 and 100"),
        ({"last": -1}, "between 1 and 100"),
        ({"first": 5, "last": 5}, "not both"),
    ],
)
def test_page_requests_out_of_range_are_refused_not_clamped(
    kwargs: dict[str, int], message: str
) -> None:
    with pytest.raises(BadUserInput, match=message):
        PageRequest(**kwargs)  # type: ignore[arg-type]


def test_page_request_defaults_to_twenty_going_forward() -> None:
    request = PageRequest()
    assert (request.size, request.backward) == (20, False)
    assert PageRequest(last=3).backward and PageRequest(before="x").backward


@pytest.mark.parametrize(
    "payload", [b"[]", b'{"f": "x"}', b'{"k": [1, 2, 3]}', b'{"f": 1, "k": 5}', b"not json"]
)
def test_a_correctly_signed_payload_of_the_wrong_shape_is_refused(payload: bytes) -> None:
    with pytest.raises(BadUserInput, match="not a valid cursor"):
        CODEC.decode("int", signing.sign("secret", payload), "after")
