"""search ranks a stored vector, and counts live matches from the index

- `post_search.ranked`: `heading || meta`, generated and stored by PostgreSQL, so ranking a
  match no longer concatenates its two vectors first (the selective search's page, 100k posts:
  14.1 -> 11.9 ms of the database by pgbench). Adding it rewrites the table once.
- `quire_search_live_ids(tsquery, now)`: the live matches' ids from the index table alone, for
  the total of a reader's search; counted through the posts it took 18.8 ms, here 7.8 ms.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept to the index like quire_search (migration 0010 says why).
SEARCH = """CREATE OR REPLACE FUNCTION quire_search(query tsquery)
RETURNS TABLE (post_id integer, score double precision)
LANGUAGE sql STABLE PARALLEL SAFE
SET enable_seqscan = off
ROWS 1000
AS $$
    SELECT post_id, ts_rank({ranked}, query)::float8
    FROM post_search
    WHERE (heading || meta || body) @@ query
$$"""
SEARCH_LIVE = """CREATE OR REPLACE FUNCTION quire_search_live(query tsquery, now timestamptz)
RETURNS TABLE (post_id integer, score double precision, published_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
SET enable_seqscan = off
ROWS 1000
AS $$
    SELECT post_id, ts_rank({ranked}, query)::float8, published_at
    FROM post_search
    WHERE (heading || meta || body) @@ query
      AND status IN ('published', 'scheduled') AND published_at <= now
$$"""
SEARCH_LIVE_IDS = """CREATE FUNCTION quire_search_live_ids(query tsquery, now timestamptz)
RETURNS TABLE (post_id integer)
LANGUAGE sql STABLE PARALLEL SAFE
SET enable_seqscan = off
ROWS 1000
AS $$
    SELECT post_id
    FROM post_search
    WHERE (heading || meta || body) @@ query
      AND status IN ('published', 'scheduled') AND published_at <= now
$$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE post_search ADD COLUMN ranked tsvector "
            "GENERATED ALWAYS AS (heading || meta) STORED"
        )
        op.execute(SEARCH.format(ranked="ranked"))
        op.execute(SEARCH_LIVE.format(ranked="ranked"))
        op.execute(SEARCH_LIVE_IDS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION quire_search_live_ids(tsquery, timestamptz)")
        op.execute(SEARCH_LIVE.format(ranked="heading || meta"))
        op.execute(SEARCH.format(ranked="heading || meta"))
        op.execute("ALTER TABLE post_search DROP COLUMN ranked")
