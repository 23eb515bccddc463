"""The sync feed: everything a caller may see, then only what changed, for apps that keep a copy.

A sync starts without a cursor: it lists every object the caller may see (posts, then authors,
then tags, each by id), page after page, and remembers the event log's head at its start. Then
it reads the event log after that head: each changed object once, in its latest state (an
upsert) or, when the caller can no longer see it, as a tombstone (deleted, unpublished, tag made
internal, author deleted or merged away). Changes made while the listing ran are read again
afterwards, so nothing is missed; an object may come twice, which an upsert makes harmless.

Cursors are signed, and name the caller's audience and filters: a cursor is only good for the
feed it came from. Events are kept `retention` long (`prune`); a cursor from before the last
pruned event has missed some, and is refused with SYNC_EXPIRED: the app starts again.

An incremental sync with nothing new is one statement on the event log's primary key (and the
`pruned` row of `event_cursors`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    CompoundSelect,
    Integer,
    String,
    bindparam,
    delete,
    func,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from models import Author, ContentEvent, EventCursor, Post, Tag
from resolvers import signing
from resolvers.accounts import Viewer
from resolvers.context import Context
from resolvers.errors import BadUserInput, QuireError
from resolvers.pagination import fingerprint
from resolvers.permissions import is_manager
from resolvers.visibility import may_read_unpublished, readable_posts, tag_is_visible

KINDS = ("post", "author", "tag")
MODELS: dict[str, type[Post] | type[Author] | type[Tag]] = {
    "post": Post,
    "author": Author,
    "tag": Tag,
}
PRUNE_BATCH = 1_000
WINDOW = 10
"""Events an incremental page reads per item asked, at most."""


class SyncExpired(QuireError):
    code = "SYNC_EXPIRED"


@dataclass(frozen=True)
class SyncFilter:
    kinds: tuple[str, ...] = KINDS
    """In listing order."""
    languages: tuple[str, ...] | None = None
    """Posts in these languages only (authors and tags have none)."""


@dataclass(frozen=True)
class Removed:
    """A tombstone: the caller can no longer see this object."""

    kind: str
    id: int


@dataclass(frozen=True)
class SyncPage:
    items: list[Any]
    """Post, Author and Tag rows, and `Removed`."""
    cursor: str
    has_more: bool


@dataclass(frozen=True)
class _Position:
    head: int
    """The event log has been read up to this id (a listing: from its start)."""
    listing: tuple[str, int] | None
    """While listing: the kind and the last id listed."""


async def sync(ctx: Context, *, after: str | None, first: int, filter: SyncFilter) -> SyncPage:
    """One page of the feed for `ctx.viewer`: the listing's next page, or what changed."""
    scope = _scope(ctx.viewer, filter)
    for kind in filter.kinds:  # any change of these changes the answer (resolvers.cache_keys)
        ctx.request.read_keys.listed(kind)
    position = _decode(ctx.secret_key, scope, after) if after is not None else None
    if position is not None and position.listing is None:
        items, position, has_more = await _changes(ctx, position, first, filter)
    else:
        async with ctx.reader() as session:
            if position is None:
                position = _Position(await _head(session), (filter.kinds[0], 0))
            items, position = await _list(session, ctx, position, first, filter)
        has_more = True  # the listing's next page, or the changes made while it ran
    return SyncPage(items, _encode(ctx.secret_key, scope, position), has_more)


async def _head(session: AsyncSession) -> int:
    """The event log's last id (or the last one pruned, when it holds none after it)."""
    last = select(func.max(ContentEvent.id)).scalar_subquery()
    pruned = select(EventCursor.last_event_id).where(EventCursor.name == "pruned")
    found = (await session.execute(select(last, pruned.scalar_subquery()))).one()
    return max(found[0] or 0, found[1] or 0)


async def _list(
    session: AsyncSession, ctx: Context, position: _Position, first: int, filter: SyncFilter
) -> tuple[list[Any], _Position]:
    assert position.listing is not None
    kind, last = position.listing
    items: list[Any] = []
    while True:
        room = first - len(items)
        model = MODELS[kind]
        found: list[Any] = list(
            await session.scalars(
                select(model)
                .where(model.id > last, *_visible(kind, ctx, filter))
                .order_by(model.id)
                .limit(room)
            )
        )
        items += found
        if len(found) == room:
            return items, _Position(position.head, (kind, found[-1].id))
        following = filter.kinds.index(kind) + 1
        if following == len(filter.kinds):
            return items, _Position(position.head, None)
        kind, last = filter.kinds[following], 0


