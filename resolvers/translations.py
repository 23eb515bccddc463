"""Linking posts that are translations of each other.

Posts in the same translation group are versions of one article in different languages, at most
one per language. Linking and unlinking are writes of the post being moved: they need permission
to edit it, its current version, and they leave a revision. The post it is linked to only has to
exist: its text does not change, and an author translating a colleague's post must be able to
link the translation.
"""

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Post
from resolvers import events
from resolvers.accounts import Viewer
from resolvers.errors import Rejected
from resolvers.post_editing import PostChanges, check_may_edit, update_post


async def link_translation(
    session: AsyncSession,
    *,
    viewer: Viewer,
    post_id: int,
    version: int,
    translation_of: int,
    now: datetime,
) -> Post:
    """Put the post into the translation group of `translation_of`, leaving any group it was in.

    A post without a group gets a new one (a random UUID rather than its id, so a group that
    lost its first post is never merged into a new one by accident)."""
    post = await _editable(session, viewer, post_id)
    other = await session.get(Post, translation_of)
    if other is None:
        raise Rejected("not_found", "There is no post with this ID.", field="translationOf")
    if other.id == post.id:
        raise Rejected("invalid", "A post cannot be its own translation.", field="translationOf")
    if other.translation_group is not None and other.translation_group == post.translation_group:
        raise Rejected("invalid", "The posts are already linked.", field="translationOf")
    if await _language_taken(session, post, other):
        raise Rejected(
            "invalid",
            f"That post's translations already have a post in {post.language!r}.",
            field="translationOf",
        )
    group = other.translation_group or str(uuid.uuid4())
    if other.translation_group is None:
        # Only the link label changes on the other post, not its content: no new version.
        # Written before the post's own write, which records the events last.
        await session.execute(
            update(Post)
            .where(Post.id == other.id)
            .values(translation_group=group)
            .execution_options(synchronize_session=False)
        )
    return await update_post(
        session,
        viewer=viewer,
        post_id=post.id,
        version=version,
        changes=PostChanges(values={"translation_group": group}),
        now=now,
        event="post.translation_linked",
        also=await _group_changed(session, group, post.id, now),
    )


async def unlink_translation(
    session: AsyncSession, *, viewer: Viewer, post_id: int, version: int, now: datetime
) -> Post:
    """Take the post out of its translation group; the other posts stay linked together."""
    post = await _editable(session, viewer, post_id)
    if post.translation_group is None:
        raise Rejected("invalid", "This post is not linked to any translation.", field="id")
    return await update_post(
        session,
        viewer=viewer,
        post_id=post.id,
        version=version,
        changes=PostChanges(values={"translation_group": None}),
        now=now,
        event="post.translation_unlinked",
        also=await _group_changed(session, post.translation_group, post.id, now),
    )


async def _group_changed(
    session: AsyncSession, group: str, moved_id: int, now: datetime
) -> list[events.Event]:
    """`post.updated` (`translations`) for the other posts of a group a post joins or leaves:
    their list of translations changes."""
    members = await session.execute(
        select(*events.EVENT_COLUMNS)
        .where(Post.translation_group == group, Post.id != moved_id)
        .order_by(Post.id)
    )
    return [events.post_event("post.updated", m, now, changed=["translations"]) for m in members]


async def _editable(session: AsyncSession, viewer: Viewer, post_id: int) -> Post:
    post = await session.get(Post, post_id)
    if post is None:
        raise Rejected("not_found", "There is no post with this ID.", field="id")
    check_may_edit(viewer, post)
    return post


async def _language_taken(session: AsyncSession, post: Post, other: Post) -> bool:
    """Whether `other` or a post of its group (apart from `post`) is in `post`'s language."""
    members = (
        Post.id == other.id
        if other.translation_group is None
        else Post.translation_group == other.translation_group
    )
    taken = await session.scalar(
        select(Post.id)
        .where(members, Post.id != post.id, func.lower(Post.language) == post.language.lower())
        .limit(1)
    )
    return taken is not None
