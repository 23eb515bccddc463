"""Writing authors: create, update and delete (handing their posts to another author), with
permissions, validation, optimistic versions and idempotent creates.

Only editors and admins change authors. Every function runs inside the caller's transaction
and raises `Rejected` when the editor has something to fix; the caller's rollback undoes any
part already written.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import Author, PostAuthor
from resolvers import events, idempotency, named_editing, relations, validation
from resolvers.accounts import Viewer
from resolvers.errors import Rejected
from resolvers.fields import AUTHOR
from resolvers.permissions import require_manager

EDITABLE = AUTHOR.editable()


async def create_author(
    session: AsyncSession,
    *,
    viewer: Viewer,
    values: dict[str, Any],
    now: datetime,
    idempotency_key: str | None = None,
) -> Author:
    """A new author profile; `values` maps columns to values, the slug comes from the name
    unless given."""
    require_manager(viewer, "create authors")
    earlier = await idempotency.earlier_result(
        session, viewer=viewer, operation="createAuthor", key=idempotency_key
    )
    if earlier is not None and (author := await session.get(Author, earlier)) is not None:
        return author
    validation.reject(validation.problems(values, EDITABLE, creating=True))
    slug = await named_editing.unique_slug(
        session, Author, values.get("slug"), values["name"], None
    )
    author = Author(**(values | {"slug": slug}), version=1, created_at=now, updated_at=now)
    session.add(author)
    await session.flush()
    idempotency.remember(
        session, viewer=viewer, operation="createAuthor", key=idempotency_key, result_id=author.id
    )
    await events.record(session, [events.author_event("author.created", author)], now)
    return author


async def update_author(
    session: AsyncSession,
    *,
    viewer: Viewer,
    author_id: int,
    version: int,
    values: dict[str, Any],
    now: datetime,
) -> Author:
    """Change the columns in `values` (None clears; a None slug is derived from the name)."""
    require_manager(viewer, "change authors")
    author = await named_editing.load(session, Author, author_id)
    values = dict(values)
    validation.reject(validation.problems(values, EDITABLE, creating=False))
    if "slug" in values:
        name = values.get("name", author.name)
        values["slug"] = await named_editing.unique_slug(
            session, Author, values["slug"], name, author.id
        )
    before = {column: getattr(author, column) for column in values}
    await named_editing.write(session, author, version, values, now)
    changed = sorted(
        AUTHOR.name_of(c) for c, value in before.items() if getattr(author, c) != value
    )
    await events.record(
        session, [events.author_event("author.updated", author, changed=changed)], now
    )
    return author


async def delete_author(
    session: AsyncSession,
    *,
    viewer: Viewer,
    author_id: int,
    version: int,
    reassign_to: int | None,
    now: datetime,
) -> None:
    """Delete an author. Their posts, of any status, need another author: `reassign_to` takes
    their place in each byline (or is simply kept where it is already). Accounts linked to the
    author lose the link (the foreign key sets it to NULL)."""
    require_manager(viewer, "delete authors")
    author = await named_editing.load(session, Author, author_id)
    named_editing.check(author, version)
    recorded: list[events.Event] = []
    if reassign_to is not None:
        recorded = await _reassign(session, author, reassign_to, now)
    elif await session.scalar(relations.related_posts(PostAuthor, author.id).limit(1)) is not None:
        raise Rejected(
            "invalid",
            "This author still has posts; name another author to take them over.",
            field="reassignTo",
        )
    deleted = events.author_event("author.deleted", author, reassignedTo=reassign_to)
    await named_editing.remove(session, author, version)
    await events.record(session, [deleted, *recorded], now)


async def _reassign(
    session: AsyncSession, author: Author, target_id: int, now: datetime
) -> list[events.Event]:
    """Hand the author's posts to the target; the events of the posts it changes."""
    if target_id == author.id:
        raise Rejected(
            "invalid", "Posts cannot be handed to the author being deleted.", field="reassignTo"
        )
    target = await named_editing.load(session, Author, target_id, field="reassignTo")
    bylined = relations.related_posts(PostAuthor, author.id)
    await relations.touch_posts(session, bylined, now)
    recorded = await events.posts_changed_by(session, bylined, now, changed=["authors"])
    await relations.move_relations(session, PostAuthor, author.id, target.id)
    reassigned = events.author_event("author.reassigned", author, reassignedTo=target.id)
    return [reassigned, *recorded]
