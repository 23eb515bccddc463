"""Publications: the outlets posts come from, for a site that gathers several (an article index
showing each post's publisher). A single blog has none and sees no difference."""

from typing import Annotated

import strawberry
from strawberry import relay

from resolvers.fields import PUBLICATION
from resolvers.publications import list_publications, publication_by_slug
from schema.context import Info
from schema.stored import StoredType, stored


@strawberry.type(description="Where posts come from, when a site gathers several outlets.")
@stored(PUBLICATION)
class Publication(StoredType, relay.Node):
    id: relay.NodeID[int]


@strawberry.type
class PublicationQueries:
    @strawberry.field(description="Every publication, by name (a site has a few, not thousands).")
    async def publications(self, info: Info) -> list[Publication]:
        return [Publication.from_model(row) for row in await list_publications(info.context)]

    @strawberry.field(description="A publication by its slug; null if there is none.")
    async def publication(
        self,
        info: Info,
        slug: Annotated[str, strawberry.argument(description="The publication's slug.")],
    ) -> Publication | None:
        return (
            Publication.from_model(found)
            if (found := await publication_by_slug(info.context, slug=slug))
            else None
        )
