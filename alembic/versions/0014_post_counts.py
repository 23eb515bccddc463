"""post counts: live posts per facet value, under each single condition and per cell

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from resolvers.post_counts import rebuild_on

    op.create_table(
        "post_counts",
        sa.Column("condition_dimension", sa.String(20), nullable=False),
        sa.Column("condition_value", sa.String(40), nullable=False),
        sa.Column("dimension", sa.String(20), nullable=False),
        sa.Column("value", sa.String(40), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "condition_dimension",
            "condition_value",
            "dimension",
            "value",
            name=op.f("pk_post_counts"),
        ),
    )
    op.create_table(
        "post_count_cells",
        sa.Column("context_dimension", sa.String(20), nullable=False),
        sa.Column("context_value", sa.String(40), nullable=False),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("includes_code", sa.String(5), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "context_dimension",
            "context_value",
            "level",
            "language",
            "includes_code",
            name=op.f("pk_post_count_cells"),
        ),
    )
    op.create_table(
        "counted_posts",
        sa.Column("post_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_counted_posts")),
    )
    op.create_index(
        "ix_posts_scheduled_published_at",
        "posts",
        ["published_at"],
        postgresql_where=sa.text("status = 'scheduled'"),
        sqlite_where=sa.text("status = 'scheduled'"),
    )
    rebuild_on(op.get_bind(), datetime.now(UTC))


def downgrade() -> None:
    op.drop_index("ix_posts_scheduled_published_at", table_name="posts")
    op.drop_table("counted_posts")
    op.drop_table("post_count_cells")
    op.drop_table("post_counts")
