"""search state on sqlite: a reader's search reads its matches' status and date from an index

On SQLite a post's row holds its status and publish date after its body and html, so checking
that a match is live read the row's overflow pages: a search for two words found in 3,577 of
100k posts spent 350 ms joining its matches to their posts, where ranking them in FTS5 took
8 ms. `ix_post_search_state` (id, status, published_at) answers the check from the index
(resolvers.search reads it with INDEXED BY): 15 ms. PostgreSQL keeps the same values in its
index table (migration 0016).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_post_search_state", "posts", ["id", "status", "published_at"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_post_search_state", table_name="posts")
