"""A publication: the blog or outlet a post comes from, for sites that gather several."""

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped


class Publication(Timestamped, Base):
    __tablename__ = "publications"
    __table_args__ = (Index(None, "name", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    logo_url: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class PostPublication(Base):
    """The publication a post belongs to: at most one (the post is the key). A table of its own
    rather than a column of `posts`, so that a single blog's rows and statements stay as they
    are, and filters and facets read it as they read tags."""

    __tablename__ = "post_publications"
    __table_args__ = (Index(None, "publication_id", "post_id"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"))
