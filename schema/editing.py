"""What the editing mutations share: the `version` and idempotency key arguments; for authors
and tags also the error type and the runner that makes each of them one transaction."""

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry

from resolvers.accounts import Viewer
from resolvers.context import Session
from resolvers.errors import Rejected
from resolvers.fields import Field, snake
from resolvers.permissions import require_viewer
from schema.context import Info
from schema.payloads import UserError, UserErrorCode

Written = TypeVar("Written")

VersionArg = Annotated[
    int, strawberry.argument(description="The `version` you last read; stale ones get CONFLICT.")
]
IdempotencyKeyArg = Annotated[
    str | None,
    strawberry.argument(
        description="Any unique string; a retry with the same key returns the first result "
        "instead of creating a duplicate."
    ),
]


@strawberry.type(description="An expected failure of an author or tag mutation.")
class EditError(UserError):
    current_version: int | None = strawberry.field(
        description="On CONFLICT: the version of the object named by `field` now."
    )


def sent_values(input: object, fields: tuple[Field, ...]) -> dict[str, Any]:
    """The editable `fields` that `input` sent (left-out ones are UNSET) by column, enums as
    their values."""
    values: dict[str, Any] = {}
    for entry in fields:
        value = getattr(input, snake(entry.input or entry.name))
        if value is not strawberry.UNSET:
            values[entry.column] = value.value if isinstance(value, Enum) else value
    return values


async def run(
    info: Info, write: Callable[[Session, Viewer], Awaitable[Written]]
) -> tuple[Written | None, list[EditError]]:
    """One transaction: all of the write lands, or (on Rejected) none of it and its errors."""
    ctx = info.context
    try:
        viewer = require_viewer(ctx.viewer)
        written = await ctx.transaction(lambda session: write(session, viewer))
    except Rejected as rejected:
        return None, _errors(rejected)
    return written, []


def _errors(rejected: Rejected) -> list[EditError]:
    return [
        EditError(
            field=field,
            code=UserErrorCode(code),
            message=message,
            current_version=rejected.current_version,
        )
        for field, code, message in rejected.errors
    ]
