"""Editor accounts, passwords and bearer tokens, managed by admins (the API) or operators (the
command line).

Passwords are hashed with argon2 (pwdlib). Tokens are random secrets shown once; only their
SHA-256 is stored, so a database leak reveals no usable token. Logging in with an unknown email
still verifies a password against a dummy hash, so timing doesn't reveal which accounts exist.
"""

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pwdlib import PasswordHash
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import ApiToken, Author, Editor, EditorRole, TokenKind
from models.base import utcnow
from resolvers.errors import BadUserInput, Forbidden, NotFound, Rejected

if TYPE_CHECKING:
    from resolvers.context import Context

TOKEN_PREFIX = "qt_"
_hasher = PasswordHash.recommended()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 10
MAX_DISPLAY_NAME_LENGTH = 200
ADMINS_ONLY = "Only admins manage accounts and tokens."


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


def require_admin(viewer: Viewer | None) -> Viewer:
    """For the account and token mutations: anyone but an admin is refused."""
    if viewer is None:
        raise Rejected("unauthenticated", "Log in to manage accounts and tokens.")
    if viewer.role is not EditorRole.ADMIN:
        raise Rejected("forbidden", ADMINS_ONLY)
    return viewer


def check_admin_reader(viewer: Viewer | None) -> None:
    """For the account and token lists: anyone but an admin gets FORBIDDEN."""
    if viewer is None or viewer.role is not EditorRole.ADMIN:
        raise Forbidden(ADMINS_ONLY)


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
    if len(display_name) > MAX_DISPLAY_NAME_LENGTH:
        raise BadUserInput(
            f"Names are limited to {MAX_DISPLAY_NAME_LENGTH} characters.", field="displayName"
        )
    if author_id is not None and await session.get(Author, author_id) is None:
        raise NotFound("There is no author with this ID.", field="authorId")
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


async def get_editor(session: AsyncSession, editor_id: int) -> Editor:
    editor = await session.get(Editor, editor_id)
    if editor is None:
        raise Rejected("not_found", "There is no account with this ID.", field="id")
    return editor


async def set_editor_role(
    session: AsyncSession, *, viewer: Viewer, editor_id: int, role: EditorRole, version: int
) -> Editor:
    """Takes effect on the account's next request, through its existing sessions too, if the
    account is still at `version` (two admins cannot overwrite each other's change unseen). An
    admin cannot demote their own account, so some admin always remains."""
    editor = await get_editor(session, editor_id)
    if editor.id == viewer.editor_id and role is not EditorRole.ADMIN:
        raise Rejected("invalid", "Admins cannot demote themselves; ask another admin.", field="id")
    return await _write_editor(session, editor, version, {"role": role})


async def set_editor_author(
    session: AsyncSession, *, editor_id: int, author_id: int | None, version: int
) -> Editor:
    """Link the account to the author profile it writes as (its new posts' byline), or unlink
    it with None; only if the account is still at `version`."""
    editor = await get_editor(session, editor_id)
    if author_id is not None and await session.get(Author, author_id) is None:
        raise Rejected("not_found", "There is no author with this ID.", field="authorId")
    return await _write_editor(session, editor, version, {"author_id": author_id})


async def _write_editor(
    session: AsyncSession, editor: Editor, version: int, values: dict[str, object]
) -> Editor:
    changed = await session.execute(
        update(Editor)
        .where(Editor.id == editor.id, Editor.version == version)
        .values(**values, version=Editor.version + 1)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        current = await session.scalar(select(Editor.version).where(Editor.id == editor.id))
        raise Rejected(
            "conflict",
            f"This account changed since version {version}; it is at version {current} now. "
            "Read it again and retry.",
            field="version",
            current_version=current,
        )
    await session.refresh(editor)
    return editor


async def deactivate_editor(
    session: AsyncSession, *, viewer: Viewer, editor_id: int, now: datetime
) -> Editor:
    editor = await get_editor(session, editor_id)
    if editor.id == viewer.editor_id:
        raise Rejected(
            "invalid", "Admins cannot deactivate themselves; ask another admin.", field="id"
        )
    await deactivate(session, editor=editor, now=now)
    await session.flush()
    return editor


async def deactivate(session: AsyncSession, *, editor: Editor, now: datetime) -> None:
    """Deactivating an account revokes every token it holds."""
    editor.active = False
    editor.version += 1
    await session.execute(
        update(ApiToken)
        .where(ApiToken.editor_id == editor.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def create_integration_token(
    session: AsyncSession,
    *,
    name: str,
    role: EditorRole,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """A token that never expires, or expires at `expires_at`, which must be after `now` (the
    request's clock; the system's if left out)."""
    if not name.strip() or len(name) > 100:
        raise BadUserInput("Integration tokens need a name of 1 to 100 characters.", field="name")
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= (now or utcnow())):
        raise BadUserInput("`expiresAt` must be a future time with a time zone.", field="expiresAt")
    issued = _new_token(
        kind=TokenKind.INTEGRATION, name=name.strip(), role=role, expires_at=expires_at
    )
    session.add(issued.token)
    await session.flush()
    return issued


async def list_integration_tokens(session: AsyncSession) -> list[ApiToken]:
    result = await session.scalars(
        select(ApiToken).where(ApiToken.kind == TokenKind.INTEGRATION).order_by(ApiToken.id)
    )
    return list(result)


async def revoke_integration_token(
    session: AsyncSession, *, token_id: int, now: datetime
) -> ApiToken:
    """Revoke an integration token (again is fine); session tokens are not managed here."""
    token = await session.get(ApiToken, token_id)
    if token is None or token.kind is not TokenKind.INTEGRATION:
        raise Rejected("not_found", "There is no integration token with this ID.", field="id")
    if token.revoked_at is None:
        token.revoked_at = now
        await session.flush()
    return token


async def list_editors(ctx: "Context") -> list[Editor]:
    """Every account, oldest first (there are few). Admins only."""
    check_admin_reader(ctx.viewer)
    async with ctx.reader() as session:
        return list(await session.scalars(select(Editor).order_by(Editor.id)))


async def list_api_tokens(ctx: "Context") -> list[ApiToken]:
    """Every integration token, revoked ones included, oldest first. Admins only."""
    check_admin_reader(ctx.viewer)
    async with ctx.reader() as session:
        return await list_integration_tokens(session)


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
