"""Keyset cursors stay exact while posts are published and deleted between page requests."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from models import Post, PostStatus
from tests.api.conftest import GraphQLClient, serve
from tests.api.reader import db_id
from tests.conftest import Database

BASE = datetime(2024, 1, 1, tzinfo=UTC)
PAGE = """
query($first: Int!, $after: String) {
  posts(first: $first, after: $after) {
    nodes { id } pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
async def scratch_client(scratch_db: Database) -> AsyncIterator[GraphQLClient]:
    """Without the response cache: these tests change posts straight in the database between
    requests, which only a mutation would invalidate."""
    async for client in serve(scratch_db, response_cache=False):
        yield client


# Few distinct timestamps on purpose, so many posts tie on the sort key and the id decides.
published_at = st.integers(min_value=0, max_value=12).map(
    lambda hours: BASE + timedelta(hours=hours)
)
change = st.one_of(
    st.tuples(st.just("insert"), published_at),
    st.tuples(st.just("delete"), st.integers(min_value=0, max_value=10_000)),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    initial=st.lists(published_at, min_size=1, max_size=25),
    page_size=st.integers(min_value=1, max_value=6),
    changes=st.lists(st.lists(change, max_size=4), max_size=12),
)
async def test_page_two_never_repeats_or_skips_a_post_changed_between_requests(
    scratch_client: GraphQLClient, initial: list[datetime], page_size: int, changes: list[Any]
) -> None:
    engine = scratch_client.engine
    counter = iter(range(1, 1_000_000))
    async with engine.begin() as connection:
        await connection.execute(delete(Post))
        existing = [await _insert(connection, when, next(counter)) for when in initial]
    survivors = set(existing)

    seen: list[int] = []
    after = None
    for page_number in range(1000):
        page = (await scratch_client.data(PAGE, {"first": page_size, "after": after}))["posts"]
        seen.extend(db_id(node["id"]) for node in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        async with engine.begin() as connection:
            for kind, value in changes[page_number] if page_number < len(changes) else []:
                if kind == "insert":
                    existing.append(await _insert(connection, value, next(counter)))
                elif existing:
                    victim = existing.pop(value % len(existing))
                    survivors.discard(victim)
                    await connection.execute(delete(Post).where(Post.id == victim))

    assert len(seen) == len(set(seen)), "a post was listed twice"
    assert survivors <= set(seen), "a post that existed throughout was skipped"


async def _insert(connection: Any, when: datetime, number: int) -> int:
    result = await connection.execute(
        insert(Post).values(
            title=f"Post {number}",
            slug=f"post-{number}",
            body="Text.",
            html="<p>Text.</p>",
            status=PostStatus.PUBLISHED,
            published_at=when,
            reading_time=1,
            includes_code=False,
            featured=False,
            language="en",
        )
    )
    return int(result.inserted_primary_key[0])


async def test_the_id_of_a_deleted_newest_post_is_never_reused(
    scratch_client: GraphQLClient,
) -> None:
    """Found by the property above on SQLite: without AUTOINCREMENT a new post took the deleted
    post's id, so a cursor (and any cached global ID) pointed at a different post."""
    async with scratch_client.engine.begin() as connection:
        first = await _insert(connection, BASE, 1)
        await connection.execute(delete(Post).where(Post.id == first))
        second = await _insert(connection, BASE, 2)
    assert second > first
