"""The Tag type."""

from enum import Enum

import strawberry
from strawberry import relay

from models import Tag as TagModel
from models import TagVisibility as TagVisibilityValue
from schema.arguments import After, Before, First, Last, PostFilterArg, PostOrderArg
from schema.context import Info
from schema.post import PostConnection, post_connection


@strawberry.enum(description="Who sees a tag.")
class TagVisibility(Enum):
    PUBLIC = strawberry.enum_value(TagVisibilityValue.PUBLIC, description="Everyone.")
    INTERNAL = strawberry.enum_value(
        TagVisibilityValue.INTERNAL, description="Editors only; never shown to readers."
    )


@strawberry.type(description="A category such as Infrastructure or Trust & Safety.")
class Tag(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Display name.")
    slug: str = strawberry.field(description="URL-safe unique name; use it for the tag's page.")
    description: str | None = strawberry.field(description="What the tag covers.")
    visibility: TagVisibility = strawberry.field(description="Who sees the tag.")
    version: int = strawberry.field(
        description="Changes on every write; send it back with updates so no edit is lost."
    )

    @classmethod
    def from_model(cls, model: TagModel) -> "Tag":
        return cls(
            id=model.id,
            name=model.name,
            slug=model.slug,
            description=model.description,
            visibility=TagVisibility(model.visibility),
            version=model.version,
        )

    @strawberry.field(description="Number of published posts with this tag.")
    async def post_count(self, info: Info) -> int:
        return await info.context.loaders.post_count_by_tag.load(self.id)

    @strawberry.field(description="Published posts with this tag; same arguments as `posts`.")
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
            tag_id=self.id,
        )
