"""import sources: the ids imported objects had in the system they came from

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_sources",
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("origin", "kind", "source_id", name=op.f("pk_import_sources")),
    )


def downgrade() -> None:
    op.drop_table("import_sources")
