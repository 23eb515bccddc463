"""sync retention: how far the event log was pruned

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

cursors = sa.table("event_cursors", sa.column("name", sa.String), sa.column("last_event_id"))


def upgrade() -> None:
    # The highest event id pruned: a sync cursor before it has missed events (resolvers.sync).
    op.bulk_insert(cursors, [{"name": "pruned", "last_event_id": 0}])


def downgrade() -> None:
    op.execute(cursors.delete().where(cursors.c.name == "pruned"))
