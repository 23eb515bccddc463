"""What editing leaves behind: post revisions, old slugs, and idempotency records."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class PostRevision(Base):
    """An immutable copy of a post after one successful write."""

    __tablename__ = "post_revisions"
    __table_args__ = (
        UniqueConstraint("post_id", "version"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    excerpt: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)  # every editable field, for diffs
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("editors.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200))  # who, as shown (survives account deletion)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostSlug(Base):
    """A slug a post had before it was renamed, so old links still find it."""

    __tablename__ = "post_slugs"

    slug: Mapped[str] = mapped_column(String(300), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)


class IdempotencyKey(Base):
    """The first result of a create mutation retried with the same key by the same actor."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("actor", "operation", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(100))  # token:<id> or editor:<id>
    operation: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(200))
    result_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
