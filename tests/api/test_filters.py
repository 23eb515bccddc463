"""Every post filter and combinator, checked against the same selection made in Python over
everything the API lists without a filter."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.api.conftest import GraphQLClient
from tests.api.reader import all_visible_posts, filtered_ids

Post = dict[str, Any]
FILTERED = "query($f: PostFilter) { posts(filter: $f, first: 100) { totalCount nodes { id } } }"


@pytest.fixture(scope="session")
async def everything(client: GraphQLClient) -> list[Post]:
    return await all_visible_posts(client)


def _tags(post: Post) -> set[str]:
    return {tag["slug"] for tag in post["tags"]}


def _authors(post: Post) -> set[str]:
    return {author["slug"] for author in post["authors"]}


def _popular(posts: list[Post], key: Callable[[Post], set[str]], rank: int) -> str:
    counts: dict[str, int] = {}
    for post in posts:
        for slug in key(post):
            counts[slug] = counts.get(slug, 0) + 1
    return sorted(counts, key=lambda slug: (-counts[slug], slug))[rank]


def _cases(posts: list[Post]) -> list[tuple[dict[str, Any], Callable[[Post], bool]]]:
    tag_a, tag_b = _popular(posts, _tags, 0), _popular(posts, _tags, 1)
    author_a, author_b = _popular(posts, _authors, 0), _popular(posts, _authors, 1)
    middle = sorted(post["publishedAt"] for post in posts)[len(posts) // 2]
    word = posts[0]["title"].split()[-1].upper()
    return [
        ({"tags": {"anyOf": [tag_a, tag_b]}}, lambda p: bool(_tags(p) & {tag_a, tag_b})),
        ({"tags": {"allOf": [tag_a, tag_b]}}, lambda p: {tag_a, tag_b} <= _tags(p)),
        ({"authors": {"anyOf": [author_a]}}, lambda p: author_a in _authors(p)),
        (
            {"authors": {"anyOf": [author_a, author_b]}},
            lambda p: bool(_authors(p) & {author_a, author_b}),
        ),
        ({"levels": ["BEGINNER", "ADVANCED"]}, lambda p: p["level"] in ("BEGINNER", "ADVANCED")),
        ({"languages": ["es"]}, lambda p: p["language"] == "es"),
        ({"featured": True}, lambda p: p["featured"]),
        ({"includesCode": True}, lambda p: p["includesCode"]),
        ({"includesCode": False}, lambda p: not p["includesCode"]),
        ({"publishedAt": {"from": middle}}, lambda p: p["publishedAt"] >= middle),
        ({"publishedAt": {"to": middle}}, lambda p: p["publishedAt"] < middle),
        (
            {"text": word},
            lambda p: any(
                word.lower() in (p[k] or "").lower() for k in ("title", "excerpt", "body")
            ),
        ),
        (
            {"and": [{"includesCode": True}, {"levels": ["ADVANCED"]}]},
            lambda p: p["includesCode"] and p["level"] == "ADVANCED",
        ),
        (
            {"or": [{"featured": True}, {"tags": {"anyOf": [tag_b]}}]},
            lambda p: p["featured"] or tag_b in _tags(p),
        ),
        ({"not": {"tags": {"anyOf": [tag_a]}}}, lambda p: tag_a not in _tags(p)),
        (
            {
                "levels": ["INTERMEDIATE"],
                "not": {"or": [{"includesCode": True}, {"languages": ["es"]}]},
            },
            lambda p: (
                p["level"] == "INTERMEDIATE" and not p["includesCode"] and p["language"] != "es"
            ),
        ),
    ]


CASE_COUNT = 16


@pytest.mark.parametrize("case", range(CASE_COUNT))
async def test_filter_selects_exactly_the_matching_posts(
    client: GraphQLClient, everything: list[Post], case: int
) -> None:
    cases = _cases(everything)
    assert len(cases) == CASE_COUNT
    filter_, predicate = cases[case]
    expected = [post["id"] for post in everything if predicate(post)]
    ids, total = await filtered_ids(client, filter_)
    assert ids == expected, filter_
    assert total == len(expected)
    assert 0 < len(expected) < len(everything) or filter_ == {"languages": ["es"]}, (
        f"{filter_} should select some but not all posts to be a meaningful test"
    )


async def test_text_match_treats_wildcards_literally(client: GraphQLClient) -> None:
    data = await client.data(FILTERED, {"f": {"text": "%_%"}})
    assert data["posts"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("filter_", "message"),
    [
        ({"tags": {"anyOf": ["no-such-tag"]}}, "Unknown tag slug: no-such-tag."),
        (
            {"or": [{"authors": {"allOf": ["nobody", "ghost"]}}]},
            "Unknown author slugs: ghost, nobody.",
        ),
        ({"publishedAt": {"from": "2024-01-01T00:00:00"}}, "need a time zone"),
        ({"text": "x" * 201}, "limited to 200 characters"),
    ],
)
async def test_bad_filters_are_clear_errors(
    client: GraphQLClient, filter_: dict[str, Any], message: str
) -> None:
    error = await client.error(FILTERED, {"f": filter_})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]


async def test_filters_nested_too_deep_are_refused(client: GraphQLClient) -> None:
    nested: dict[str, Any] = {"featured": True}
    for _ in range(12):
        nested = {"not": nested}
    error = await client.error(FILTERED, {"f": nested})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
