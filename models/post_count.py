"""Maintained counts of live posts: how many have each facet value, overall and under each
single condition (see resolvers.post_counts, which keeps them and reads them).

A post's *facts* are its values as the filter menus see them, each written `dimension:value`:
`all:` (every post has it), `level:beginner` (`level:` without one), `language:en`,
`includes_code:true`, `tag:12`, `author:3` and `publication:2` (by id, so a rename changes no
count).
- `post_counts` holds, for every fact and every tag, author or publication fact live posts
  share, how many do: the row (condition `all:`, value `tag:12`) is the tag's number of posts,
  (condition `level:beginner`, value `tag:12`) the number at that level.
- `post_count_cells` holds, within every post or a tag's, an author's or a publication's, how
  many live posts have each (level, language, includes_code): a cube small enough to sum.
- `counted_posts` remembers each counted post's facts, so a write subtracts exactly what the
  post added before.
"""

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PostCount(Base):
    __tablename__ = "post_counts"
    __table_args__ = (
        # A menu's values most used first (migration 0018), walked backwards under one condition.
        Index(
            "ix_post_counts_ranked", "condition_dimension", "condition_value", "dimension", "posts"
        ),
    )

    condition_dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    condition_value: Mapped[str] = mapped_column(String(40), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[str] = mapped_column(String(40), primary_key=True)
    posts: Mapped[int] = mapped_column(Integer)


class PostCountCell(Base):
    __tablename__ = "post_count_cells"

    context_dimension: Mapped[str] = mapped_column(String(20), primary_key=True)
    context_value: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[str] = mapped_column(String(20), primary_key=True)  # "" for none
    language: Mapped[str] = mapped_column(String(35), primary_key=True)
    includes_code: Mapped[str] = mapped_column(String(5), primary_key=True)  # "true", "false"
    posts: Mapped[int] = mapped_column(Integer)


class CountedPost(Base):
    """A live post's facts as last counted. No foreign key: a deleted post's row stays until
    the delete's own write takes its facts out of the counts."""

    __tablename__ = "counted_posts"

    post_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    facts: Mapped[str] = mapped_column(Text)  # one fact per line, sorted
