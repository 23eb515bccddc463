"""Writing posts: create, update, publish, unpublish and delete, with permissions, validation,
optimistic versions, revisions, slug history and idempotent creates.

Every function runs inside the caller's transaction and raises `Rejected` before writing
anything the caller would have to undo; the caller's rollback covers the rest.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Author,
    EditorRole,
    Post,
    PostAuthor,
    PostLevel,
    PostRevision,
    PostSlug,
    PostStatus,
    PostTag,
    Tag,
)
from resolvers import events, idempotency, named_editing, publication_editing, validation
from resolvers.accounts import Viewer
from resolvers.content import RenderedBody, prose, render_body
from resolvers.errors import Rejected
from resolvers.fields import POST
from resolvers.permissions import is_manager

EDITABLE = POST.editable()
EXCERPT_LENGTH = 300


MAX_RELATIONS = 50
"""Authors, tags by id and tags by name a write may send (each)."""


@dataclass
class PostChanges:
    """What a create or update sends: only the keys present in `values` change; None clears."""

    values: dict[str, Any] = field(default_factory=dict)
    author_ids: list[int] | None = None
    tag_ids: list[int] | None = None
    tag_names: list[str] | None = None
    publication: tuple[int | None] | None = None
    """(the publication's id, or None for none) to set it; None leaves it."""


def _owns(viewer: Viewer, post: Post) -> bool:
    return viewer.editor_id is not None and post.owner_id == viewer.editor_id


def check_may_edit(viewer: Viewer, post: Post) -> None:
    if is_manager(viewer):
        return
    if not _owns(viewer, post):
        raise Rejected("forbidden", "You may only change your own posts.", field="id")
    if viewer.role is EditorRole.CONTRIBUTOR and post.status is not PostStatus.DRAFT:
        raise Rejected("forbidden", "Contributors may only change drafts.", field="id")


def check_may_publish(viewer: Viewer, post: Post) -> None:
    if viewer.role is EditorRole.CONTRIBUTOR:
        raise Rejected("forbidden", "Contributors may not publish; ask an editor.", field="id")
    check_may_edit(viewer, post)


async def create_post(
    session: AsyncSession,
    *,
    viewer: Viewer,
    changes: PostChanges,
    now: datetime,
    idempotency_key: str | None = None,
) -> Post:
    earlier = await idempotency.earlier_result(
        session, viewer=viewer, operation="createPost", key=idempotency_key
    )
    if earlier is not None and (post := await session.get(Post, earlier)) is not None:
        return post
    values = {"featured": False, "language": "en", "body": "", **changes.values}
    _validate(values, creating=True)
    values["slug"] = await _unique_slug(session, values.get("slug"), values["title"], None)
    values.setdefault("excerpt", None)
    if values["excerpt"] is None:
        values["excerpt"] = default_excerpt(values["body"])
    post = Post(
        **values,
        **rendered(values["body"]),
        status=PostStatus.DRAFT,
        owner_id=viewer.editor_id,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(post)
    await session.flush()
    author_ids = changes.author_ids
    if author_ids is None:
        author_ids = [viewer.author_id] if viewer.author_id is not None else []
    relations = await _set_relations(
        session, viewer, post.id, author_ids, changes.tag_ids, changes.tag_names
    )
    if changes.publication is not None:
        await publication_editing.set_publication(session, post.id, *changes.publication)
    await _record_revision(session, post, viewer, now)
    idempotency.remember(
        session, viewer=viewer, operation="createPost", key=idempotency_key, result_id=post.id
    )
    created = events.post_event("post.created", post, now)
    await events.record(session, [*relations.tag_events(), created], now)
    return post


async def update_post(
    session: AsyncSession,
    *,
    viewer: Viewer,
    post_id: int,
    version: int,
    changes: PostChanges,
    now: datetime,
    event: str = "post.updated",
    also: Sequence[events.Event] = (),
) -> Post:
    """Change the fields `changes` names; `event` is the type of the event it records (a
    translation link is a write of the post, told as such), with `also` (the events of other
    posts the same write changes)."""
    post = await _load(session, post_id)
    check_may_edit(viewer, post)
    before, was_visible, old_slug = snapshot(post), events.post_is_live(post, now), post.slug
    values = dict(changes.values)
    _validate(values, creating=False)
    if "slug" in values and values["slug"] != post.slug:
        values["slug"] = await _unique_slug(session, values["slug"], post.title, post.id)
        await _remember_slug(session, post, values["slug"])
    if "body" in values:
        values.update(rendered(values["body"]))
        if "excerpt" not in values and post.excerpt == default_excerpt(post.body):
            values["excerpt"] = default_excerpt(values["body"])
    if "excerpt" in values and values["excerpt"] is None:
        values["excerpt"] = default_excerpt(values.get("body", post.body))
    await _write(session, post, version, values, now)
    changed = set(changed_fields(before, snapshot(post)))
    if "translation_group" in values:
        changed.add("translations")
    recorded: list[events.Event] = []
    if changes.author_ids is not None or changes.tag_ids is not None or changes.tag_names:
        relations = await _set_relations(
            session, viewer, post.id, changes.author_ids, changes.tag_ids, changes.tag_names
        )
        changed |= relations.changed
        recorded += relations.tag_events()
    publication = changes.publication
    if publication and await publication_editing.set_publication(session, post.id, *publication):
        changed.add("publication")
    await _record_revision(session, post, viewer, now)
    recorded.append(
        events.post_event(event, post, now, changed=sorted(changed), was_visible=was_visible)
    )
    if post.slug != old_slug:
        recorded.append(
            events.post_event(
                "post.slug_changed", post, now, changed=["slug"], previous_slug=old_slug
            )
        )
    await events.record(session, [*recorded, *also], now)
    return post


async def publish_post(
    session: AsyncSession,
    *,
    viewer: Viewer,
    post_id: int,
    version: int,
    at: datetime | None,
    now: datetime,
) -> Post:
    """Publish now, or schedule for `at`: readers see it from that instant, no job needed. A
    post published before keeps its first publication date unless `at` is given."""
    post = await _load(session, post_id)
    check_may_publish(viewer, post)
    before, was_visible = snapshot(post), events.post_is_live(post, now)
    first = post.published_at if post.published_at and post.published_at <= now else None
    when = at or first or now
    if when.tzinfo is None:
        raise Rejected("invalid", "`at` needs a time zone.", field="at")
    status = PostStatus.SCHEDULED if when > now else PostStatus.PUBLISHED
    await _write(session, post, version, {"status": status, "published_at": when}, now)
    await _record_revision(session, post, viewer, now)
    kind = "post.scheduled" if status is PostStatus.SCHEDULED else "post.published"
    changed = changed_fields(before, snapshot(post))
    event = events.post_event(kind, post, now, changed=changed, was_visible=was_visible)
    await events.record(session, [event, *await _group_told(session, post, was_visible, now)], now)
    return post


async def _group_told(
    session: AsyncSession, post: Post, was_visible: bool, now: datetime
) -> list[events.Event]:
    """The events of the post's translations when readers' view of it changed."""
    if events.post_is_live(post, now) == was_visible:
        return []
    return await events.translations_changed_by(session, [post], now)


async def unpublish_post(
    session: AsyncSession, *, viewer: Viewer, post_id: int, version: int, now: datetime
) -> Post:
    """Back to draft; the publication date stays, for a later `publishPost` to keep."""
    post = await _load(session, post_id)
    check_may_publish(viewer, post)
    before, was_visible = snapshot(post), events.post_is_live(post, now)
    await _write(session, post, version, {"status": PostStatus.DRAFT}, now)
    await _record_revision(session, post, viewer, now)
    changed = changed_fields(before, snapshot(post))
    event = events.post_event(
        "post.unpublished", post, now, changed=changed, was_visible=was_visible
    )
    await events.record(session, [event, *await _group_told(session, post, was_visible, now)], now)
    return post


async def delete_post(
    session: AsyncSession, *, viewer: Viewer, post_id: int, version: int, now: datetime
) -> None:
    post = await _load(session, post_id)
    check_may_edit(viewer, post)
    event = events.post_event("post.deleted", post, now)  # as readers last saw it
    told = []  # a live post's translations lose it
    if events.post_is_live(post, now):
        told = await events.translations_changed_by(session, [post], now)
    result = await session.execute(delete(Post).where(Post.id == post_id, Post.version == version))
    if not result.rowcount:  # type: ignore[attr-defined]
        await _conflict(session, post, version)
    await events.record(session, [event, *told], now)


def default_excerpt(body: str) -> str | None:
    """The first sentences of the body's text as readers see it (`content.prose`), up to about
    300 characters."""
    return excerpt_of(prose(body))


def excerpt_of(text: str) -> str | None:
    """The first sentences of `text` (a body's prose), up to about 300 characters."""
    if not text:
        return None
    excerpt = ""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if excerpt and len(excerpt) + len(sentence) > EXCERPT_LENGTH:
            break
        excerpt = f"{excerpt} {sentence}".strip()
    return excerpt[:EXCERPT_LENGTH]


def snapshot(post: Post) -> dict[str, Any]:
    """The editable fields of a post as JSON-friendly values, for revisions and diffs."""
    data = {entry.column: getattr(post, entry.column) for entry in EDITABLE}
    data["status"] = post.status.value
    data["published_at"] = post.published_at.isoformat() if post.published_at else None
    data["level"] = post.level.value if post.level else None
    return data


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> tuple[str, ...]:
    """The GraphQL names of the snapshot's fields whose values differ; every one when there is
    nothing before."""
    changed = (key for key in after if before is None or before.get(key) != after[key])
    return tuple(sorted(POST.name_of(key) for key in changed))


async def _write(
    session: AsyncSession, post: Post, version: int, values: dict[str, Any], now: datetime
) -> None:
    """Apply `values` only if nobody wrote since `version` (compare-and-set on the row)."""
    result = await session.execute(
        update(Post)
        .where(Post.id == post.id, Post.version == version)
        .values(**values, version=Post.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        await _conflict(session, post, version)
    await session.refresh(post)


async def _conflict(session: AsyncSession, post: Post, seen: int) -> NoReturn:
    await session.refresh(post)
    before = await session.scalar(
        select(PostRevision.fields).where(
            PostRevision.post_id == post.id, PostRevision.version == seen
        )
    )
    changed = changed_fields(before, snapshot(post))
    raise Rejected(
        "conflict",
        f"This post changed since version {seen}; it is at version {post.version} now. "
        "Reload it, reapply your edit and save again.",
        field="version",
        current_version=post.version,
        changed_fields=changed,
    )


async def _load(session: AsyncSession, post_id: int) -> Post:
    post = await session.get(Post, post_id)
    if post is None:
        raise Rejected("not_found", "There is no post with this ID.", field="id")
    return post


def _validate(values: dict[str, Any], *, creating: bool) -> None:
    problems = validation.problems(values, EDITABLE, creating=creating)
    if values.get("level") is not None and not isinstance(values["level"], PostLevel):
        problems.append(("level", "Unknown level."))
    validation.reject(problems)


async def _unique_slug(
    session: AsyncSession, wanted: str | None, title: str, post_id: int | None
) -> str:
    """`wanted` if it is free (refused otherwise); else the title's slug made unique."""
    return await validation.unique_slug(
        wanted,
        title,
        taken=lambda slug: _slug_taken(session, slug, post_id),
        fallback="post",
        length=280,
    )


async def _slug_taken(session: AsyncSession, slug: str, post_id: int | None) -> bool:
    current = await session.scalar(select(Post.id).where(Post.slug == slug))
    former = await session.scalar(select(PostSlug.post_id).where(PostSlug.slug == slug))
    return any(owner is not None and owner != post_id for owner in (current, former))


async def _remember_slug(session: AsyncSession, post: Post, new_slug: str) -> None:
    await session.execute(delete(PostSlug).where(PostSlug.slug == new_slug))
    if not await session.scalar(select(func.count()).where(PostSlug.slug == post.slug)):
        await session.execute(insert(PostSlug).values(slug=post.slug, post_id=post.id))


def rendered(body: str) -> dict[str, Any]:
    return columns_of(render_body(body))


def columns_of(rendered: RenderedBody) -> dict[str, Any]:
    """The columns a rendering writes."""
    return {
        "html": rendered.html,
        "reading_time": rendered.reading_time,
        "includes_code": rendered.includes_code,
    }


async def _set_relations(
    session: AsyncSession,
    viewer: Viewer,
    post_id: int,
    author_ids: list[int] | None,
    tag_ids: list[int] | None,
    tag_names: list[str] | None,
) -> "Relations":
    """Replace the bylines and tags sent (None: leave them); what changed, and the tags that
    `tag_names` created."""
    sent = {"authorIds": author_ids, "tagIds": tag_ids, "tagNames": tag_names}
    for name, values in sent.items():
        if values is not None and len(values) > MAX_RELATIONS:
            raise Rejected("invalid", f"Send at most {MAX_RELATIONS} {name}.", field=name)
    written = Relations(set(), [])
    if author_ids is not None:
        found = set(await session.scalars(select(Author.id).where(Author.id.in_(author_ids))))
        if missing := [a for a in author_ids if a not in found]:
            raise Rejected("not_found", f"No author with ID {missing[0]}.", field="authorIds")
        await session.execute(delete(PostAuthor).where(PostAuthor.post_id == post_id))
        for position, author_id in enumerate(dict.fromkeys(author_ids)):
            session.add(PostAuthor(post_id=post_id, author_id=author_id, position=position))
        written.changed.add("authors")
    if tag_ids is None and tag_names is None:
        return written
    ids = list(tag_ids or [])
    found = set(await session.scalars(select(Tag.id).where(Tag.id.in_(ids))))
    if missing := [t for t in ids if t not in found]:
        raise Rejected("not_found", f"No tag with ID {missing[0]}.", field="tagIds")
    for name in tag_names or []:
        ids.append(await _tag_named(session, viewer, name, written.new_tags))
    await session.execute(delete(PostTag).where(PostTag.post_id == post_id))
    for position, tag_id in enumerate(dict.fromkeys(ids)):
        session.add(PostTag(post_id=post_id, tag_id=tag_id, position=position))
    await session.flush()
    written.changed.add("tags")
    return written


@dataclass
class Relations:
    changed: set[str]
    new_tags: list[Tag]

    def tag_events(self) -> list[events.Event]:
        return [events.tag_event("tag.created", tag) for tag in self.new_tags]


async def _tag_named(session: AsyncSession, viewer: Viewer, name: str, created: list[Tag]) -> int:
    name = name.strip()
    if not name or len(name) > 200:
        raise Rejected("invalid", "Tag names need 1 to 200 characters.", field="tagNames")
    existing = await session.scalar(select(Tag.id).where(func.lower(Tag.name) == name.lower()))
    if existing is not None:
        return existing
    if viewer.role is EditorRole.CONTRIBUTOR:
        raise Rejected("forbidden", f"Contributors may not create tags ({name}).", field="tagNames")
    tag = Tag(name=name, slug=await named_editing.unique_slug(session, Tag, None, name, None))
    session.add(tag)
    await session.flush()
    created.append(tag)
    return tag.id


async def _record_revision(
    session: AsyncSession, post: Post, viewer: Viewer, now: datetime
) -> None:
    session.add(revision_of(post, editor_id=viewer.editor_id, actor=viewer.name, now=now))
    await session.flush()


def revision_of(post: Post, *, editor_id: int | None, actor: str, now: datetime) -> PostRevision:
    """The revision that records `post` as it is now."""
    return PostRevision(
        post_id=post.id,
        version=post.version,
        title=post.title,
        excerpt=post.excerpt,
        body=post.body,
        fields=snapshot(post),
        editor_id=editor_id,
        actor=actor,
        created_at=now,
    )
