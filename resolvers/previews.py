"""Preview links: a signed token that shows one post, whatever its status, to whoever holds it.

The token carries the post's id and its expiry, signed with the secret key; nothing is stored.
It opens that one post only: its translations, authors and tags are read as for anyone else.
Deleting the post ends its previews; otherwise a link works until it expires.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from models import Post
from resolvers import signing
from resolvers.accounts import Viewer
from resolvers.context import Context
from resolvers.errors import BadUserInput, Rejected
from resolvers.post_editing import check_may_edit

PURPOSE = "preview"  # in the payload, so no other signed token (a cursor) passes for a preview
INVALID = "The preview link is invalid or has expired."
MAX_POST_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; a larger one means a forged token


@dataclass(frozen=True)
class PreviewLink:
    token: str
    expires_at: datetime


async def create_preview_link(
    session: AsyncSession,
    *,
    viewer: Viewer,
    post_id: int,
    secret_key: str,
    now: datetime,
    ttl: timedelta,
) -> PreviewLink:
    """A link for anyone who may edit the post (a contributor: their own draft)."""
    post = await session.get(Post, post_id)
    if post is None:
        raise Rejected("not_found", "There is no post with this ID.", field="postId")
    try:
        check_may_edit(viewer, post)
    except Rejected as refused:
        refused.errors = [("postId", code, message) for _, code, message in refused.errors]
        raise
    expires_at = (now + ttl).replace(microsecond=0)
    payload = {"for": PURPOSE, "post": post.id, "exp": int(expires_at.timestamp())}
    return PreviewLink(signing.sign(secret_key, orjson.dumps(payload)), expires_at)


async def previewed_post(ctx: Context, *, token: str) -> Post | None:
    """The post a valid token opens, whatever its status; None once it is deleted."""
    post_id, _expires = read(ctx.secret_key, token, now=ctx.now)
    async with ctx.reader() as session:
        return await session.get(Post, post_id)


def read(secret_key: str, token: str, *, now: datetime) -> tuple[int, datetime]:
    """The post id and expiry of a valid, unexpired token; BAD_USER_INPUT otherwise, with one
    message whatever the reason (altered, signed with another key, not a preview, expired)."""
    payload = signing.verify(secret_key, token)
    try:
        data = orjson.loads(payload) if payload is not None else None
    except orjson.JSONDecodeError:
        data = None
    fields = data if isinstance(data, dict) else {}
    post_id, expires = fields.get("post"), fields.get("exp")
    if (
        fields.get("for") != PURPOSE
        or type(post_id) is not int
        or not 1 <= post_id <= MAX_POST_ID
        or type(expires) is not int
        or now.timestamp() >= expires
    ):
        raise BadUserInput(INVALID, field="previewToken")
    return post_id, datetime.fromtimestamp(expires, UTC)
