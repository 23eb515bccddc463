"""Reading publications."""

from collections.abc import Sequence

from sqlalchemy import select

from models import Publication
from resolvers.context import Context

MAX_PUBLICATIONS = 500
"""`publications` lists at most this many: an aggregator's outlets, not a paged catalogue."""


async def list_publications(ctx: Context) -> Sequence[Publication]:
    ctx.request.read_keys.listed("publication")
    async with ctx.reader() as session:
        found = await session.scalars(
            select(Publication).order_by(Publication.name, Publication.id).limit(MAX_PUBLICATIONS)
        )
        return list(found)


async def publication_by_slug(ctx: Context, *, slug: str) -> Publication | None:
    async with ctx.reader() as session:
        found = await session.scalar(select(Publication).where(Publication.slug == slug))
    ctx.request.read_keys.looked_up("publication", None if found is None else found.id)
    return found
