"""Posts' relations to authors and tags (ordered rows of post_authors and post_tags), as
author and tag mutations rewrite them.

A post whose relations change is written: its version and `updated_at` move on, so an editor
holding the old version gets CONFLICT instead of silently putting the old relations back.
"""

from datetime import datetime

from sqlalchemy import Select, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from models import Post, PostAuthor, PostTag

Relation = type[PostAuthor] | type[PostTag]


def related_posts(relation: Relation, owner_id: int) -> Select[int]:
    """The ids of the posts linked to one author (`PostAuthor`) or tag (`PostTag`)."""
    return select(relation.post_id).where(_owner(relation) == owner_id)


async def touch_posts(session: AsyncSession, post_ids: Select[int], now: datetime) -> None:
    """Bump the version and `updated_at` of these posts, in one statement."""
    await session.execute(
        update(Post)
        .where(Post.id.in_(post_ids))
        .values(version=Post.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def move_relations(
    session: AsyncSession, relation: Relation, source_id: int, target_id: int
) -> None:
    """Give every post related to `source_id` the target at the source's position or, when the
    post is already related to the target, drop the source's relation and keep the target's."""
    owner = _owner(relation)
    await session.execute(
        delete(relation)
        .where(owner == source_id, relation.post_id.in_(related_posts(relation, target_id)))
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(relation)
        .where(owner == source_id)
        .values({owner: target_id})
        .execution_options(synchronize_session=False)
    )


def _owner(relation: Relation) -> InstrumentedAttribute[int]:
    return PostAuthor.author_id if relation is PostAuthor else PostTag.tag_id
