"""Post mutations: inputs, payloads, and the translation from the resolvers' `Rejected`."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry

from models import Post as PostModel
from resolvers import post_editing
from resolvers.context import Session
from resolvers.errors import Rejected
from resolvers.fields import POST
from resolvers.permissions import require_viewer
from schema.context import Info
from schema.editing import IdempotencyKeyArg, VersionArg, sent_values
from schema.enums import PostLevel
from schema.node import parse_id
from schema.payloads import UserError, UserErrorCode
from schema.post import Post


@strawberry.input(description="A new post. It starts as a draft.")
class CreatePostInput:
    title: str = strawberry.field(description="The headline, 1 to 300 characters.")
    body: str = strawberry.field(default="", description="Markdown; raw HTML is not rendered.")
    slug: str | None = strawberry.field(
        default=None,
        description="Lowercase letters, digits and hyphens; from the title if left out.",
    )
    excerpt: str | None = strawberry.field(
        default=None, description="Excerpt; the body's first sentences if left out."
    )
    summary: str | None = strawberry.field(
        default=None, description="A summary of your own (up to 2,000 characters)."
    )
    level: PostLevel | None = strawberry.field(default=None, description="Expected background.")
    featured: bool = strawberry.field(default=False, description="Feature the post.")
    language: str = strawberry.field(default="en", description="BCP 47 code, e.g. en or es.")
    canonical_url: str | None = strawberry.field(default=None, description="http(s) URL.")
    meta_title: str | None = strawberry.field(default=None, description="For search engines.")
    meta_description: str | None = strawberry.field(default=None, description="For search engines.")
    feature_image_url: str | None = strawberry.field(default=None, description="http(s) URL.")
    feature_image_alt: str | None = strawberry.field(default=None, description="Its alt text.")
    author_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Authors in byline order; your own profile if left out."
    )
    tag_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Tags in order, by ID."
    )
    tag_names: list[str] | None = strawberry.field(
        default=None,
        description="Tags by name, after `tagIds`; missing ones are created (not by contributors).",
    )
    publication_id: strawberry.ID | None = strawberry.field(
        default=None, description="The publication it comes from, if the site has several."
    )


@strawberry.input(
    description="Changes to a post. Fields left out stay as they are; a field sent as null is "
    "cleared (required fields cannot be)."
)
class UpdatePostInput:
    title: str | None = strawberry.field(default=strawberry.UNSET, description="The headline.")
    body: str | None = strawberry.field(default=strawberry.UNSET, description="Markdown.")
    slug: str | None = strawberry.field(
        default=strawberry.UNSET, description="New slug; the old one keeps finding the post."
    )
    excerpt: str | None = strawberry.field(
        default=strawberry.UNSET, description="Excerpt; null derives it from the body."
    )
    summary: str | None = strawberry.field(
        default=strawberry.UNSET, description="A summary of your own; null removes it."
    )
    level: PostLevel | None = strawberry.field(default=strawberry.UNSET, description="Level.")
    featured: bool | None = strawberry.field(default=strawberry.UNSET, description="Featured.")
    language: str | None = strawberry.field(default=strawberry.UNSET, description="BCP 47.")
    canonical_url: str | None = strawberry.field(default=strawberry.UNSET, description="URL.")
    meta_title: str | None = strawberry.field(default=strawberry.UNSET, description="SEO title.")
    meta_description: str | None = strawberry.field(
        default=strawberry.UNSET, description="SEO description."
    )
    feature_image_url: str | None = strawberry.field(
        default=strawberry.UNSET, description="Cover image URL."
    )
    feature_image_alt: str | None = strawberry.field(
        default=strawberry.UNSET, description="Cover image alt text."
    )
    author_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Replace the authors, in byline order."
    )
    tag_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="Replace the tags, in order, by ID."
    )
    tag_names: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description="Tags by name, after `tagIds`."
    )
    publication_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The publication it comes from; null for none."
    )


@strawberry.type(description="An expected failure of a post mutation.")
class PostError(UserError):
    current_version: int | None = strawberry.field(
        description="On CONFLICT: the post's version now."
    )
    changed_fields: list[str] = strawberry.field(
        description="On CONFLICT: the fields changed since the version you sent."
    )


@strawberry.type(description="The result of a post mutation.")
class PostPayload:
    post: Post | None = strawberry.field(description="The post after the change.")
    errors: list[PostError] = strawberry.field(description="Why nothing changed, if so.")


@strawberry.type(description="The result of `deletePost`.")
class DeletePostPayload:
    deleted_id: strawberry.ID | None = strawberry.field(description="The deleted post's ID.")
    errors: list[PostError] = strawberry.field(description="Why nothing changed, if so.")


IdArg = Annotated[strawberry.ID, strawberry.argument(description="The post's global ID.")]


def _changes(input: CreatePostInput | UpdatePostInput) -> post_editing.PostChanges:
    values = sent_values(input, POST.editable())
    author_ids = _ids(input.author_ids, "Author", "authorIds")
    tag_ids = _ids(input.tag_ids, "Tag", "tagIds")
    tag_names = None if input.tag_names is strawberry.UNSET else input.tag_names
    publication: tuple[int | None] | None = None
    if input.publication_id is not strawberry.UNSET and (
        input.publication_id is not None or isinstance(input, UpdatePostInput)
    ):
        publication = (
            None
            if input.publication_id is None
            else parse_id(input.publication_id, expected="Publication", argument="publicationId")[
                1
            ],
        )
    return post_editing.PostChanges(values, author_ids, tag_ids, tag_names, publication)


def _ids(values: Any, type_name: str, argument: str) -> list[int] | None:
    if values is strawberry.UNSET or values is None:
        return None
    return [parse_id(value, expected=type_name, argument=argument)[1] for value in values]


def _post_id(value: str) -> int:
    return parse_id(value, expected="Post")[1]


def _errors(rejected: Rejected) -> list[PostError]:
    return [
        PostError(
            field=field,
            code=UserErrorCode(code),
            message=message,
            current_version=rejected.current_version,
            changed_fields=list(rejected.changed_fields),
        )
        for field, code, message in rejected.errors
    ]


async def run_post_write(
    info: Info, write: Callable[[Session, Any], Awaitable[PostModel]]
) -> PostPayload:
    """One transaction: all of the write lands, or (on Rejected) none of it."""
    ctx = info.context
    try:
        viewer = require_viewer(ctx.viewer)
        post = await ctx.transaction(lambda session: write(session, viewer))
    except Rejected as rejected:
        return PostPayload(post=None, errors=_errors(rejected))
    return PostPayload(post=Post.from_model(post), errors=[])


@strawberry.type
class PostMutations:
    @strawberry.mutation(description="Create a draft post.")
    async def create_post(
        self,
        info: Info,
        input: Annotated[CreatePostInput, strawberry.argument(description="The post.")],
        idempotency_key: IdempotencyKeyArg = None,
    ) -> PostPayload:
        return await run_post_write(
            info,
            lambda session, viewer: post_editing.create_post(
                session,
                viewer=viewer,
                changes=_changes(input),
                now=info.context.now,
                idempotency_key=idempotency_key,
            ),
        )

    @strawberry.mutation(description="Change some fields of a post.")
    async def update_post(
        self,
        info: Info,
        id: IdArg,
        version: VersionArg,
        input: Annotated[UpdatePostInput, strawberry.argument(description="The changes.")],
    ) -> PostPayload:
        return await run_post_write(
            info,
            lambda session, viewer: post_editing.update_post(
                session,
                viewer=viewer,
                post_id=_post_id(id),
                version=version,
                changes=_changes(input),
                now=info.context.now,
            ),
        )

    @strawberry.mutation(
        description="Publish now, or at a future `at` (the post goes live by itself then)."
    )
    async def publish_post(
        self,
        info: Info,
        id: IdArg,
        version: VersionArg,
        at: Annotated[
            datetime | None, strawberry.argument(description="When; now if left out.")
        ] = None,
    ) -> PostPayload:
        return await run_post_write(
            info,
            lambda session, viewer: post_editing.publish_post(
                session,
                viewer=viewer,
                post_id=_post_id(id),
                version=version,
                at=at,
                now=info.context.now,
            ),
        )

    @strawberry.mutation(description="Take a post back to draft.")
    async def unpublish_post(self, info: Info, id: IdArg, version: VersionArg) -> PostPayload:
        return await run_post_write(
            info,
            lambda session, viewer: post_editing.unpublish_post(
                session,
                viewer=viewer,
                post_id=_post_id(id),
                version=version,
                now=info.context.now,
            ),
        )

    @strawberry.mutation(description="Delete a post and its revisions.")
    async def delete_post(self, info: Info, id: IdArg, version: VersionArg) -> DeletePostPayload:
        ctx = info.context
        try:
            viewer = require_viewer(ctx.viewer)
            post_id = _post_id(id)
            await ctx.transaction(
                lambda session: post_editing.delete_post(
                    session, viewer=viewer, post_id=post_id, version=version, now=ctx.now
                )
            )
        except Rejected as rejected:
            return DeletePostPayload(deleted_id=None, errors=_errors(rejected))
        return DeletePostPayload(deleted_id=id, errors=[])
