"""A tag: a category such as Infrastructure or Trust & Safety."""

import enum

from sqlalchemy import Enum, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped


class TagVisibility(enum.StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"  # never shown to anonymous readers


class Tag(Timestamped, Base):
    __tablename__ = "tags"
    __table_args__ = (Index(None, "name", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[TagVisibility] = mapped_column(
        Enum(
            TagVisibility,
            name="tag_visibility",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=TagVisibility.PUBLIC,
    )  # No index: nearly every tag is public (migration 0017 says what one did to SQLite's plans)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
