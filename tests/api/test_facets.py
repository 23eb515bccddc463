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
