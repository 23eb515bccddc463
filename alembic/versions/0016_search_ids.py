"""search ids: the posts a search finds, without their scores

`quire_search(tsquery)` ranks every match, which a count, a facet or a filter does not need:
for a word in 12% of 100k posts, ranking was most of the time of `totalCount`.
`quire_search_ids(tsquery)` gives the matching ids alone, through the same GIN index.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Kept to the index like quire_search (migration 0010 says why).
        op.execute(
            """
            CREATE FUNCTION quire_search_ids(query tsquery)
            RETURNS TABLE (post_id integer)
            LANGUAGE sql STABLE PARALLEL SAFE
            SET enable_seqscan = off
            ROWS 1000
            AS $$
                SELECT post_id FROM post_search WHERE (heading || meta || body) @@ query
            $$
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION quire_search_ids(tsquery)")
