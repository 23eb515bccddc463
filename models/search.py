"""The full-text index of posts, one table per backend (see resolvers.search_text for its
terms). Outside `Base.metadata`: SQLAlchemy cannot describe SQLite's FTS5 virtual table, and
migration 0010 makes both.

- PostgreSQL `post_search`: a post's own words (`document`: title, summary, body, with their
  weights) and its public tags' and authors' names (`meta`), kept apart so a rename rewrites the
  names only; a GIN index on `document || meta`, the expression every search uses.
- SQLite `post_search`: an FTS5 table whose rowid is the post's id, a column per field and the
  post's stemming language (`lang`)."""

from sqlalchemy import Column, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import TSVECTOR

index_metadata = MetaData()

POSTGRESQL_INDEX = Table(
    "post_search",
    index_metadata,
    Column("post_id", Integer, primary_key=True),
    Column("document", TSVECTOR, nullable=False),
    Column("meta", TSVECTOR, nullable=False),
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
    Column("lang", Text),
)
