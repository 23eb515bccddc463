"""Tag mutations: inputs, payloads, and the calls into `resolvers.tag_editing`.

Payloads return the tag as written, internal ones included: only editors get them.
"""

from typing import Annotated

import strawberry

from models import Tag as TagModel
from resolvers import tag_editing
from resolvers.fields import TAG
from schema.context import Info
from schema.editing import EditError, IdempotencyKeyArg, VersionArg, run, sent_values
from schema.enums import TagVisibility
from schema.node import parse_id
from schema.tag import Tag


@strawberry.input(description="A new tag. Contributors may not create tags.")
class CreateTagInput:
    name: str = strawberry.field(
        description="Display name, 1 to 200 characters, unique regardless of case."
    )
    slug: str | None = strawberry.field(
        default=None,
        description="Lowercase letters, digits and hyphens; from the name if left out.",
    )
    description: str | None = strawberry.field(
        default=None, description="What the tag covers, up to 2,000 characters."
    )
    visibility: TagVisibility = strawberry.field(
        default=TagVisibility.PUBLIC, description="Who sees the tag."
    )


@strawberry.input(
    description="Changes to a tag. Fields left out stay as they are; a field sent as null is "
    "cleared (the name and visibility cannot be)."
)
class UpdateTagInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Display name.")
    slug: str | None = strawberry.field(
        default=strawberry.UNSET, description="New slug; null derives it from the name."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="What the tag covers."
    )
    visibility: TagVisibility | None = strawberry.field(
        default=strawberry.UNSET, description="Who sees the tag."
    )


@strawberry.type(description="The result of a tag mutation.")
class TagPayload:
    tag: Tag | None = strawberry.field(description="The tag after the change.")
    errors: list[EditError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of `deleteTag`.")
class DeleteTagPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted tag's ID.")
    errors: list[EditError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of `mergeTags`.")
class MergeTagsPayload:
    tag: Tag | None = strawberry.field(description="The target tag after the merge.")
    errors: list[EditError] = strawberry.field(description="Why nothing changed, if so.")


IdArg = Annotated[strawberry.ID, strawberry.argument(description="The tag's global ID.")]


def _tag_id(value: str, argument: str = "id") -> int:
    return parse_id(value, expected="Tag", argument=argument)[1]


def _tag(model: TagModel | None) -> Tag | None:
    return Tag.from_model(model) if model else None


@strawberry.type
class TagMutations:
    @strawberry.mutation(description="Create a tag (authors, editors and admins).")
    async def create_tag(
        self,
        info: Info,
        input: Annotated[CreateTagInput, strawberry.argument(description="The tag.")],
        idempotency_key: IdempotencyKeyArg = None,
    ) -> TagPayload:
        tag, errors = await run(
            info,
            lambda session, viewer: tag_editing.create_tag(
                session,
                viewer=viewer,
                values=sent_values(input, TAG.editable()),
                now=info.context.now,
                idempotency_key=idempotency_key,
            ),
        )
        return TagPayload(tag=_tag(tag), errors=errors)

    @strawberry.mutation(description="Change some fields of a tag (editors and admins).")
    async def update_tag(
        self,
        info: Info,
        id: IdArg,
        version: VersionArg,
        input: Annotated[UpdateTagInput, strawberry.argument(description="The changes.")],
    ) -> TagPayload:
        tag, errors = await run(
            info,
            lambda session, viewer: tag_editing.update_tag(
                session,
                viewer=viewer,
                tag_id=_tag_id(id),
                version=version,
                values=sent_values(input, TAG.editable()),
                now=info.context.now,
            ),
        )
        return TagPayload(tag=_tag(tag), errors=errors)

    @strawberry.mutation(
        description="Delete a tag (editors and admins); it is removed from every post first."
    )
    async def delete_tag(self, info: Info, id: IdArg, version: VersionArg) -> DeleteTagPayload:
        _, errors = await run(
            info,
            lambda session, viewer: tag_editing.delete_tag(
                session,
                viewer=viewer,
                tag_id=_tag_id(id),
                version=version,
                now=info.context.now,
            ),
        )
        return DeleteTagPayload(deleted_id=None if errors else id, errors=errors)

    @strawberry.mutation(
        description="Merge the source tag into the target (editors and admins): every post with "
        "the source gets the target in its place, once, and the source is deleted."
    )
    async def merge_tags(
        self,
        info: Info,
        source_id: Annotated[
            strawberry.ID, strawberry.argument(description="The tag that goes away.")
        ],
        source_version: Annotated[
            int, strawberry.argument(description="The source's `version` you last read.")
        ],
        target_id: Annotated[strawberry.ID, strawberry.argument(description="The tag that stays.")],
        target_version: Annotated[
            int, strawberry.argument(description="The target's `version` you last read.")
        ],
    ) -> MergeTagsPayload:
        tag, errors = await run(
            info,
            lambda session, viewer: tag_editing.merge_tags(
                session,
                viewer=viewer,
                source_id=_tag_id(source_id, "sourceId"),
                source_version=source_version,
                target_id=_tag_id(target_id, "targetId"),
                target_version=target_version,
                now=info.context.now,
            ),
        )
        return MergeTagsPayload(tag=_tag(tag), errors=errors)
