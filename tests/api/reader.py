"""What tests compare API answers with: every visible post, fetched without filters, and the
database's own rows read with plain SQL."""

from base64 import b64decode
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

POST_FIELDS = """
  id slug title excerpt body publishedAt updatedAt readingTime level language featured
  includesCode authors { slug } tags { slug }
"""

ALL_POSTS = f"""
query All($after: String) {{
  posts(first: 100, after: $after) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {POST_FIELDS} }}
  }}
}}
"""


async def all_visible_posts(client: Any) -> list[dict[str, Any]]:
    """Every post the API lists, newest first, paging until the end."""
    posts: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await client.data(ALL_POSTS, {"after": after}))["posts"]
        posts.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return posts
        after = page["pageInfo"]["endCursor"]


async def visible_post_ids_from_sql(engine: Any) -> set[int]:
    """Visible posts computed in Python from raw rows, not through any of Quire's predicates."""
    now = datetime.now(UTC)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, status, published_at FROM posts"))).all()
    visible = set()
    for row_id, status, published_at in rows:
        if published_at is not None and isinstance(published_at, str):
            published_at = datetime.fromisoformat(published_at)
        if published_at is not None and published_at.tzinfo is None:
            published_at = published_at.replace(tzinfo=UTC)
        if (
            status in ("published", "scheduled")
            and published_at is not None
            and published_at <= now
        ):
            visible.add(row_id)
    return visible


async def hidden_posts_from_sql(engine: Any) -> list[dict[str, Any]]:
    """Drafts and scheduled posts whose time has not come, with their slugs."""
    visible = await visible_post_ids_from_sql(engine)
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT id, slug, status FROM posts"))).all()
    return [{"id": r[0], "slug": r[1], "status": r[2]} for r in rows if r[0] not in visible]


def db_id(global_id: str) -> int:
    """The database id inside a global ID ("Post:42" in base64)."""
    return int(b64decode(global_id).decode().split(":", 1)[1])


def global_id(type_name: str, row_id: int) -> str:
    from base64 import b64encode

    return b64encode(f"{type_name}:{row_id}".encode()).decode()


FILTERED_PAGE = """
query($f: PostFilter, $after: String) {
  posts(filter: $f, first: 100, after: $after) {
    totalCount nodes { id } pageInfo { hasNextPage endCursor }
  }
}
"""


async def filtered_ids(client: Any, filter_: Any) -> tuple[list[str], int]:
    """(ids of every post matching the filter, in order; the totalCount the API reported)."""
    ids: list[str] = []
    after = None
    while True:
        page = (await client.data(FILTERED_PAGE, {"f": filter_, "after": after}))["posts"]
        ids.extend(node["id"] for node in page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return ids, page["totalCount"]
        after = page["pageInfo"]["endCursor"]
