"""The PostRevision type, the `Post.revisions` connection (for editors only) and
`restorePostRevision`."""

from datetime import datetime
from typing import Annotated

import strawberry

from resolvers import revisions
from resolvers.pagination import PageRequest, check_cursors
from resolvers.revisions import NEWEST_FIRST, RevisionEntry
from schema.connection import Connection, LazyPage
from schema.context import Info
from schema.editing import VersionArg
from schema.node import encode_id, parse_id
from schema.post_mutations import PostPayload, run_post_write


@strawberry.type(description="A post as one successful write left it. Revisions never change.")
class PostRevision:
    id: strawberry.ID = strawberry.field(description="Pass it to `restorePostRevision`.")
    version: int = strawberry.field(description="The post's version after this write.")
    title: str = strawberry.field(description="The headline then.")
    excerpt: str | None = strawberry.field(description="The summary then.")
    body: str = strawberry.field(description="The Markdown body then.")
    edited_by: str = strawberry.field(
        description="Who wrote it: the editor's or integration's name as it was then."
    )
    created_at: datetime = strawberry.field(description="When the write was saved.")
    changed_fields: list[str] = strawberry.field(
        description="The post's fields this write changed compared with the revision before it "
        "(every field for the first revision)."
    )

    @classmethod
    def from_entry(cls, entry: RevisionEntry) -> "PostRevision":
        revision = entry.revision
        return cls(
            id=encode_id("PostRevision", revision.id),
            version=revision.version,
            title=revision.title,
            excerpt=revision.excerpt,
            body=revision.body,
            edited_by=revision.actor,
            created_at=revision.created_at,
            changed_fields=list(entry.changed_fields),
        )


@strawberry.type(description="A page of a post's revisions, newest first.")
class PostRevisionConnection(Connection[PostRevision]):
    pass


async def revision_connection(
    info: Info, *, post_id: int, first: int, after: str | None
) -> PostRevisionConnection:
    """The post's revisions, newest first; FORBIDDEN unless the viewer may edit the post."""
    ctx = info.context
    await revisions.check_may_read(ctx, post_id=post_id)
    request = PageRequest(first=first, after=after)
    check_cursors(request, ordering=NEWEST_FIRST, codec=revisions.revision_codec(ctx, post_id))
    return PostRevisionConnection(
        page=LazyPage(
            lambda: revisions.list_revisions(ctx, post_id=post_id, page=request),
            PostRevision.from_entry,
        ),
        count=lambda: revisions.count_revisions(ctx, post_id=post_id),
    )


@strawberry.type
class RevisionMutations:
    @strawberry.mutation(
        description="Bring back a revision's title, excerpt and body as a new version of its "
        "post (with a revision of its own); everything else stays as it is."
    )
    async def restore_post_revision(
        self,
        info: Info,
        revision_id: Annotated[
            strawberry.ID, strawberry.argument(description="The revision's ID.")
        ],
        version: VersionArg,
    ) -> PostPayload:
        row_id = parse_id(revision_id, expected="PostRevision", argument="revisionId")[1]
        return await run_post_write(
            info,
            lambda session, viewer: revisions.restore_revision(
                session, viewer=viewer, revision_id=row_id, version=version, now=info.context.now
            ),
        )
