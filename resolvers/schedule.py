"""When the anonymous view of the content changes by itself: scheduled posts going live.

Readers see a scheduled post from its instant on with no job at all (every read compares
`published_at` with its clock). What needs doing at the instant is telling everyone else: `go_live`
marks the posts whose instant has come PUBLISHED and records their `post.published` events, in
one transaction; the conditional UPDATE makes that happen once per post whichever process gets
there first, and late (never lost) when no process ran at the instant.
"""

from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Post, PostStatus
from resolvers import events
from resolvers.visibility import LIVE_STATUSES

GO_LIVE_BATCH = 200


async def next_publication(session: AsyncSession, *, now: datetime) -> datetime | None:
    """The earliest instant after `now` at which a post goes live, or None if none is due.

    Published posts dated in the future count too: they are hidden until then, like scheduled
    ones (see `visibility.post_is_visible`)."""
    instant: datetime | None = await session.scalar(
        select(func.min(Post.published_at)).where(
            Post.status.in_(LIVE_STATUSES), Post.published_at > now
        )
    )
    return instant


async def go_live(session: AsyncSession, *, now: datetime, since: datetime | None = None) -> int:
    """Mark the scheduled posts whose instant has come (after `since`, when given: the range
    walks the publish-date index) PUBLISHED, updated at their instant (when readers started to
    see them), each with its `post.published` event dated at its instant; how many there
    were."""
    conditions = [Post.status == PostStatus.SCHEDULED, Post.published_at <= now]
    if since is not None:
        conditions.append(Post.published_at > since)
    # A read first: on SQLite an UPDATE takes the database's write lock even when nothing
    # matches, and this runs every second. At most a batch per transaction (a catch-up after
    # downtime may find thousands): the caller calls again while it returns a full batch.
    due = list(
        await session.scalars(
            select(Post.id).where(*conditions).order_by(Post.published_at).limit(GO_LIVE_BATCH)
        )
    )
    if not due:
        return 0
    went_live = list(
        await session.scalars(
            update(Post)
            .where(Post.id.in_(due), *conditions)
            .values(
                status=PostStatus.PUBLISHED,
                # when readers started to see it, unless an edit since is later
                updated_at=case(
                    (Post.updated_at > Post.published_at, Post.updated_at),
                    else_=Post.published_at,
                ),
            )
            .returning(Post.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not went_live:
        return 0
    posts = (
        await session.execute(
            select(*events.EVENT_COLUMNS, Post.translation_group)
            .where(Post.id.in_(went_live))
            .order_by(Post.published_at, Post.id)
        )
    ).all()
    recorded = []
    for post in posts:
        event = events.post_event(
            "post.published", post, now, changed=["status"], was_visible=False
        )
        recorded.append(event.at(post.published_at))
    recorded += await events.translations_changed_by(session, posts, now)
    await events.record(session, recorded, now)
    return len(due)
