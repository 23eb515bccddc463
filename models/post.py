"""A post, and its ordered links to authors and tags."""

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, UTCDateTime


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"  # published at a future instant, visible from then on
    PUBLISHED = "published"


class PostLevel(enum.StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class Post(Timestamped, Base):
    __tablename__ = "posts"
    __table_args__ = (
        # One index per ordering the API offers; the id breaks ties so keyset pages are exact.
        Index(None, "published_at", "id"),
        Index(None, "updated_at", "id"),
        Index(None, "title", "id"),
        Index(None, "reading_time", "id"),
        # The posts waiting for their instant (few): whether any has come, for the maintained
        # counts (resolvers.post_counts), is a lookup in it.
        Index(
            "ix_posts_scheduled_published_at",
            "published_at",
            postgresql_where=text("status = 'scheduled'"),
            sqlite_where=text("status = 'scheduled'"),
        ),
        # SQLite would otherwise reuse the id of a deleted last row, and a client's cached
        # global ID would then name another post.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    slug: Mapped[str] = mapped_column(String(300), unique=True)
    excerpt: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)  # written by an editor; null when none
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    # No index on status alone: nearly every post is published, and SQLite's planner would pick
    # it over (published_at, id) and sort every visible post for each page (measured: 0.97 s vs
    # 0.5 ms for the home page at 100k posts).
    status: Mapped[PostStatus] = mapped_column(
        _enum(PostStatus, "post_status"), default=PostStatus.DRAFT
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    level: Mapped[PostLevel | None] = mapped_column(_enum(PostLevel, "post_level"), index=True)
    reading_time: Mapped[int] = mapped_column(Integer, default=1)
    includes_code: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    featured: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    feature_image_url: Mapped[str | None] = mapped_column(String(2000))
    feature_image_alt: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(35), default="en", index=True)
    translation_group: Mapped[str | None] = mapped_column(String(36), index=True)
    canonical_url: Mapped[str | None] = mapped_column(String(2000))
    meta_title: Mapped[str | None] = mapped_column(String(300))
    meta_description: Mapped[str | None] = mapped_column(String(500))
    # Changes on every write; writers send the version they saw, so no edit is lost silently.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("editors.id", ondelete="SET NULL"), index=True
    )  # the editor who created it: contributors and authors may edit only their own


class PostAuthor(Base):
    """Authors of a post in byline order; position 0 is the primary author."""

    __tablename__ = "post_authors"
    __table_args__ = (Index(None, "author_id", "published_at", "post_id"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    author_id: Mapped[int] = mapped_column(
        ForeignKey("authors.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The post's, copied by the database's triggers (migration 0015): an author's or a tag's
    page walks its index in publish order, however many or few posts it has."""


class PostTag(Base):
    """Tags of a post in order; position 0 is the primary tag."""

    __tablename__ = "post_tags"
    __table_args__ = (Index(None, "tag_id", "published_at", "post_id"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """The post's, copied by the database's triggers (migration 0015): an author's or a tag's
    page walks its index in publish order, however many or few posts it has."""
