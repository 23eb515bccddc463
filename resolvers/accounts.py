"""Editor accounts, passwords and bearer tokens.

Passwords are hashed with argon2 (pwdlib). Tokens are random secrets shown once; only their
SHA-256 is stored, so a database leak reveals no usable token. Logging in with an unknown email
still verifies a password against a dummy hash, so timing doesn't reveal which accounts exist.
"""

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import ApiToken, Editor, EditorRole, TokenKind
from resolvers.errors import BadUserInput

TOKEN_PREFIX = "qt_"
_hasher = PasswordHash.recommended()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Viewer:
    """Who is making the request: an editor's session or an integration token."""

    token_id: int
    kind: TokenKind
    role: EditorRole
    name: str
    editor_id: int | None = None
    email: str | None = None
    author_id: int | None = None


@dataclass(frozen=True)
class IssuedToken:
    secret: str  # shown to the caller once, never stored
    token: ApiToken


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadUserInput(
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Always does the work of one verification, even when there is no account."""
    verified = await asyncio.to_thread(_hasher.verify, password, password_hash or _DUMMY_HASH)
    return verified and password_hash is not None


async def viewer_for_token(session: AsyncSession, secret: str, *, now: datetime) -> Viewer | None:
    """The viewer a bearer secret stands for, or None if it is unknown, expired or revoked, or
    its editor is deactivated."""
    row = (
        await session.execute(
            select(ApiToken, Editor)
            .outerjoin(Editor, Editor.id == ApiToken.editor_id)
            .where(
                ApiToken.token_hash == hash_token(secret),
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
        )
    ).first()
    if row is None:
        return None
    token, editor = row
    if token.kind is TokenKind.INTEGRATION:
        assert token.role is not None
        return Viewer(token.id, token.kind, token.role, token.name or "integration")
    if editor is None or not editor.active:
        return None
    return Viewer(
        token.id,
        token.kind,
        editor.role,
        editor.display_name,
        editor_id=editor.id,
        email=editor.email,
        author_id=editor.author_id,
    )


async def login(
    session: AsyncSession, *, email: str, password: str, now: datetime, ttl: timedelta
) -> tuple[IssuedToken, Editor] | None:
    """A new session token for valid, active credentials; None otherwise (no hint why)."""
    editor = await session.scalar(select(Editor).where(Editor.email == normalize_email(email)))
    valid = await verify_password(password, editor.password_hash if editor else None)
    if editor is None or not valid or not editor.active:
        return None
    issued = _new_token(kind=TokenKind.SESSION, editor_id=editor.id, expires_at=now + ttl)
    session.add(issued.token)
    await session.flush()
    return issued, editor


async def revoke(session: AsyncSession, *, token_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def create_editor(
    session: AsyncSession,
    *,
    email: str,
    display_name: str,
    password: str,
    role: EditorRole,
    author_id: int | None = None,
) -> Editor:
    email = normalize_email(email)
    if "@" not in email or len(email) > 320:
        raise BadUserInput("That is not an email address.", field="email")
    if await session.scalar(select(func.count()).where(Editor.email == email)):
        raise BadUserInput("An account with this email exists.", field="email")
    editor = Editor(
        email=email,
        display_name=display_name.strip() or email,
        password_hash=await hash_password(password),
        role=role,
        author_id=author_id,
        active=True,
    )
    session.add(editor)
    await session.flush()
    return editor


async def find_editor(session: AsyncSession, email: str) -> Editor:
    editor = await session.scalar(select(Editor).where(Editor.email == normalize_email(email)))
    if editor is None:
        raise BadUserInput(f"No account with email {email}.", field="email")
    return editor


async def deactivate(session: AsyncSession, *, editor: Editor, now: datetime) -> None:
    """Deactivating an account revokes every token it holds."""
    editor.active = False
    await session.execute(
        update(ApiToken)
        .where(ApiToken.editor_id == editor.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def create_integration_token(
    session: AsyncSession, *, name: str, role: EditorRole
) -> IssuedToken:
    if not name.strip() or len(name) > 100:
        raise BadUserInput("Integration tokens need a name of 1 to 100 characters.", field="name")
    issued = _new_token(kind=TokenKind.INTEGRATION, name=name.strip(), role=role)
    session.add(issued.token)
    await session.flush()
    return issued


async def list_integration_tokens(session: AsyncSession) -> list[ApiToken]:
    result = await session.scalars(
        select(ApiToken).where(ApiToken.kind == TokenKind.INTEGRATION).order_by(ApiToken.id)
    )
    return list(result)


def _new_token(
    *,
    kind: TokenKind,
    editor_id: int | None = None,
    name: str | None = None,
    role: EditorRole | None = None,
    expires_at: datetime | None = None,
) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        token_hash=hash_token(secret),
        kind=kind,
        name=name,
        role=role,
        editor_id=editor_id,
        expires_at=expires_at,
    )
    return IssuedToken(secret, token)
