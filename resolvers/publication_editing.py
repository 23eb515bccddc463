"""Writing publications (editors and admins): create, update and delete, with validation and
optimistic versions, and which publication a post belongs to.

A publication's name and logo show beside each of its posts, so changing or deleting it tells
its posts' readers too: they get a new version and a `post.updated` event (`publication`).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import PostPublication, Publication
from resolvers import events, named_editing, relations, validation
from resolvers.accounts import Viewer
from resolvers.errors import Rejected
from resolvers.fields import PUBLICATION
from resolvers.permissions import require_manager

EDITABLE = PUBLICATION.editable()


async def create_publication(
    session: AsyncSession, *, viewer: Viewer, values: dict[str, Any], now: datetime
) -> Publication:
    require_manager(viewer, "create publications")
    validation.reject(validation.problems(values, EDITABLE, creating=True))
    slug = await named_editing.unique_slug(
        session, Publication, values.get("slug"), values["name"], None
    )
    publication = Publication(
        **(values | {"slug": slug}), version=1, created_at=now, updated_at=now
    )
    session.add(publication)
    await session.flush()
    created = events.publication_event("publication.created", publication)
    await events.record(session, [created], now)
    return publication


async def update_publication(
    session: AsyncSession,
    *,
    viewer: Viewer,
    publication_id: int,
    version: int,
    values: dict[str, Any],
    now: datetime,
) -> Publication:
    """Change the columns in `values` (None clears; a None slug is derived from the name)."""
    require_manager(viewer, "change publications")
    publication = await named_editing.load(session, Publication, publication_id)
    values = dict(values)
    validation.reject(validation.problems(values, EDITABLE, creating=False))
    if "slug" in values:
        name = values.get("name", publication.name)
        values["slug"] = await named_editing.unique_slug(
            session, Publication, values["slug"], name, publication.id
        )
    before = {column: getattr(publication, column) for column in values}
    await named_editing.write(session, publication, version, values, now)
    changed = sorted(
        PUBLICATION.name_of(c) for c, value in before.items() if getattr(publication, c) != value
    )
    event = events.publication_event("publication.updated", publication, changed=changed)
    told = await _tell_posts(session, publication.id, now) if changed else []
    await events.record(session, [event, *told], now)
    return publication


async def delete_publication(
    session: AsyncSession, *, viewer: Viewer, publication_id: int, version: int, now: datetime
) -> None:
    """Delete it; its posts stay, with no publication."""
    require_manager(viewer, "delete publications")
    publication = await named_editing.load(session, Publication, publication_id)
    named_editing.check(publication, version)
    told = await _tell_posts(session, publication.id, now)
    deleted = events.publication_event("publication.deleted", publication)
    await named_editing.remove(session, publication, version)
    await events.record(session, [deleted, *told], now)


async def _tell_posts(
    session: AsyncSession, publication_id: int, now: datetime
) -> list[events.Event]:
    posts = select(PostPublication.post_id).where(PostPublication.publication_id == publication_id)
    await relations.touch_posts(session, posts, now)
    return await events.posts_changed_by(session, posts, now, changed=["publication"])


async def set_publication(session: AsyncSession, post_id: int, publication_id: int | None) -> bool:
    """Make `publication_id` (None: none) the post's publication; whether that changed it."""
    current = await session.scalar(
        select(PostPublication.publication_id).where(PostPublication.post_id == post_id)
    )
    if current == publication_id:
        return False
    if publication_id is not None and await session.get(Publication, publication_id) is None:
        raise Rejected("not_found", "There is no publication with this ID.", field="publicationId")
    await session.execute(delete(PostPublication).where(PostPublication.post_id == post_id))
    if publication_id is not None:
        session.add(PostPublication(post_id=post_id, publication_id=publication_id))
        await session.flush()
    return True
