"""Typed errors for mutation payloads: expected failures are data a frontend can show."""

from enum import Enum

import strawberry


@strawberry.enum(description="Why a mutation did not do what was asked.")
class UserErrorCode(Enum):
    INVALID = strawberry.enum_value("invalid", description="A value failed validation.")
    NOT_FOUND = strawberry.enum_value("not_found", description="The object does not exist.")
    CONFLICT = strawberry.enum_value(
        "conflict", description="Someone changed the object since you last read it."
    )
    FORBIDDEN = strawberry.enum_value(
        "forbidden", description="Your role may not do this to this object."
    )
    UNAUTHENTICATED = strawberry.enum_value(
        "unauthenticated", description="Log in (send a bearer token) first."
    )
    INVALID_CREDENTIALS = strawberry.enum_value(
        "invalid_credentials", description="The email or password is wrong."
    )
    THROTTLED = strawberry.enum_value(
        "throttled", description="Too many attempts; wait before trying again."
    )


@strawberry.type(description="An expected failure, with the input field it concerns.")
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase), or null for the whole request."
    )
    code: UserErrorCode = strawberry.field(description="Machine-readable reason.")
    message: str = strawberry.field(description="A sentence to show to the editor.")
