"""The Author type."""

import strawberry
from strawberry import relay

from resolvers.fields import AUTHOR
from schema.arguments import After, Before, First, Last, PostFilterArg, PostOrderArg, SearchArg
from schema.context import Info
from schema.post import PostConnection, post_connection
from schema.stored import StoredType, stored


@strawberry.type(description="A person who writes posts.")
@stored(AUTHOR)
class Author(StoredType, relay.Node):
    id: relay.NodeID[int]

    @strawberry.field(description="Number of published posts by this author.")
    async def post_count(self, info: Info) -> int:
        return await info.context.loaders.post_count_by_author.load(self.id)

    @strawberry.field(description="Published posts by this author; same arguments as `posts`.")
    async def posts(
        self,
        info: Info,
        filter: PostFilterArg = None,
        order_by: PostOrderArg = None,
        search: SearchArg = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PostConnection:
        return await post_connection(
            info,
            filter=filter,
            order_by=order_by,
            search=search,
            first=first,
            after=after,
            last=last,
            before=before,
            author_id=self.id,
        )
