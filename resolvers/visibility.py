"""Who may see which posts and tags. Every query path goes through these predicates.

A post is live when it is published, or scheduled and its instant has come: no cron job flips
the status, every read compares `published_at` with the request's clock. Anonymous readers, and
integration tokens below the editor role (they belong to no account, so they own nothing), read
live posts only. Contributor and author accounts also read the posts they own; editors and
admins read every post.
"""

from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, or_, true

from models import Post, PostStatus, Tag, TagVisibility
from resolvers.accounts import Viewer
from resolvers.permissions import is_manager

LIVE_STATUSES = (PostStatus.PUBLISHED, PostStatus.SCHEDULED)
LIVE_ONLY = frozenset({PostStatus.PUBLISHED})
NOW = bindparam("now", type_=Post.published_at.type)
"""The request's clock in statements built once for every request (bound as `now`)."""


def post_is_visible(
    now: datetime | ColumnElement[datetime], post: type[Post] = Post
) -> ColumnElement[bool]:
    """Live: published, or scheduled and its instant has come (`now`: a value, or a bound
    parameter of statements built once)."""
    return and_(_is_live(post), post.published_at <= now)


def _is_live(post: type[Post]) -> ColumnElement[bool]:
    # Two comparisons rather than IN: an IN list is re-rendered into the SQL at every execution.
    return or_(*(post.status == status for status in LIVE_STATUSES))


def readable_posts(viewer: Viewer | None, now: datetime) -> ColumnElement[bool]:
    """The posts `viewer` may read; for anonymous readers exactly `post_is_visible`."""
    live = post_is_visible(now)
    if viewer is None:
        return live
    if is_manager(viewer):
        return true()
    if viewer.editor_id is None:
        return live
    return or_(live, Post.owner_id == viewer.editor_id)


def may_read_unpublished(viewer: Viewer | None) -> bool:
    """Whether any post that is not live can be readable by `viewer` (see `readable_posts`)."""
    return viewer is not None and (is_manager(viewer) or viewer.editor_id is not None)


def effective_status(
    status: PostStatus, published_at: datetime | None, now: datetime
) -> PostStatus:
    """What a client is told: a scheduled post whose instant has come is PUBLISHED."""
    if status is PostStatus.DRAFT:
        return PostStatus.DRAFT
    if published_at is not None and published_at <= now:
        return PostStatus.PUBLISHED
    return PostStatus.SCHEDULED


def post_has_status(status: PostStatus, now: datetime) -> ColumnElement[bool]:
    """Posts whose `effective_status` is `status`, in SQL: every post has exactly one."""
    if status is PostStatus.PUBLISHED:
        return post_is_visible(now)
    if status is PostStatus.DRAFT:
        return Post.status == PostStatus.DRAFT
    return and_(_is_live(Post), or_(Post.published_at.is_(None), Post.published_at > now))


def tag_is_visible() -> ColumnElement[bool]:
    return Tag.visibility == TagVisibility.PUBLIC
