"""The full-text index of posts, one table per backend (see resolvers.search_text for its
terms). Outside `Base.metadata`: SQLAlchemy cannot describe SQLite's FTS5 virtual table, and
migration 0010 makes both.

- PostgreSQL `post_search`: a post's words as `tsvector`s with their weights: `heading` (title A,
  summary or excerpt B), `meta` (its public tags' and its authors' names, C: apart, so a rename
  rewrites only them) and `body` (D); a GIN index on `heading || meta || body`, the expression
  every search matches; `ranked`, `heading || meta` stored by PostgreSQL (a generated column,
  migration 0019, not written here), what a match is ranked by (small: no body to read for a
  score); the post's status and publish date, copied by triggers (migration 0016).
- SQLite `post_search`: an FTS5 table whose rowid is the post's id, with a column per field."""

from sqlalchemy import Column, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import TSVECTOR

index_metadata = MetaData()

POSTGRESQL_INDEX = Table(
    "post_search",
    index_metadata,
    Column("post_id", Integer, primary_key=True),
    Column("heading", TSVECTOR, nullable=False),
    Column("meta", TSVECTOR, nullable=False),
    Column("body", TSVECTOR, nullable=False),
)

_fts = MetaData()
SQLITE_INDEX = Table(
    "post_search",
    _fts,
    Column("rowid", Integer, primary_key=True),
    Column("title", Text),
    Column("summary", Text),
    Column("meta", Text),
    Column("body", Text),
)
