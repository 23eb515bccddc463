"""The site itself: its name, address, images, languages, navigation and social links."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow

SITE_ID = 1


class Site(Base):
    """One row (id 1), made by the migration, changed only by `updateSite`."""

    __tablename__ = "site"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=SITE_ID)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    logo_url: Mapped[str | None] = mapped_column(String(2000))
    icon_url: Mapped[str | None] = mapped_column(String(2000))
    accent_color: Mapped[str | None] = mapped_column(String(7))
    languages: Mapped[list[str]] = mapped_column(JSON)  # the first is the default
    navigation: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{label, url}]
    secondary_navigation: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    social_links: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{network, url}]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
