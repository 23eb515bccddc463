"""Publication mutations: inputs, payloads, and the calls into `resolvers.publication_editing`."""

from typing import Annotated

import strawberry

from models import Publication as PublicationModel
from resolvers import publication_editing
from resolvers.fields import PUBLICATION
from schema.context import Info
from schema.editing import EditError, VersionArg, run, sent_values
from schema.node import parse_id
from schema.publication import Publication


@strawberry.input(description="A new publication (editors and admins).")
class CreatePublicationInput:
    name: str = strawberry.field(description="Display name, 1 to 200 characters.")
    slug: str | None = strawberry.field(
        default=None,
        description="Lowercase letters, digits and hyphens; from the name if left out.",
    )
    description: str | None = strawberry.field(default=None, description="What it is.")
    url: str | None = strawberry.field(default=None, description="Its own site (http or https).")
    logo_url: str | None = strawberry.field(default=None, description="Its logo (http or https).")


@strawberry.input(
    description="Changes to a publication. Fields left out stay as they are; a field sent as "
    "null is cleared (the name cannot be)."
)
class UpdatePublicationInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Display name.")
    slug: str | None = strawberry.field(
        default=strawberry.UNSET, description="New slug; null derives it from the name."
    )
    description: str | None = strawberry.field(default=strawberry.UNSET, description="What it is.")
    url: str | None = strawberry.field(default=strawberry.UNSET, description="Its own site.")
    logo_url: str | None = strawberry.field(default=strawberry.UNSET, description="Its logo.")


@strawberry.type(description="The result of a publication mutation.")
class PublicationPayload:
    publication: Publication | None = strawberry.field(description="It, after the change.")
    errors: list[EditError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of `deletePublication`.")
class DeletePublicationPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted one's ID.")
    errors: list[EditError] = strawberry.field(description="Why nothing changed, if so.")


IdArg = Annotated[strawberry.ID, strawberry.argument(description="The publication's global ID.")]


def _id(value: str) -> int:
    return parse_id(value, expected="Publication")[1]


def _publication(model: PublicationModel | None) -> Publication | None:
    return Publication.from_model(model) if model else None


@strawberry.type
class PublicationMutations:
    @strawberry.mutation(description="Create a publication (editors and admins).")
    async def create_publication(
        self,
        info: Info,
        input: Annotated[CreatePublicationInput, strawberry.argument(description="It.")],
    ) -> PublicationPayload:
        written, errors = await run(
            info,
            lambda session, viewer: publication_editing.create_publication(
                session,
                viewer=viewer,
                values=sent_values(input, PUBLICATION.editable()),
                now=info.context.now,
            ),
        )
        return PublicationPayload(publication=_publication(written), errors=errors)

    @strawberry.mutation(description="Change some fields of a publication (editors and admins).")
    async def update_publication(
        self,
        info: Info,
        id: IdArg,
        version: VersionArg,
        input: Annotated[UpdatePublicationInput, strawberry.argument(description="Changes.")],
    ) -> PublicationPayload:
        written, errors = await run(
            info,
            lambda session, viewer: publication_editing.update_publication(
                session,
                viewer=viewer,
                publication_id=_id(id),
                version=version,
                values=sent_values(input, PUBLICATION.editable()),
                now=info.context.now,
            ),
        )
        return PublicationPayload(publication=_publication(written), errors=errors)

    @strawberry.mutation(
        description="Delete a publication (editors and admins); its posts stay, with none."
    )
    async def delete_publication(
        self, info: Info, id: IdArg, version: VersionArg
    ) -> DeletePublicationPayload:
        _, errors = await run(
            info,
            lambda session, viewer: publication_editing.delete_publication(
                session,
                viewer=viewer,
                publication_id=_id(id),
                version=version,
                now=info.context.now,
            ),
        )
        return DeletePublicationPayload(deleted_id=None if errors else id, errors=errors)
