"""post search: the full-text index of posts, written for every post there is

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

PostgreSQL: `post_search` (a post's words as `tsvector`s, see models.search) with a GIN index on
the expression searches use. SQLite: an FTS5 virtual table. Both are filled from the posts here;
afterwards every write keeps them in step (resolvers.search).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from resolvers.search import rebuild_on

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            """
            CREATE TABLE post_search (
                post_id integer PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
                document tsvector NOT NULL,
                meta tsvector NOT NULL
            )
            """
        )
        op.execute(
            "CREATE INDEX ix_post_search_words ON post_search USING gin ((document || meta))"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE post_search USING fts5("
            "title, summary, meta, body, lang, tokenize = 'unicode61 remove_diacritics 0')"
        )
    rebuild_on(bind)


def downgrade() -> None:
    op.execute("DROP TABLE post_search")
