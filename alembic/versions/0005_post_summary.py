"""post summary

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's batch mode rebuilds a table from reflection, which forgets AUTOINCREMENT.
KEEP_AUTOINCREMENT = {"sqlite_autoincrement": True}


def upgrade() -> None:
    # Written by an editor; null when none (the excerpt is then derived from the body).
    with op.batch_alter_table("posts", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.add_column(sa.Column("summary", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts", table_kwargs=KEEP_AUTOINCREMENT) as batch:
        batch.drop_column("summary")
