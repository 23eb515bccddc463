"""The Viewer type: who the bearer token in this request belongs to."""

from enum import Enum

import strawberry

from models import EditorRole as EditorRoleValue
from models import TokenKind as TokenKindValue
from resolvers.accounts import Viewer as ViewerModel


@strawberry.enum(description="What an editor account or integration token may do.")
class EditorRole(Enum):
    CONTRIBUTOR = strawberry.enum_value(
        EditorRoleValue.CONTRIBUTOR, description="Writes own drafts; cannot publish."
    )
    AUTHOR = strawberry.enum_value(
        EditorRoleValue.AUTHOR, description="Writes and publishes own posts; creates tags."
    )
    EDITOR = strawberry.enum_value(
        EditorRoleValue.EDITOR, description="Manages all posts, authors and tags."
    )
    ADMIN = strawberry.enum_value(
        EditorRoleValue.ADMIN, description="Everything, plus accounts and tokens."
    )


@strawberry.enum(description="How the request authenticated.")
class TokenKind(Enum):
    SESSION = strawberry.enum_value(TokenKindValue.SESSION, description="An editor's login.")
    INTEGRATION = strawberry.enum_value(
        TokenKindValue.INTEGRATION, description="A named, long-lived integration token."
    )


@strawberry.type(description="The editor or integration making this request.")
class Viewer:
    name: str = strawberry.field(description="Display name, or the integration's name.")
    email: str | None = strawberry.field(description="The editor's email; null for integrations.")
    role: EditorRole = strawberry.field(description="What this viewer may do.")
    kind: TokenKind = strawberry.field(description="Session (login) or integration token.")

    @classmethod
    def from_model(cls, viewer: ViewerModel) -> "Viewer":
        return cls(
            name=viewer.name,
            email=viewer.email,
            role=EditorRole(viewer.role),
            kind=TokenKind(viewer.kind),
        )
