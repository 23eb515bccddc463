"""The content event log: one row per change a reader or an editor can see, written in the same
transaction as the change. Its id is the log's sequence number."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime

# SQLite gives AUTOINCREMENT only to an INTEGER PRIMARY KEY.
SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


class ContentEvent(Base):
    """`post.published`, `tag.merged`, ...: what changed, about which object, and what a
    receiver needs to refresh it. Ids only grow (AUTOINCREMENT on SQLite), and on PostgreSQL
    they are taken under a transaction lock, so they also grow in commit order: a reader that
    has seen id N has seen every event up to N."""

    __tablename__ = "content_events"
    __table_args__ = (
        Index(None, "object_type", "object_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True)
    type: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(20))  # post | author | tag | webhook
    object_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(
        JSON
    )  # the payload's fields (see resolvers.events)


class EventCursor(Base):
    """How far a consumer of the log has read (the webhooks' fan-out: `webhooks`)."""

    __tablename__ = "event_cursors"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(SEQUENCE, default=0)
