"""When the anonymous view of the content next changes by itself: the next post going live."""

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Post
from resolvers.visibility import LIVE_STATUSES


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
