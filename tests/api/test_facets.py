"""Facet counts equal counts made in Python over the same posts listed by the API."""

from collections import Counter
from typing import Any

import pytest

from tests.api.conftest import GraphQLClient
from tests.api.reader import all_visible_posts, filtered_ids

FACETS = """
query($f: PostFilter) {
  posts(filter: $f) {
    totalCount
    facets {
      levels { level count }
      languages { language count }
      includesCode { includesCode count }
      tags { tag { slug } count }
      authors { author { slug } count }
    }
  }
}
"""


@pytest.mark.parametrize(
    "filter_",
    [
        None,
        {"includesCode": True},
        {"languages": ["en"], "levels": ["INTERMEDIATE", "ADVANCED"]},
        # Slug filters next to the tag and author facets, which join the link tables too.
        {"tags": {"anyOf": ["infrastructure", "monetization"]}},
        {"tags": {"allOf": ["infrastructure"]}, "not": {"tags": {"anyOf": ["monetization"]}}},
        {"authors": {"anyOf": ["__first_author__"]}},
    ],
)
async def test_facets_match_counts_computed_independently(
    client: GraphQLClient, filter_: dict[str, Any] | None
) -> None:
    everything = await all_visible_posts(client)
    if filter_ is not None and "authors" in filter_:
        first = everything[0]["authors"][0]["slug"]
        filter_ = {"authors": {"anyOf": [first]}}
    data = (await client.data(FACETS, {"f": filter_}))["posts"]
    listed = await _matching(client, filter_, everything)
    facets = data["facets"]
    assert data["totalCount"] == len(listed)
    assert _as_counter(facets["levels"], "level") == Counter(p["level"] for p in listed)
    assert _as_counter(facets["languages"], "language") == Counter(p["language"] for p in listed)
    assert _as_counter(facets["includesCode"], "includesCode") == Counter(
        p["includesCode"] for p in listed
    )
    assert {f["tag"]["slug"]: f["count"] for f in facets["tags"]} == Counter(
        t["slug"] for p in listed for t in p["tags"]
    )
    assert {f["author"]["slug"]: f["count"] for f in facets["authors"]} == Counter(
        a["slug"] for p in listed for a in p["authors"]
    )
    counts = [f["count"] for f in facets["tags"]]
    assert counts == sorted(counts, reverse=True)


async def _matching(
    client: GraphQLClient, filter_: Any, everything: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    ids = set((await filtered_ids(client, filter_))[0])
    return [post for post in everything if post["id"] in ids]


def _as_counter(rows: list[dict[str, Any]], key: str) -> Counter[Any]:
    return Counter({row[key]: row["count"] for row in rows})


async def test_facets_of_a_tags_and_an_authors_posts(client: GraphQLClient) -> None:
    """Nested connections filter by their parent with EXISTS, which must stay tied to the post
    when the facets join the link tables themselves."""
    data = await client.data(
        """{ tags(first: 1) { nodes { slug posts { totalCount
               facets { tags { tag { slug } count } authors { count } } } } }
             authors(first: 1) { nodes { slug posts { totalCount
               facets { authors { author { slug } count } levels { count } } } } } }"""
    )
    tag = data["tags"]["nodes"][0]
    counts = {f["tag"]["slug"]: f["count"] for f in tag["posts"]["facets"]["tags"]}
    assert tag["posts"]["totalCount"] > 0
    assert counts[tag["slug"]] == tag["posts"]["totalCount"]  # every one of them has the tag
    author = data["authors"]["nodes"][0]
    by_author = {f["author"]["slug"]: f["count"] for f in author["posts"]["facets"]["authors"]}
    assert by_author[author["slug"]] == author["posts"]["totalCount"]
    levels = author["posts"]["facets"]["levels"]
    assert sum(f["count"] for f in levels) == author["posts"]["totalCount"]


MENU = """
query($filter: PostFilter, $search: String, $limit: Int, $disjunctive: Boolean!) {
  posts(filter: $filter, search: $search) {
    totalCount
    facets(disjunctive: $disjunctive) {
      levels { level count }
      languages { language count }
      tags(limit: $limit) { tag { slug } count }
    }
  }
}"""
COUNT = "query($filter: PostFilter) { posts(filter: $filter) { totalCount } }"


async def _count(client: GraphQLClient, filter: dict[str, Any]) -> int:
    return int((await client.data(COUNT, {"filter": filter}))["posts"]["totalCount"])


async def test_disjunctive_facets_ignore_their_own_dimension_and_keep_the_rest(
    client: GraphQLClient,
) -> None:
    chosen = {"levels": ["BEGINNER"], "languages": ["en"]}
    menu = await client.data(MENU, {"filter": chosen, "disjunctive": True})
    facets = menu["posts"]["facets"]
    # Each level's count: the posts choosing it instead would show (the language still holds).
    for row in facets["levels"]:
        if row["level"] is not None:
            expected = await _count(client, {"levels": [row["level"]], "languages": ["en"]})
            assert row["count"] == expected, row
    assert {row["level"] for row in facets["levels"]} >= {"BEGINNER", "INTERMEDIATE"}
    # Each language's count keeps the level.
    for row in facets["languages"]:
        expected = await _count(client, {"levels": ["BEGINNER"], "languages": [row["language"]]})
        assert row["count"] == expected, row
    # Not disjunctive: every count is within the filter.
    plain = await client.data(MENU, {"filter": chosen, "disjunctive": False})
    assert [row["level"] for row in plain["posts"]["facets"]["levels"]] == ["BEGINNER"]
    assert plain["posts"]["totalCount"] == menu["posts"]["totalCount"]


async def test_a_facet_limit_keeps_the_top_values_and_the_chosen_ones_even_at_zero(
    client: GraphQLClient,
) -> None:
    everything = await client.data(MENU, {"disjunctive": False})
    tags = everything["posts"]["facets"]["tags"]
    top = await client.data(MENU, {"disjunctive": False, "limit": 3})
    assert top["posts"]["facets"]["tags"] == tags[:3]
    # A chosen tag beyond the limit is listed after the top ones, disjunctively with its count.
    last = tags[-1]["tag"]["slug"]
    chosen = await client.data(
        MENU, {"disjunctive": True, "limit": 3, "filter": {"tags": {"anyOf": [last]}}}
    )
    assert chosen["posts"]["facets"]["tags"] == [*tags[:3], tags[-1]]
    # A search that finds nothing: the chosen values are there, at zero.
    none = await client.data(
        MENU,
        {
            "disjunctive": True,
            "search": "qwertyuiop",
            "filter": {"levels": ["BEGINNER"], "tags": {"anyOf": [last]}},
        },
    )
    facets = none["posts"]["facets"]
    assert facets["levels"] == [{"level": "BEGINNER", "count": 0}]
    assert facets["tags"] == [{"tag": {"slug": last}, "count": 0}]


async def test_a_facet_limit_out_of_range_is_a_field_error(client: GraphQLClient) -> None:
    error = await client.error(MENU, {"disjunctive": False, "limit": 0})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "limit"}
