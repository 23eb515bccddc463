"""The Author type."""

from datetime import datetime

import strawberry
from strawberry import relay

from models import Author as AuthorModel
from schema.arguments import After, Before, First, Last, PostFilterArg, PostOrderArg
from schema.context import Info
from schema.post import PostConnection, post_connection


@strawberry.type(description="A person who writes posts.")
class Author(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Display name.")
    slug: str = strawberry.field(description="URL-safe unique name; use it for the author's page.")
    job_title: str | None = strawberry.field(description='Role, e.g. "Staff Software Engineer".')
    bio: str | None = strawberry.field(description="A few sentences about the author.")
    avatar_url: str | None = strawberry.field(description="Absolute URL of a portrait.")
    website: str | None = strawberry.field(description="The author's own site.")
    created_at: datetime = strawberry.field(description="When the profile was created.")
    version: int = strawberry.field(
        description="Changes on every write; send it back with updates so no edit is lost."
    )

    @classmethod
    def from_model(cls, model: AuthorModel) -> "Author":
        return cls(
            id=model.id,
            name=model.name,
            slug=model.slug,
            job_title=model.job_title,
            bio=model.bio,
            avatar_url=model.avatar_url,
            website=model.website,
            created_at=model.created_at,
            version=model.version,
        )

    @strawberry.field(description="Number of published posts by this author.")
    async def post_count(self, info: Info) -> int:
        return await info.context.loaders.post_count_by_author.load(self.id)

    @strawberry.field(description="Published posts by this author; same arguments as `posts`.")
    async def posts(
        self,
        info: Info,
        filter: PostFilterArg = None,
        order_by: PostOrderArg = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PostConnection:
        return await post_connection(
            info,
            filter=filter,
            order_by=order_by,
            first=first,
            after=after,
            last=last,
            before=before,
            author_id=self.id,
        )
