"""`not` keeps posts whose optional fields are empty: SQL's NULL must not make a filter unknown."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from models import Post, PostLevel, PostStatus
from tests.api.conftest import GraphQLClient

QUERY = "query($f: PostFilter) { posts(filter: $f) { nodes { slug } } }"


@pytest.fixture
async def bare_and_full(scratch_client: GraphQLClient) -> GraphQLClient:
    common = {
        "body": "Plain words.",
        "html": "<p>Plain words.</p>",
        "status": PostStatus.PUBLISHED,
        "published_at": datetime.now(UTC) - timedelta(days=1),
        "reading_time": 1,
        "includes_code": False,
        "featured": False,
        "language": "en",
    }
    async with scratch_client.engine.begin() as connection:
        await connection.execute(
            insert(Post).values(title="Bare", slug="bare", excerpt=None, level=None, **common)
        )
        await connection.execute(
            insert(Post).values(
                title="Full", slug="full", excerpt="Zebra", level=PostLevel.BEGINNER, **common
            )
        )
    return scratch_client


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"not": {"levels": ["BEGINNER"]}}, ["bare"]),
        ({"not": {"text": "zebra"}}, ["bare"]),
        ({"text": "zebra"}, ["full"]),
        ({"not": {"levels": ["ADVANCED"]}}, ["full", "bare"]),
    ],
)
async def test_not_keeps_posts_without_a_level_or_excerpt(
    bare_and_full: GraphQLClient, filter_: dict[str, object], expected: list[str]
) -> None:
    data = await bare_and_full.data(QUERY, {"f": filter_})
    assert sorted(node["slug"] for node in data["posts"]["nodes"]) == sorted(expected)


async def test_text_match_ignores_case_beyond_ascii(scratch_client: GraphQLClient) -> None:
    async with scratch_client.engine.begin() as connection:
        await connection.execute(
            insert(Post).values(
                title="Detección de fraude en móviles",
                slug="deteccion",
                body="Texto.",
                html="<p>Texto.</p>",
                status=PostStatus.PUBLISHED,
                published_at=datetime.now(UTC) - timedelta(days=1),
                reading_time=1,
                includes_code=False,
                featured=False,
                language="es",
            )
        )
    for text in ("DETECCIÓN", "detección", "MÓVILES"):
        data = await scratch_client.data(QUERY, {"f": {"text": text}})
        assert [node["slug"] for node in data["posts"]["nodes"]] == ["deteccion"], text
