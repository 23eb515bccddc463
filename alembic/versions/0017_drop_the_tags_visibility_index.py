"""drop the tags visibility index

Nearly every tag is public, so the index on `tags.visibility` selects nothing; but SQLite's
planner, with no statistics, trusted it: the bylines-and-tags statement of a page scanned
every public tag and probed the page's links for each (500 tags: 10,000 probes for a page of
20 posts, where it reads the page's own links from their primary key), as 0004 found for
`posts.status`. Measured on SQLite, 100k posts, 500 tags, 5 s runs: the home page went from
284 to 863 req/s once the index was gone (the hand-written floor's, from 374 to 1,353).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_tags_visibility"), table_name="tags")


def downgrade() -> None:
    op.create_index(op.f("ix_tags_visibility"), "tags", ["visibility"])
