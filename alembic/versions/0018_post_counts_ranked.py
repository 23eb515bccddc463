"""post counts ranked: an index that lists a menu's values most used first

A filter menu shows the 20 most used tags or authors under a condition (or none). Read from
`post_counts` by its primary key, every value of the dimension was read, joined to its name and
sorted (500 tags: about 1 ms of the database per list, most of a menu's cost); walked backwards
through (condition, dimension, posts), the list stops after its first values.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["condition_dimension", "condition_value", "dimension", "posts"]


def upgrade() -> None:
    op.create_index("ix_post_counts_ranked", "post_counts", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_post_counts_ranked", table_name="post_counts")
