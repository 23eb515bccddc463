"""The Subscription root: what a frontend can watch over WebSocket (app.subscriptions)."""

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated

import strawberry

from resolvers import live
from resolvers.errors import BadUserInput
from schema.context import Info
from schema.node import parse_id
from schema.post import Post

WatchedId = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="The post's global ID (give this or `previewToken`)."),
]
WatchedToken = Annotated[
    str | None,
    strawberry.argument(description="A token from `createPreviewLink` (instead of `id`)."),
]


@strawberry.type(
    description="Live updates over WebSocket at `/graphql` (the graphql-transport-ws protocol "
    "of Apollo Client, urql and graphql-ws)."
)
class Subscription:
    @strawberry.subscription(
        description="A post as it is saved, for live preview: the post at once, then again "
        "after each save of it or of what it shows (tags, authors, translations); quick "
        "saves may arrive as one message with the latest state. By `id`, as `post(id:)` "
        "shows it to the connection's viewer; by `previewToken`, whatever its status. Once "
        "the post is deleted or no longer readable, a last message carries null and the "
        "subscription ends; an expired preview token ends it with an error."
    )
    async def post(
        self, info: Info, id: WatchedId = None, preview_token: WatchedToken = None
    ) -> AsyncGenerator[Post | None, None]:
        if (id is None) == (preview_token is None):
            raise BadUserInput("Give exactly one of `id` or `previewToken`.", field="id")
        post_id = parse_id(id, expected="Post")[1] if id is not None else None
        saved = live.saved_post(info.context, post_id=post_id, token=preview_token)
        async with aclosing(saved):  # its watch ends with this subscription, not at GC
            async for model in saved:
                yield Post.from_model(model) if model is not None else None
