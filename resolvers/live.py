"""Live preview: a post as it is saved, for as long as a subscription runs.

The post comes at once, then again after each change the content event log records of an
object the last message showed (the post's own saves, and its tags', authors' and
translations' as far as the subscription selects them: the object cache keys a cached
response of it would be purged by, see resolvers.cache_keys): saves in quick succession may
arrive as one message, always the latest state. Each message reads afresh, as
a new request would, after the connection's authorization has been checked again. The post
as the subscriber may see it:
- by id: as `post(id:)` shows it to the connection's viewer (readers: live posts only);
- by preview token: whatever its status, until the token expires.
Once the post is deleted, or no longer readable by the subscriber, one last message carries
null and the subscription ends; an expired token ends it with an error.
"""

import asyncio
from collections.abc import AsyncGenerator
from contextlib import suppress
from datetime import datetime

from models import Post
from resolvers import cache_keys, posts, previews
from resolvers.context import Context, Watch
from resolvers.errors import QuireError

UNAVAILABLE = "Subscriptions are served over WebSocket at /graphql (graphql-transport-ws)."


async def saved_post(
    ctx: Context, *, post_id: int | None = None, token: str | None = None
) -> AsyncGenerator[Post | None, None]:
    """The post now, then after each change; None (and the end) once it is gone."""
    if ctx.live is None:
        raise QuireError(UNAVAILABLE, code="BAD_REQUEST")
    target, expires = _target(ctx, post_id=post_id, token=token)
    own = cache_keys.object_key("post", target)
    async with ctx.live.watching() as watch:
        watch.keys([own])
        while True:
            since = watch.position
            await ctx.renew()
            found = await _read(ctx, target, token)
            yield found
            if found is None:
                return
            # The objects the message showed (its relations were read as it was sent), with
            # what changed them since the read began. Lists a message shows (a tag's posts)
            # are not watched: any post saved anywhere would wake it; the next save of what
            # it watches brings them up to date.
            watch.keys([own, *ctx.request.read_keys.names(lists=False)], since=since)
            # No connection held while waiting; shielded: a client that leaves now would
            # cancel the connection's return to its pool half way.
            await asyncio.shield(ctx.finish())
            await _until(watch, expires, now=ctx.now)


def _target(ctx: Context, *, post_id: int | None, token: str | None) -> tuple[int, datetime | None]:
    """The post's id, and when the subscription must end (a preview link's expiry)."""
    if token is not None:
        return previews.read(ctx.secret_key, token, now=ctx.now)
    assert post_id is not None
    return post_id, None


async def _read(ctx: Context, post_id: int, token: str | None) -> Post | None:
    if token is not None:
        found: Post | None = await previews.previewed_post(ctx, token=token)
        return found
    found = await posts.get_post(ctx, post_id=post_id)
    return found


async def _until(watch: Watch, expires: datetime | None, *, now: datetime) -> None:
    """Until what the last message showed changes, or the preview link expires (the next read
    then refuses it)."""
    if expires is None:
        await watch.wait()
        return
    with suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, (expires - now).total_seconds())):
            await watch.wait()
