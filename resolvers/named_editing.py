"""Writing authors, tags and publications, which load, check versions and pick slugs the same way.

Writers send the version they last read. A write lands only if nobody wrote since
(compare-and-set on the row); otherwise nothing is written and the error is CONFLICT.
"""

from datetime import datetime
from typing import Any, NoReturn, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Author, Publication, Tag
from resolvers import validation
from resolvers.errors import Rejected

Entry = TypeVar("Entry", Author, Tag, Publication)
SLUG_LENGTH = 180  # leaves room for a "-2" suffix within the columns' 200


async def load(
    session: AsyncSession, model: type[Entry], row_id: int, *, field: str = "id"
) -> Entry:
    """The row, locked until the transaction ends on PostgreSQL (so no post can link to it
    meanwhile), or NOT_FOUND on the input field that named it."""
    entry = await session.get(model, row_id, with_for_update=True)
    if entry is None:
        raise Rejected("not_found", f"There is no {_noun(model)} with this ID.", field=field)
    return entry


def check(entry: Entry, seen: int, *, field: str = "version") -> None:
    """CONFLICT before any work when the version the editor saw is not the current one."""
    if entry.version != seen:
        _conflict(entry, entry.version, seen, field)


async def write(
    session: AsyncSession,
    entry: Entry,
    seen: int,
    values: dict[str, Any],
    now: datetime,
    *,
    field: str = "version",
) -> None:
    """Apply `values` and bump the version, only if it is still `seen`; `entry` is reloaded."""
    model = type(entry)
    result = await session.execute(
        update(model)
        .where(model.id == entry.id, model.version == seen)
        .values(**values, version=model.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await _stale(session, entry, seen, field)
    await session.refresh(entry)


async def remove(session: AsyncSession, entry: Entry, seen: int, *, field: str = "version") -> None:
    """Delete the row, only if its version is still `seen`."""
    model = type(entry)
    result = await session.execute(
        delete(model)
        .where(model.id == entry.id, model.version == seen)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await _stale(session, entry, seen, field)


async def unique_slug(
    session: AsyncSession, model: type[Entry], wanted: str | None, name: str, row_id: int | None
) -> str:
    """`wanted` if no other row has it (refused otherwise); else the name's slug made unique."""

    async def taken(slug: str) -> bool:
        owner = await session.scalar(select(model.id).where(model.slug == slug))
        return owner is not None and owner != row_id

    return await validation.unique_slug(
        wanted, name, taken=taken, fallback=_noun(model), length=SLUG_LENGTH
    )


async def _stale(session: AsyncSession, entry: Entry, seen: int, field: str) -> NoReturn:
    model = type(entry)
    current = await session.scalar(select(model.version).where(model.id == entry.id))
    if current is None:
        raise Rejected("not_found", f"This {_noun(model)} was deleted meanwhile.")
    _conflict(entry, current, seen, field)


def _conflict(entry: Entry, current: int, seen: int, field: str) -> NoReturn:
    noun = _noun(type(entry))
    raise Rejected(
        "conflict",
        f"This {noun} changed since version {seen}; it is at version {current} now. "
        "Reload it, reapply your edit and save again.",
        field=field,
        current_version=current,
    )


def _noun(model: type[Entry]) -> str:
    return model.__name__.lower()
