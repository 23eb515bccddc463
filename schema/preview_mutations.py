"""Preview links: let someone without an account read a draft before it goes live."""

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers import previews
from resolvers.errors import Rejected
from resolvers.permissions import require_viewer
from schema.context import Info
from schema.node import parse_id
from schema.payloads import UserError, UserErrorCode


@strawberry.type(description="The result of `createPreviewLink`.")
class PreviewLinkPayload:
    token: str | None = strawberry.field(
        description="Pass it to `post(previewToken:)`: whoever holds it reads this post, "
        "whatever its status, until `expiresAt`. Nothing else is opened by it."
    )
    expires_at: datetime | None = strawberry.field(description="When the token stops working.")
    errors: list[UserError] = strawberry.field(description="Why no link was made, if so.")


@strawberry.type
class PreviewMutations:
    @strawberry.mutation(
        description="A signed, expiring token that shows one post to anyone, for reviewers "
        "without an account. For those who may edit the post (contributors: their own drafts)."
    )
    async def create_preview_link(
        self,
        info: Info,
        post_id: Annotated[strawberry.ID, strawberry.argument(description="The post's global ID.")],
    ) -> PreviewLinkPayload:
        ctx = info.context
        try:
            viewer = require_viewer(ctx.viewer)
            row_id = parse_id(post_id, expected="Post", argument="postId")[1]
            link = await ctx.transaction(
                lambda session: previews.create_preview_link(
                    session,
                    viewer=viewer,
                    post_id=row_id,
                    secret_key=ctx.secret_key,
                    now=ctx.now,
                    ttl=ctx.preview_ttl,
                )
            )
        except Rejected as rejected:
            errors = [
                UserError(field=field, code=UserErrorCode(code), message=message)
                for field, code, message in rejected.errors
            ]
            return PreviewLinkPayload(token=None, expires_at=None, errors=errors)
        return PreviewLinkPayload(token=link.token, expires_at=link.expires_at, errors=[])
