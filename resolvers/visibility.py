"""What anonymous readers may see. Every query path goes through these predicates."""

from datetime import datetime

from sqlalchemy import ColumnElement, and_

from models import Post, PostStatus, Tag, TagVisibility

LIVE_STATUSES = (PostStatus.PUBLISHED, PostStatus.SCHEDULED)


def post_is_visible(now: datetime, post: type[Post] = Post) -> ColumnElement[bool]:
    """Published, or scheduled and its instant has come: no cron job flips the status."""
    return and_(post.status.in_(LIVE_STATUSES), post.published_at <= now)


def tag_is_visible() -> ColumnElement[bool]:
    return Tag.visibility == TagVisibility.PUBLIC
