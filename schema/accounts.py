"""Editor accounts and integration tokens as admins see them, and the admin-only lists.

Neither type has a field for a password hash or a token's hash: secrets never leave the server
except once, in `createApiToken`'s answer.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models import ApiToken as ApiTokenModel
from models import Editor as EditorModel
from resolvers import accounts
from schema.context import Info
from schema.node import encode_id
from schema.viewer import EditorRole

if TYPE_CHECKING:
    from schema.author import Author

AuthorRef = Annotated["Author", strawberry.lazy("schema.author")]


@strawberry.type(description="A long-lived integration token (never its secret).")
class ApiToken:
    id: strawberry.ID = strawberry.field(description="Pass it to `revokeApiToken`.")
    name: str = strawberry.field(description="What the token is for, e.g. build-bot.")
    role: EditorRole = strawberry.field(description="What requests with this token may do.")
    created_at: datetime = strawberry.field(description="When the token was created.")
    expires_at: datetime | None = strawberry.field(
        description="When it stops working; null: never."
    )
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")
    revoked: bool = strawberry.field(description="Whether it was revoked.")

    @classmethod
    def from_model(cls, model: ApiTokenModel) -> "ApiToken":
        assert model.name is not None and model.role is not None  # integration tokens have both
        return cls(
            id=encode_id("ApiToken", model.id),
            name=model.name,
            role=EditorRole(model.role),
            created_at=model.created_at,
            expires_at=model.expires_at,
            revoked_at=model.revoked_at,
            revoked=model.revoked_at is not None,
        )


@strawberry.type(description="An editor's account (never its password).")
class Editor:
    id: strawberry.ID = strawberry.field(description="Pass it to the account mutations.")
    email: str = strawberry.field(description="The login, lower-cased.")
    display_name: str = strawberry.field(description="The name shown in revisions and viewer.")
    role: EditorRole = strawberry.field(description="What the account may do.")
    active: bool = strawberry.field(description="False once deactivated: it cannot log in.")
    created_at: datetime = strawberry.field(description="When the account was created.")
    version: int = strawberry.field(
        description="Changes on every write; send it back with `setEditorRole` or "
        "`setEditorAuthor`."
    )
    author_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, model: EditorModel) -> "Editor":
        return cls(
            id=encode_id("Editor", model.id),
            email=model.email,
            display_name=model.display_name,
            role=EditorRole(model.role),
            active=model.active,
            created_at=model.created_at,
            version=model.version,
            author_id=model.author_id,
        )

    @strawberry.field(description="The author profile the account writes as, if any.")
    async def author(self, info: Info) -> AuthorRef | None:
        from schema.author import Author

        if self.author_id is None:
            return None
        model = await info.context.loaders.author_by_id.load(self.author_id)
        return Author.from_model(model) if model else None


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="Every integration token, revoked ones included, oldest first. Admins only: "
        "anyone else gets null and a FORBIDDEN error."
    )
    async def api_tokens(self, info: Info) -> list[ApiToken] | None:
        return [
            ApiToken.from_model(model) for model in await accounts.list_api_tokens(info.context)
        ]

    @strawberry.field(
        description="Every editor account, oldest first. Admins only: anyone else gets null "
        "and a FORBIDDEN error."
    )
    async def editors(self, info: Info) -> list[Editor] | None:
        return [Editor.from_model(model) for model in await accounts.list_editors(info.context)]
