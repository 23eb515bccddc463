"""drop the posts status index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nearly every post is published: SQLite's planner chose this index over (published_at, id)
    # and sorted every visible post for each page.
    op.drop_index("ix_posts_status", table_name="posts")


def downgrade() -> None:
    op.create_index("ix_posts_status", "posts", ["status"], unique=False)
