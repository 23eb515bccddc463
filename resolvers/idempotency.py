"""Idempotent creates: a retry with the same key by the same actor gets the first result."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import IdempotencyKey
from resolvers.accounts import Viewer
from resolvers.errors import Rejected

MAX_KEY_LENGTH = 200  # the column's length


async def earlier_result(
    session: AsyncSession, *, viewer: Viewer, operation: str, key: str | None
) -> int | None:
    """The id `operation` created the first time `viewer` sent `key`, if it did."""
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise Rejected(
            "invalid",
            f"Idempotency keys have 1 to {MAX_KEY_LENGTH} characters.",
            field="idempotencyKey",
        )
    return await session.scalar(
        select(IdempotencyKey.result_id).where(
            IdempotencyKey.actor == _actor(viewer),
            IdempotencyKey.operation == operation,
            IdempotencyKey.key == key,
        )
    )


def remember(
    session: AsyncSession, *, viewer: Viewer, operation: str, key: str | None, result_id: int
) -> None:
    """Record what `operation` created for `key`, in the caller's transaction."""
    if key is not None:
        session.add(
            IdempotencyKey(actor=_actor(viewer), operation=operation, key=key, result_id=result_id)
        )


def _actor(viewer: Viewer) -> str:
    return f"editor:{viewer.editor_id}" if viewer.editor_id else f"token:{viewer.token_id}"
