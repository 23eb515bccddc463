"""Writing tags: create, update, delete and merge two, with permissions, validation, optimistic
versions and idempotent creates.

Authors, editors and admins create tags; only editors and admins change, delete or merge them.
Every function runs inside the caller's transaction and raises `Rejected` when the editor has
something to fix; the caller's rollback undoes any part already written.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import EditorRole, PostTag, Tag, TagVisibility
from resolvers import events, idempotency, named_editing, relations, validation
from resolvers.accounts import Viewer
from resolvers.errors import Rejected
from resolvers.fields import TAG
from resolvers.permissions import require_manager

EDITABLE = TAG.editable()


async def create_tag(
    session: AsyncSession,
    *,
    viewer: Viewer,
    values: dict[str, Any],
    now: datetime,
    idempotency_key: str | None = None,
) -> Tag:
    """A new tag, public unless `values` says otherwise; the slug comes from the name unless
    given. Names are unique regardless of case, as posts name their tags."""
    if viewer.role is EditorRole.CONTRIBUTOR:
        raise Rejected("forbidden", "Contributors may not create tags.")
    earlier = await idempotency.earlier_result(
        session, viewer=viewer, operation="createTag", key=idempotency_key
    )
    if earlier is not None and (tag := await session.get(Tag, earlier)) is not None:
        return tag
    values = {"visibility": TagVisibility.PUBLIC, **values}
    validation.reject(validation.problems(values, EDITABLE, creating=True))
    await _check_name_free(session, values["name"], None)
    slug = await named_editing.unique_slug(session, Tag, values.get("slug"), values["name"], None)
    tag = Tag(**(values | {"slug": slug}), version=1, created_at=now, updated_at=now)
    session.add(tag)
    await session.flush()
    idempotency.remember(
        session, viewer=viewer, operation="createTag", key=idempotency_key, result_id=tag.id
    )
    await events.record(session, [events.tag_event("tag.created", tag)], now)
    return tag


async def update_tag(
    session: AsyncSession,
    *,
    viewer: Viewer,
    tag_id: int,
    version: int,
    values: dict[str, Any],
    now: datetime,
) -> Tag:
    """Change the columns in `values` (None clears; a None slug is derived from the name)."""
    require_manager(viewer, "change tags")
    tag = await named_editing.load(session, Tag, tag_id)
    values = dict(values)
    validation.reject(validation.problems(values, EDITABLE, creating=False))
    if "name" in values:
        await _check_name_free(session, values["name"], tag.id)
    if "slug" in values:
        name = values.get("name", tag.name)
        values["slug"] = await named_editing.unique_slug(session, Tag, values["slug"], name, tag.id)
    before, was_visible = (
        {column: getattr(tag, column) for column in values},
        events.tag_is_public(tag),
    )
    await named_editing.write(session, tag, version, values, now)
    changed = sorted(TAG.name_of(c) for c, value in before.items() if getattr(tag, c) != value)
    event = events.tag_event("tag.updated", tag, changed=changed, was_visible=was_visible)
    recorded: list[events.Event] = []
    if events.tag_is_public(tag) != was_visible:  # its posts' public tags change
        tagged = relations.related_posts(PostTag, tag.id)
        await relations.touch_posts(session, tagged, now)
        recorded = await events.posts_changed_by(session, tagged, now, changed=["tags"])
    await events.record(session, [event, *recorded], now)
    return tag


async def delete_tag(
    session: AsyncSession, *, viewer: Viewer, tag_id: int, version: int, now: datetime
) -> None:
    """Delete the tag; the foreign key's ON DELETE CASCADE removes it from every post, and each
    of those posts gets a new version."""
    require_manager(viewer, "delete tags")
    tag = await named_editing.load(session, Tag, tag_id)
    named_editing.check(tag, version)
    tagged = relations.related_posts(PostTag, tag.id)
    await relations.touch_posts(session, tagged, now)
    recorded = await events.posts_changed_by(session, tagged, now, changed=["tags"])
    deleted = events.tag_event("tag.deleted", tag)  # as readers last saw it
    await named_editing.remove(session, tag, version)
    await events.record(session, [deleted, *recorded], now)


async def merge_tags(
    session: AsyncSession,
    *,
    viewer: Viewer,
    source_id: int,
    source_version: int,
    target_id: int,
    target_version: int,
    now: datetime,
) -> Tag:
    """Fold the source into the target: every post with the source gets the target in its
    place (once), the source is deleted and the target gets a new version."""
    require_manager(viewer, "merge tags")
    if source_id == target_id:
        raise Rejected("invalid", "A tag cannot be merged into itself.", field="targetId")
    source = await named_editing.load(session, Tag, source_id, field="sourceId")
    target = await named_editing.load(session, Tag, target_id, field="targetId")
    named_editing.check(source, source_version, field="sourceVersion")
    named_editing.check(target, target_version, field="targetVersion")
    tagged = relations.related_posts(PostTag, source.id)
    await relations.touch_posts(session, tagged, now)
    recorded = await events.posts_changed_by(session, tagged, now, changed=["tags"])
    await relations.move_relations(session, PostTag, source.id, target.id)
    merged = events.tag_event("tag.merged", source, mergedInto=target.id)
    await named_editing.remove(session, source, source_version, field="sourceVersion")
    await named_editing.write(session, target, target_version, {}, now, field="targetVersion")
    grown = events.tag_event("tag.updated", target, mergedFrom=source.id)  # a new version
    await events.record(session, [merged, grown, *recorded], now)
    return target


async def _check_name_free(session: AsyncSession, name: str, tag_id: int | None) -> None:
    same_name = select(Tag.id).where(func.lower(Tag.name) == name.lower())
    if tag_id is not None:
        same_name = same_name.where(Tag.id != tag_id)
    if await session.scalar(same_name) is not None:
        raise Rejected("invalid", f"There is already a tag named {name!r}.", field="name")
