"""Admin mutations: integration tokens and editor accounts. Anyone but an admin gets FORBIDDEN
(UNAUTHENTICATED when anonymous) in the payload, and nothing is written."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

import strawberry

from models import Editor as EditorModel
from models import EditorRole as EditorRoleValue
from resolvers import accounts
from resolvers.accounts import Viewer as ViewerModel
from resolvers.context import Session
from resolvers.errors import NotFound, QuireError, Rejected
from schema.accounts import ApiToken, Editor
from schema.context import Info
from schema.editing import VersionArg
from schema.node import parse_id
from schema.payloads import UserError, UserErrorCode
from schema.viewer import EditorRole

T = TypeVar("T")


@strawberry.input(description="A new editor account.")
class CreateEditorInput:
    email: str = strawberry.field(description="The login; stored lower-cased, must be unique.")
    display_name: str = strawberry.field(description="Shown in revisions; up to 200 characters.")
    password: str = strawberry.field(
        description=f"At least {accounts.MIN_PASSWORD_LENGTH} characters. Never returned."
    )
    role: EditorRole = strawberry.field(description="What the account may do.")
    author_id: strawberry.ID | None = strawberry.field(
        default=None, description="The author profile the account writes as, by global ID."
    )


@strawberry.type(description="The result of `createApiToken`.")
class CreateApiTokenPayload:
    token: str | None = strawberry.field(
        description="The secret, for `Authorization: Bearer <token>`; shown only this once."
    )
    api_token: ApiToken | None = strawberry.field(description="The new token's details.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of `revokeApiToken`.")
class ApiTokenPayload:
    api_token: ApiToken | None = strawberry.field(description="The token after the change.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of an account mutation.")
class EditorPayload:
    editor: Editor | None = strawberry.field(description="The account after the change.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed, if so.")


IdArg = Annotated[strawberry.ID, strawberry.argument(description="The object's ID.")]
RoleArg = Annotated[EditorRole, strawberry.argument(description="What it may do.")]


def _role(role: EditorRole) -> EditorRoleValue:
    return EditorRoleValue[role.name]


async def _run(
    info: Info, write: Callable[[Session, ViewerModel], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """One transaction as an admin: the result, or (on an expected failure) the errors."""
    ctx = info.context
    try:
        viewer = accounts.require_admin(ctx.viewer)
        return await ctx.transaction(lambda session: write(session, viewer)), []
    except Rejected as rejected:
        return None, [
            UserError(field=field, code=UserErrorCode(code), message=message)
            for field, code, message in rejected.errors
        ]
    except QuireError as error:  # the account checks the command line shares
        code = UserErrorCode.NOT_FOUND if isinstance(error, NotFound) else UserErrorCode.INVALID
        return None, [UserError(field=error.field, code=code, message=error.message)]


async def _editor_payload(
    info: Info, write: Callable[[Session, ViewerModel], Awaitable[EditorModel]]
) -> EditorPayload:
    editor, errors = await _run(info, write)
    return EditorPayload(editor=Editor.from_model(editor) if editor else None, errors=errors)


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description="Create a named integration token with its own role. Admins only."
    )
    async def create_api_token(
        self,
        info: Info,
        name: Annotated[
            str, strawberry.argument(description="What it is for, e.g. build-bot (1 to 100).")
        ],
        role: RoleArg,
        expires_at: Annotated[
            datetime | None,
            strawberry.argument(description="When it stops working; never if left out."),
        ] = None,
    ) -> CreateApiTokenPayload:
        issued, errors = await _run(
            info,
            lambda session, _viewer: accounts.create_integration_token(
                session, name=name, role=_role(role), expires_at=expires_at, now=info.context.now
            ),
        )
        if issued is None:
            return CreateApiTokenPayload(token=None, api_token=None, errors=errors)
        return CreateApiTokenPayload(
            token=issued.secret, api_token=ApiToken.from_model(issued.token), errors=[]
        )

    @strawberry.mutation(
        description="Revoke an integration token: its next request gets UNAUTHENTICATED. "
        "Admins only."
    )
    async def revoke_api_token(self, info: Info, id: IdArg) -> ApiTokenPayload:
        token_id = parse_id(id, expected="ApiToken")[1]
        token, errors = await _run(
            info,
            lambda session, _viewer: accounts.revoke_integration_token(
                session, token_id=token_id, now=info.context.now
            ),
        )
        return ApiTokenPayload(
            api_token=ApiToken.from_model(token) if token else None, errors=errors
        )

    @strawberry.mutation(description="Create an editor account. Admins only.")
    async def create_editor(
        self,
        info: Info,
        input: Annotated[CreateEditorInput, strawberry.argument(description="The account.")],
    ) -> EditorPayload:
        author_id = (
            parse_id(input.author_id, expected="Author", argument="authorId")[1]
            if input.author_id is not None
            else None
        )
        return await _editor_payload(
            info,
            lambda session, _viewer: accounts.create_editor(
                session,
                email=input.email,
                display_name=input.display_name,
                password=input.password,
                role=_role(input.role),
                author_id=author_id,
            ),
        )

    @strawberry.mutation(
        description="Change an account's role; it applies to its open sessions at once. Admins "
        "only, and not to their own account."
    )
    async def set_editor_role(
        self, info: Info, id: IdArg, version: VersionArg, role: RoleArg
    ) -> EditorPayload:
        editor_id = parse_id(id, expected="Editor")[1]
        return await _editor_payload(
            info,
            lambda session, viewer: accounts.set_editor_role(
                session, viewer=viewer, editor_id=editor_id, role=_role(role), version=version
            ),
        )

    @strawberry.mutation(
        description="Link an account to the author profile it writes as: its new posts get that "
        "byline (an admin's too). Null unlinks it. Admins only."
    )
    async def set_editor_author(
        self,
        info: Info,
        id: IdArg,
        version: VersionArg,
        author_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The author profile, or null for none."),
        ],
    ) -> EditorPayload:
        editor_id = parse_id(id, expected="Editor")[1]
        linked = (
            parse_id(author_id, expected="Author", argument="authorId")[1]
            if author_id is not None
            else None
        )
        return await _editor_payload(
            info,
            lambda session, _viewer: accounts.set_editor_author(
                session, editor_id=editor_id, author_id=linked, version=version
            ),
        )

    @strawberry.mutation(
        description="Deactivate an account: it can no longer log in and its tokens are revoked. "
        "Admins only, and not their own account."
    )
    async def deactivate_editor(self, info: Info, id: IdArg) -> EditorPayload:
        editor_id = parse_id(id, expected="Editor")[1]
        return await _editor_payload(
            info,
            lambda session, viewer: accounts.deactivate_editor(
                session, viewer=viewer, editor_id=editor_id, now=info.context.now
            ),
        )