async def _changes(
    ctx: Context, position: _Position, first: int, filter: SyncFilter
) -> tuple[list[Any], _Position, bool]:
    """The objects changed after the head, each once in its latest state, in the order of
    their latest change, from a window of at most WINDOW events per item asked (so a cursor
    far behind costs no more per page than a recent one); one statement when nothing changed."""
    params = {"head": position.head, "window": first * WINDOW}
    rows = sorted(await ctx.rows(_changes_statement(filter.kinds), params))
    if any(kind == "pruned" for _, kind, _ in rows):
        raise SyncExpired(
            "This sync cursor is older than the event log's retention: start a full sync "
            "(without `after`).",
            field="after",
        )
    latest: dict[tuple[str, int], int] = {}
    read_up_to, more = position.head, len(rows) == first * WINDOW
    for event_id, kind, object_id in rows:
        if (kind, object_id) not in latest and len(latest) == first:
            more = True  # the next page starts with this object's event
            break
        latest[(kind, object_id)] = read_up_to = event_id
    if not latest:
        return [], position, False
    changed = sorted(latest, key=latest.__getitem__)
    async with ctx.reader() as session:
        current = {
            kind: await _current(session, ctx, kind, changed, filter) for kind in filter.kinds
        }
    items = [
        current[kind].get(object_id) or Removed(kind, object_id) for kind, object_id in changed
    ]
    return items, _Position(read_up_to, None), more


@lru_cache(maxsize=16)
def _changes_statement(kinds: tuple[str, ...]) -> CompoundSelect[Any]:
    """Built once per set of kinds (run directly where the app has direct reads): rows of
    (id, object type, object id) of a window of events after the bound `head`, of at most the
    bound `window` rows, and a `pruned` row when events after `head` were pruned."""
    head = bindparam("head", type_=Integer())
    window = (
        select(ContentEvent.id, ContentEvent.object_type, ContentEvent.object_id)
        .where(ContentEvent.id > head, ContentEvent.object_type.in_(kinds))
        .order_by(ContentEvent.id)
        .limit(bindparam("window", type_=Integer()))
        .subquery()
    )
    pruned = select(
        EventCursor.last_event_id, literal("pruned", String()), literal(0, Integer())
    ).where(EventCursor.name == "pruned", EventCursor.last_event_id > head)
    return union_all(select(window), pruned)


async def _current(
    session: AsyncSession,
    ctx: Context,
    kind: str,
    changed: Sequence[tuple[str, int]],
    filter: SyncFilter,
) -> dict[int, Any]:
    ids = [object_id for changed_kind, object_id in changed if changed_kind == kind]
    if not ids:
        return {}
    model = MODELS[kind]
    found: list[Any] = list(
        await session.scalars(select(model).where(model.id.in_(ids), *_visible(kind, ctx, filter)))
    )
    return {row.id: row for row in found}


def _visible(kind: str, ctx: Context, filter: SyncFilter) -> list[Any]:
    if kind == "post":
        conditions = [readable_posts(ctx.viewer, ctx.now)]
        if filter.languages is not None:
            conditions.append(Post.language.in_(filter.languages))
        return conditions
    return [tag_is_visible()] if kind == "tag" else []


def _scope(viewer: Viewer | None, filter: SyncFilter) -> str:
    """Whose view (the same as `readable_posts`) and which filters a cursor belongs to."""
    if viewer is None or not may_read_unpublished(viewer):
        audience = "readers"
    elif is_manager(viewer):
        audience = "managers"
    else:
        audience = f"editor:{viewer.editor_id}"
    return fingerprint("sync", audience, filter.kinds, filter.languages)


def _encode(secret_key: str, scope: str, position: _Position) -> str:
    payload = {"s": scope, "h": position.head, "l": position.listing}
    return signing.sign(secret_key, orjson.dumps(payload))


def _decode(secret_key: str, scope: str, cursor: str) -> _Position:
    payload = signing.verify(secret_key, cursor) if len(cursor) <= 1_000 else None
    try:
        found = orjson.loads(payload) if payload is not None else None
    except orjson.JSONDecodeError:
        found = None
    if not isinstance(found, dict) or not isinstance(found.get("h"), int):
        raise BadUserInput("`after` is not a sync cursor.", field="after")
    if found.get("s") != scope:
        raise BadUserInput(
            "`after` belongs to a sync with other filters or another viewer; start a full "
            "sync (without `after`).",
            field="after",
        )
    listing = found.get("l")
    return _Position(found["h"], (listing[0], listing[1]) if listing else None)


async def prune(session: AsyncSession, *, before: datetime) -> int:
    """Forget a batch of the oldest events, those before `before`, and never one the webhooks
    have not fanned out yet; the `pruned` row remembers the highest id forgotten. How many."""
    fanned_out = select(EventCursor.last_event_id).where(EventCursor.name == "webhooks")
    oldest = (
        await session.execute(
            select(ContentEvent.id, ContentEvent.occurred_at)
            .where(ContentEvent.id <= fanned_out.scalar_subquery())
            .order_by(ContentEvent.id)
            .limit(PRUNE_BATCH)
        )
    ).all()
    gone = []
    for event_id, occurred_at in oldest:
        if occurred_at >= before:
            break
        gone.append(event_id)
    if not gone:
        return 0
    marked = await session.execute(
        update(EventCursor)
        .where(EventCursor.name == "pruned", EventCursor.last_event_id < gone[-1])
        .values(last_event_id=gone[-1])
    )
    if not marked.rowcount:  # type: ignore[attr-defined]
        raise RuntimeError("event_cursors has no `pruned` row: run `quire db upgrade`")
    await session.execute(delete(ContentEvent).where(ContentEvent.id <= gone[-1]))
    return len(gone)
