"""Posts' ordered links to authors and tags, as author and tag mutations rewrite them.

A post whose links change is written: its version and `updated_at` move on, so an editor
holding the old version gets CONFLICT instead of silently putting the old links back.
"""

from datetime import datetime

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from models import Post, PostAuthor, PostTag

Link = type[PostAuthor] | type[PostTag]


def linked_posts(link: Link, owner_id: int) -> Select[int]:
    """The ids of the posts linked to one author (`PostAuthor`) or tag (`PostTag`)."""
    return select(link.post_id).where(_owner(link) == owner_id)


async def touch_posts(session: AsyncSession, post_ids: Select[int], now: datetime) -> None:
    """Bump the version and `updated_at` of these posts, in one statement."""
    await session.execute(
        update(Post)
        .where(Post.id.in_(post_ids))
        .values(version=Post.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def move_links(session: AsyncSession, link: Link, source_id: int, target_id: int) -> None:
    """Give every post linked to `source_id` the target at the source's position or, when the
    post already links to the target, drop the source's link and keep the target's."""
    owner = _owner(link)
    await session.execute(
        delete(link)
        .where(owner == source_id, link.post_id.in_(linked_posts(link, target_id)))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(link)
        .where(owner == source_id)
        .values({owner: target_id})
        .execution_options(synchronize_session=False)
    )


def _owner(link: Link) -> InstrumentedAttribute[int]:
    return PostAuthor.author_id if link is PostAuthor else PostTag.tag_id
