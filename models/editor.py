"""Editor accounts and the API tokens that authenticate them."""

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, UTCDateTime, utcnow


class EditorRole(enum.StrEnum):
    """Ghost's roles, from least to most trusted."""

    CONTRIBUTOR = "contributor"  # writes own drafts, cannot publish
    AUTHOR = "author"  # writes and publishes own posts, creates tags
    EDITOR = "editor"  # all posts, authors and tags
    ADMIN = "admin"  # everything, plus accounts and tokens


def _role_enum() -> Enum:
    return Enum(
        EditorRole,
        name="editor_role",
        native_enum=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


class Editor(Timestamped, Base):
    __tablename__ = "editors"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[EditorRole] = mapped_column(_role_enum())
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("authors.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class TokenKind(enum.StrEnum):
    SESSION = "session"  # from login, expires, belongs to an editor
    INTEGRATION = "integration"  # long-lived, named, carries its own role


class ApiToken(Base):
    """A bearer token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    __tablename__ = "api_tokens"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[TokenKind] = mapped_column(
        Enum(
            TokenKind,
            name="token_kind",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[EditorRole | None] = mapped_column(_role_enum())
    editor_id: Mapped[int | None] = mapped_column(
        ForeignKey("editors.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
