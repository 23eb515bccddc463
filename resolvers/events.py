"""Content events: written by every change a reader or an editor can see, in the same transaction
as the change (no event without its change, no change without its event).

An event names its object (type and id) and carries what a receiver needs to refresh it without
asking again: slug (and the previous one), language, the changed fields in GraphQL names,
whether readers can see it now, and the cache keys to purge (the keys responses carry in their
`Surrogate-Key` header: `post:12`, `tag:3`, `author:5`, and `posts`, `tags`, `authors` for
every list of them).

Sequence numbers: events are inserted last in their transaction, under a transaction-wide lock
on PostgreSQL (SQLite writes one transaction at a time anyway), so ids grow in commit order and
a consumer that has read up to id N has seen everything up to N.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, Select, String, insert, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import func

from models import Author, ContentEvent, Post, PostStatus, Tag, TagVisibility
from models.base import UTCDateTime
from resolvers import cache_keys, post_counts, search
from resolvers.visibility import effective_status

EVENTS_LOCK = 7_424_313_131  # pg_advisory_xact_lock key: "the event log's next id"

POST_TYPES = (
    "post.created",
    "post.updated",
    "post.published",
    "post.scheduled",
    "post.unpublished",
    "post.deleted",
    "post.slug_changed",
    "post.translation_linked",
    "post.translation_unlinked",
)
TAG_TYPES = ("tag.created", "tag.updated", "tag.deleted", "tag.merged")
AUTHOR_TYPES = ("author.created", "author.updated", "author.deleted", "author.reassigned")
PUBLICATION_TYPES = ("publication.created", "publication.updated", "publication.deleted")
SITE_TYPES = ("site.updated",)
EVENT_TYPES = (*POST_TYPES, *TAG_TYPES, *AUTHOR_TYPES, *PUBLICATION_TYPES, *SITE_TYPES)


@dataclass(frozen=True)
class Event:
    type: str
    object_type: str
    object_id: int
    data: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None
    """When it happened, if not when it is recorded (a scheduled post's instant)."""

    def at(self, moment: datetime | None) -> "Event":
        return replace(self, occurred_at=moment)


def post_is_live(post: Any, now: datetime) -> bool:
    """Whether readers see the post (a row with its status and publish date) at `now`."""
    return effective_status(post.status, post.published_at, now) is PostStatus.PUBLISHED


def tag_is_public(tag: Any) -> bool:
    return bool(tag.visibility == TagVisibility.PUBLIC)


GONE = (".deleted", ".merged")
"""Events after which the object no longer exists: readers cannot see it, whatever it was."""


def _visibility(type: str, visible: bool, was_visible: bool | None) -> dict[str, bool]:
    """`visible` now and `wasVisible` before; by default the object was as it is (an event
    made before a delete sees the object as readers last saw it)."""
    before = visible if was_visible is None else was_visible
    return {"visible": visible and not type.endswith(GONE), "wasVisible": before}


def post_event(
    type: str,
    post: Any,
    now: datetime,
    *,
    changed: Sequence[str] = (),
    previous_slug: str | None = None,
    was_visible: bool | None = None,
) -> Event:
    return Event(
        type,
        "post",
        post.id,
        {
            "slug": post.slug,
            "previousSlug": previous_slug,
            "language": post.language,
            "changedFields": list(changed),
            **_visibility(type, post_is_live(post, now), was_visible),
            "cacheKeys": cache_keys.of_change("post", post.id),
        },
    )


def tag_event(
    type: str,
    tag: Tag,
    *,
    changed: Sequence[str] = (),
    was_visible: bool | None = None,
    **extra: Any,
) -> Event:
    return Event(
        type,
        "tag",
        tag.id,
        {
            "slug": tag.slug,
            "changedFields": list(changed),
            **_visibility(type, tag_is_public(tag), was_visible),
            "cacheKeys": cache_keys.of_change("tag", tag.id),
            **extra,
        },
    )


def author_event(type: str, author: Author, *, changed: Sequence[str] = (), **extra: Any) -> Event:
    return Event(
        type,
        "author",
        author.id,
        {
            "slug": author.slug,
            "changedFields": list(changed),
            **_visibility(type, True, None),
            "cacheKeys": cache_keys.of_change("author", author.id),
            **extra,
        },
    )


def publication_event(type: str, publication: Any, *, changed: Sequence[str] = ()) -> Event:
    return Event(
        type,
        "publication",
        publication.id,
        {
            "slug": publication.slug,
            "changedFields": list(changed),
            **_visibility(type, True, None),
            "cacheKeys": cache_keys.of_change("publication", publication.id),
        },
    )


async def posts_changed_by(
    session: AsyncSession, post_ids: Select[int], now: datetime, *, changed: Sequence[str]
) -> list[Event]:
    """`post.updated` for each post (of the ids `post_ids` selects) whose bylines or tags an
    author or tag write changes: one statement, of the columns an event reads."""
    posts = await session.execute(
        select(*EVENT_COLUMNS).where(Post.id.in_(post_ids)).order_by(Post.id)
    )
    return [post_event("post.updated", post, now, changed=changed) for post in posts]


async def translations_changed_by(
    session: AsyncSession, posts: Sequence[Any], now: datetime
) -> list[Event]:
    """`post.updated` (`translations`) for the other posts of the translation groups of
    `posts`, whose visibility to readers just changed: a post's translations are the live
    posts of its group. No statement when none of them is in a group."""
    groups = {post.translation_group for post in posts if post.translation_group is not None}
    if not groups:
        return []
    changed = [post.id for post in posts]
    members = await session.execute(
        select(*EVENT_COLUMNS)
        .where(Post.translation_group.in_(sorted(groups)), Post.id.not_in(changed))
        .order_by(Post.id)
    )
    return [post_event("post.updated", m, now, changed=["translations"]) for m in members]


EVENT_COLUMNS = (Post.id, Post.slug, Post.language, Post.status, Post.published_at)
"""What a post's event is made of."""
BATCH = 200
"""Events per INSERT (SQLite allows 500 terms in a compound SELECT)."""


def purged(session: AsyncSession) -> set[str]:
    """The cache keys of the events `session` recorded: what its commit makes stale."""
    keys: set[str] = session.info.setdefault(PURGED, set())
    return keys


PURGED = "quire.purged_cache_keys"
RECORDED = "quire.recorded_event_ids"


def recorded_span(session: AsyncSession) -> tuple[int, int] | None:
    """The first and last ids of the events `session` recorded (one transaction's events have
    consecutive ids: see the module's docstring), or None when it recorded none."""
    ids: list[int] = session.info.get(RECORDED, [])
    return (min(ids), max(ids)) if ids else None


async def record(session: AsyncSession, events: Sequence[Event], now: datetime) -> None:
    """Insert `events` in one statement; call it last in the transaction (see the module's
    docstring on sequence numbers). Their cache keys are kept on the session (`purged`)."""
    if not events:
        return
    await search.follow_events(session, events)  # the full-text index, in the same transaction
    purged(session).update(key for event in events for key in event.data["cacheKeys"])
    rows = [
        select(
            literal(event.type, String()).label("type"),
            literal(event.object_type, String()).label("object_type"),
            literal(event.object_id, Integer()).label("object_id"),
            literal(event.occurred_at or now, UTCDateTime()).label("occurred_at"),
            literal(event.data, JSON()).label("data"),
        )
        for event in events
    ]
    if session.get_bind().dialect.name == "postgresql":
        # Taken in the statement itself: the lock adds no round trip.
        lock = func.pg_advisory_xact_lock(EVENTS_LOCK).is_not(None)
        rows = [row.where(lock) for row in rows]
    columns = ["type", "object_type", "object_id", "occurred_at", "data"]
    recorded = session.info.setdefault(RECORDED, [])
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        source = batch[0] if len(batch) == 1 else union_all(*batch)
        inserted = insert(ContentEvent).from_select(columns, source).returning(ContentEvent.id)
        recorded.extend((await session.execute(inserted)).scalars())
    # After the insert: on PostgreSQL under its lock, so concurrent writers update the shared
    # count rows one after the other (resolvers.post_counts).
    await post_counts.follow_events(session, events)
