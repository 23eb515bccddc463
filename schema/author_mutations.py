"""Author mutations: inputs, payloads, and the calls into `resolvers.author_editing`."""

from typing import Annotated

import strawberry

from models import Author as AuthorModel
from resolvers import author_editing
from resolvers.fields import AUTHOR
from schema.author import Author
from schema.context import Info
from schema.editing import EditError, IdempotencyKeyArg, VersionArg, run, sent_values
from schema.node import parse_id


@strawberry.input(description="A new author profile.")
class CreateAuthorInput:
    name: str = strawberry.field(description="Display name, 1 to 200 characters.")
    slug: str | None = strawberry.field(
        default=None,
        description="Lowercase letters, digits and hyphens; from the name if left out.",
    )
    job_title: str | None = strawberry.field(
        default=None, description="Role, up to 200 characters."
    )
    bio: str | None = strawberry.field(default=None, description="Up to 2,000 characters.")
    avatar_url: str | None = strawberry.field(default=None, description="http(s) URL.")
    website: str | None = strawberry.field(default=None, description="http(s) URL.")


@strawberry.input(
    description="Changes to an author. Fields left out stay as they are; a field sent as null "
    "is cleared (the name cannot be)."
)
class UpdateAuthorInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Display name.")
    slug: str | None = strawberry.field(
        default=strawberry.UNSET, description="New slug; null derives it from the name."
    )
    job_title: str | None = strawberry.field(default=strawberry.UNSET, description="Role.")
    bio: str | None = strawberry.field(default=strawberry.UNSET, description="About the author.")
    avatar_url: str | None = strawberry.field(default=strawberry.UNSET, description="Portrait URL.")
    website: str | None = strawberry.field(default=strawberry.UNSET, description="Own site.")


@strawberry.type(description="The result of an author mutation.")
class AuthorPayload:
    author: Author | None = strawberry.field(description="The author after the change.")
    errors: list[EditError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of `deleteAuthor`.")
class DeleteAuthorPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted author's ID.")
    errors: list[EditError] = strawberry.field(description="Why nothing changed, if so.")


IdArg = Annotated[strawberry.ID, strawberry.argument(description="The author's global ID.")]


def _author_id(value: str, argument: str = "id") -> int:
    return parse_id(value, expected="Author", argument=argument)[1]


def _author(model: AuthorModel | None) -> Author | None:
    return Author.from_model(model) if model else None


@strawberry.type
class AuthorMutations:
    @strawberry.mutation(description="Create an author profile (editors and admins).")
    async def create_author(
        self,
        info: Info,
        input: Annotated[CreateAuthorInput, strawberry.argument(description="The author.")],
        idempotency_key: IdempotencyKeyArg = None,
    ) -> AuthorPayload:
        author, errors = await run(
            info,
            lambda session, viewer: author_editing.create_author(
                session,
                viewer=viewer,
                values=sent_values(input, AUTHOR.editable()),
                now=info.context.now,
                idempotency_key=idempotency_key,
            ),
        )
        return AuthorPayload(author=_author(author), errors=errors)

    @strawberry.mutation(description="Change some fields of an author (editors and admins).")
    async def update_author(
        self,
        info: Info,
        id: IdArg,
        version: VersionArg,
        input: Annotated[UpdateAuthorInput, strawberry.argument(description="The changes.")],
    ) -> AuthorPayload:
        author, errors = await run(
            info,
            lambda session, viewer: author_editing.update_author(
                session,
                viewer=viewer,
                author_id=_author_id(id),
                version=version,
                values=sent_values(input, AUTHOR.editable()),
                now=info.context.now,
            ),
        )
        return AuthorPayload(author=_author(author), errors=errors)

    @strawberry.mutation(
        description="Delete an author (editors and admins). An author who still has posts, of "
        "any status, needs `reassignTo`: that author takes their place in every byline."
    )
    async def delete_author(
        self,
        info: Info,
        id: IdArg,
        version: VersionArg,
        reassign_to: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The author who takes over the posts."),
        ] = None,
    ) -> DeleteAuthorPayload:
        _, errors = await run(
            info,
            lambda session, viewer: author_editing.delete_author(
                session,
                viewer=viewer,
                author_id=_author_id(id),
                version=version,
                reassign_to=(
                    None if reassign_to is None else _author_id(reassign_to, "reassignTo")
                ),
                now=info.context.now,
            ),
        )
        return DeleteAuthorPayload(deleted_id=None if errors else id, errors=errors)
