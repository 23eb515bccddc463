"""Post revisions: a post's history, newest first, for the editors who may change the post, and
restoring an old text as a new write.

Revisions hold the text of drafts and of edits never published, so reading them takes the same
permission as editing the post.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Post, PostRevision
from resolvers.accounts import Viewer
from resolvers.context import Context
from resolvers.errors import Forbidden, Rejected
from resolvers.pagination import (
    CursorCodec,
    Ordering,
    Page,
    PageRequest,
    count_rows,
    fetch_page,
    fingerprint,
)
from resolvers.post_editing import PostChanges, changed_fields, check_may_edit, update_post

NEWEST_FIRST = Ordering("version", PostRevision.version, PostRevision.id, "int", descending=True)


@dataclass(frozen=True)
class RevisionEntry:
    """A revision and the fields its write changed compared with the revision before it."""

    revision: PostRevision
    changed_fields: tuple[str, ...]


def revision_codec(ctx: Context, post_id: int) -> CursorCodec:
    return CursorCodec(ctx.secret_key, fingerprint(("revisions", post_id)))


async def check_may_read(ctx: Context, *, post_id: int) -> None:
    """Raise FORBIDDEN unless the viewer may edit the post (anonymous readers never may)."""
    if ctx.viewer is None:
        raise Forbidden("Only editors who may change this post can read its revisions.")
    async with ctx.reader() as session:
        post = await session.get(Post, post_id)
    if post is None:
        raise Forbidden("Only editors who may change this post can read its revisions.")
    try:
        check_may_edit(ctx.viewer, post)
    except Rejected as rejected:
        raise Forbidden(rejected.errors[0][2]) from None


async def list_revisions(ctx: Context, *, post_id: int, page: PageRequest) -> Page[RevisionEntry]:
    """One page of the post's revisions, newest first, each with its changed fields: the page
    itself, plus one statement for the revision just before the page's oldest."""
    async with ctx.reader() as session:
        found = await fetch_page(
            session,
            select(PostRevision).where(PostRevision.post_id == post_id),
            ordering=NEWEST_FIRST,
            request=page,
            codec=revision_codec(ctx, post_id),
            row_id=lambda revision: revision.id,
        )
        revisions: list[PostRevision] = found.items
        oldest = await _previous_fields(session, revisions[-1]) if revisions else None
    previous = [revision.fields for revision in revisions[1:]] + [oldest]
    entries = [
        RevisionEntry(revision, changed_fields(before, revision.fields))
        for revision, before in zip(revisions, previous, strict=True)
    ]
    return replace(found, items=entries)


async def count_revisions(ctx: Context, *, post_id: int) -> int:
    async with ctx.reader() as session:
        return await count_rows(
            session, select(PostRevision.id).where(PostRevision.post_id == post_id)
        )


async def restore_revision(
    session: AsyncSession, *, viewer: Viewer, revision_id: int, version: int, now: datetime
) -> Post:
    """Write the revision's title, excerpt and body back as a new version (with its own
    revision); everything else about the post stays as it is now."""
    revision = await session.get(PostRevision, revision_id)
    if revision is None:
        raise Rejected("not_found", "There is no revision with this ID.", field="revisionId")
    post = await session.get(Post, revision.post_id)
    assert post is not None  # revisions are deleted with their post
    try:
        check_may_edit(viewer, post)
    except Rejected as rejected:
        raise Rejected("forbidden", rejected.errors[0][2], field="revisionId") from None
    text = {"title": revision.title, "excerpt": revision.excerpt, "body": revision.body}
    return await update_post(
        session,
        viewer=viewer,
        post_id=post.id,
        version=version,
        changes=PostChanges(values=text),
        now=now,
    )


async def _previous_fields(session: AsyncSession, revision: PostRevision) -> dict[str, Any] | None:
    fields: dict[str, Any] | None = await session.scalar(
        select(PostRevision.fields)
        .where(PostRevision.post_id == revision.post_id, PostRevision.version < revision.version)
        .order_by(PostRevision.version.desc())
        .limit(1)
    )
    return fields
