"""link publish dates: each post's publish date copied into its tag and author links

An author's or a tag's page lists its posts newest first. With the date beside the link, the
page walks the link table's index (author or tag, date, post) and stops after a page, however
many posts the author or tag has: without it, PostgreSQL either walked every post checking the
tag (slow for a rare tag) or fetched and sorted every post of the tag (slow for a common one),
and which it picked depended on an average over all tags.

Triggers keep the copy, so every writer (the API, imports, SQL by hand) keeps it right: a
link takes its post's date when written; a post's new date goes to its links.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINKS = (("post_tags", "tag_id"), ("post_authors", "author_id"))

POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION quire_link_takes_post_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.published_at := (SELECT published_at FROM posts WHERE id = NEW.post_id);
  RETURN NEW;
END $$""",
    """CREATE FUNCTION quire_post_date_to_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE post_tags SET published_at = NEW.published_at WHERE post_id = NEW.id;
  UPDATE post_authors SET published_at = NEW.published_at WHERE post_id = NEW.id;
  RETURN NULL;
END $$""",
    """CREATE TRIGGER post_tags_take_post_date BEFORE INSERT OR UPDATE OF post_id ON post_tags
  FOR EACH ROW EXECUTE FUNCTION quire_link_takes_post_date()""",
    """CREATE TRIGGER post_authors_take_post_date BEFORE INSERT OR UPDATE OF post_id ON post_authors
  FOR EACH ROW EXECUTE FUNCTION quire_link_takes_post_date()""",
    """CREATE TRIGGER posts_date_to_links AFTER UPDATE OF published_at ON posts
  FOR EACH ROW WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at)
  EXECUTE FUNCTION quire_post_date_to_links()""",
]

SQLITE_TRIGGERS = [
    *(
        f"""CREATE TRIGGER {table}_take_post_date AFTER INSERT ON {table} FOR EACH ROW
        BEGIN
          UPDATE {table} SET published_at = (SELECT published_at FROM posts WHERE id = NEW.post_id)
          WHERE post_id = NEW.post_id AND {owner} = NEW.{owner};
        END"""
        for table, owner in LINKS
    ),
    """CREATE TRIGGER posts_date_to_links AFTER UPDATE OF published_at ON posts FOR EACH ROW
    WHEN OLD.published_at IS NOT NEW.published_at
    BEGIN
      UPDATE post_tags SET published_at = NEW.published_at WHERE post_id = NEW.id;
      UPDATE post_authors SET published_at = NEW.published_at WHERE post_id = NEW.id;
    END""",
]


def upgrade() -> None:
    for table, owner in LINKS:
        op.add_column(table, sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        op.execute(
            f"UPDATE {table} SET published_at = "
            f"(SELECT published_at FROM posts WHERE posts.id = {table}.post_id)"
        )
        op.drop_index(op.f(f"ix_{table}_{owner}_post_id"), table_name=table)
        op.create_index(
            op.f(f"ix_{table}_{owner}_published_at_post_id"),
            table,
            [owner, "published_at", "post_id"],
        )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER posts_date_to_links ON posts")
        for table, _ in LINKS:
            op.execute(f"DROP TRIGGER {table}_take_post_date ON {table}")
        op.execute("DROP FUNCTION quire_post_date_to_links()")
        op.execute("DROP FUNCTION quire_link_takes_post_date()")
    else:
        op.execute("DROP TRIGGER posts_date_to_links")
        for table, _ in LINKS:
            op.execute(f"DROP TRIGGER {table}_take_post_date")
    for table, owner in LINKS:
        op.drop_index(op.f(f"ix_{table}_{owner}_published_at_post_id"), table_name=table)
        op.create_index(op.f(f"ix_{table}_{owner}_post_id"), table, [owner, "post_id"])
        with op.batch_alter_table(table) as batch:
            batch.drop_column("published_at")
