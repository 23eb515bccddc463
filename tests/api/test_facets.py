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
    [None, {"includesCode": True}, {"languages": ["en"], "levels": ["INTERMEDIATE", "ADVANCED"]}],
)
async def test_facets_match_counts_computed_independently(
    client: GraphQLClient, filter_: dict[str, Any] | None
) -> None:
    everything = await all_visible_posts(client)
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
