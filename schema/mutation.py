"""The Mutation root."""

import asyncio
from datetime import datetime
from typing import Annotated

import strawberry

from resolvers import accounts
from schema.account_mutations import AccountMutations
from schema.author_mutations import AuthorMutations
from schema.context import Info
from schema.payloads import UserError, UserErrorCode
from schema.post_mutations import PostMutations
from schema.preview_mutations import PreviewMutations
from schema.publication_mutations import PublicationMutations
from schema.revision import RevisionMutations
from schema.site import SiteMutations
from schema.tag_mutations import TagMutations
from schema.translation_mutations import TranslationMutations
from schema.viewer import Viewer
from schema.webhook import WebhookMutations


@strawberry.type(description="The result of `login`.")
class LoginPayload:
    token: str | None = strawberry.field(
        description="Send it as `Authorization: Bearer <token>`; shown only this once."
    )
    expires_at: datetime | None = strawberry.field(description="When the token stops working.")
    viewer: Viewer | None = strawberry.field(description="Who you are now logged in as.")
    errors: list[UserError] = strawberry.field(description="Why logging in failed, if it did.")


@strawberry.type(description="The result of `logout`.")
class LogoutPayload:
    ok: bool = strawberry.field(description="True when the token was revoked.")
    errors: list[UserError] = strawberry.field(description="Why logging out failed, if it did.")


def _failed_login(code: UserErrorCode, message: str) -> LoginPayload:
    return LoginPayload(
        token=None,
        expires_at=None,
        viewer=None,
        errors=[UserError(field=None, code=code, message=message)],
    )


@strawberry.type(description="Change content and sessions. Every mutation is one transaction.")
class Mutation(
    PostMutations,
    PreviewMutations,
    RevisionMutations,
    TranslationMutations,
    AccountMutations,
    AuthorMutations,
    TagMutations,
    WebhookMutations,
    PublicationMutations,
    SiteMutations,
):
    @strawberry.mutation(
        description="Exchange an editor's email and password for a session token. The answer "
        "is the same for an unknown email and a wrong password."
    )
    async def login(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="The account's email.")],
        password: Annotated[str, strawberry.argument(description="The account's password.")],
    ) -> LoginPayload:
        ctx = info.context
        policy = ctx.login
        budgets = (
            (policy.per_account, f"account:{accounts.normalize_email(email)}"),
            (policy.per_client, ctx.request.client_key),
        )
        for quota, key in budgets:
            if quota is None:
                continue
            decision = await quota.take(key, 1)
            if not decision.allowed:
                wait = max(1, round(decision.retry_after))
                return _failed_login(
                    UserErrorCode.THROTTLED, f"Too many login attempts; try again in {wait} s."
                )
        result = await ctx.transaction(
            lambda session: accounts.login(
                session, email=email, password=password, now=ctx.now, ttl=policy.session_ttl
            )
        )
        if result is None:
            await asyncio.sleep(policy.failure_delay_seconds)
            return _failed_login(
                UserErrorCode.INVALID_CREDENTIALS, "The email or password is wrong."
            )
        issued, editor = result
        viewer = accounts.Viewer(
            issued.token.id,
            issued.token.kind,
            editor.role,
            editor.display_name,
            editor_id=editor.id,
            email=editor.email,
            author_id=editor.author_id,
        )
        return LoginPayload(
            token=issued.secret,
            expires_at=issued.token.expires_at,
            viewer=Viewer.from_model(viewer),
            errors=[],
        )

    @strawberry.mutation(description="Revoke the bearer token this request was sent with.")
    async def logout(self, info: Info) -> LogoutPayload:
        ctx = info.context
        if ctx.viewer is None:
            error = UserError(
                field=None, code=UserErrorCode.UNAUTHENTICATED, message="You are not logged in."
            )
            return LogoutPayload(ok=False, errors=[error])
        token_id = ctx.viewer.token_id
        await ctx.transaction(
            lambda session: accounts.revoke(session, token_id=token_id, now=ctx.now)
        )
        return LogoutPayload(ok=True, errors=[])
