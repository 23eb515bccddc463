"""Reading authors and tags, which page, filter and order the same way."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, func, select

from models import Author, Post, PostAuthor, PostTag, Tag
from resolvers import post_counts
from resolvers.context import Context
from resolvers.filters import NamedFilter, named_filter_clause
from resolvers.pagination import (
    CursorCodec,
    Ordering,
    Page,
    PageRequest,
    count_rows,
    fetch_page,
    fingerprint,
)
from resolvers.visibility import post_is_visible, tag_is_visible


class NamedOrderField(StrEnum):
    NAME = "name"
    POST_COUNT = "post_count"


@dataclass(frozen=True)
class NamedQuery:
    """Which authors (or tags) a connection lists."""

    entity: type[Author] | type[Tag]
    filter: NamedFilter | None = None
    order_by: NamedOrderField = NamedOrderField.NAME
    descending: bool = False

    def ordering(self, ctx: Context, *, counted: bool = False) -> Ordering:
        """`counted`: post counts from the maintained counts (while they are current)."""
        if self.order_by is NamedOrderField.NAME:
            return Ordering("name", self.entity.name, self.entity.id, "str", self.descending)
        count = self.post_count(ctx, counted=counted)
        return Ordering("post_count", count, self.entity.id, "int", self.descending)

    def post_count(self, ctx: Context, *, counted: bool = False) -> SQLColumnExpression[int]:
        if counted:
            return post_counts.posts_of(self.kind, self.entity.id)
        link, owner = (
            (PostAuthor, PostAuthor.author_id)
            if self.entity is Author
            else (PostTag, PostTag.tag_id)
        )
        return (
            select(func.count())
            .select_from(link)
            .join(Post, Post.id == link.post_id)
            .where(owner == self.entity.id, post_is_visible(ctx.now))
            .scalar_subquery()
        )

    def codec(self, ctx: Context) -> CursorCodec:
        scope = (self.entity.__tablename__, self.order_by.value, self.descending)
        return CursorCodec(ctx.secret_key, fingerprint(scope, self.filter))

    def where(self, ctx: Context) -> ColumnElement[bool]:
        clauses = [tag_is_visible()] if self.entity is Tag else []
        if self.filter is not None:
            clauses.append(named_filter_clause(self.filter, entity=self.entity, now=ctx.now))
        return and_(*clauses) if clauses else self.entity.id.is_not(None)

    @property
    def kind(self) -> str:
        """Its cache keys' kind (resolvers.cache_keys)."""
        return "author" if self.entity is Author else "tag"


async def list_named(ctx: Context, *, query: NamedQuery, page: PageRequest) -> Page[Any]:
    async with ctx.reader() as session:
        counted = query.order_by is NamedOrderField.POST_COUNT and await post_counts.is_current(
            session, ctx.now
        )
        found = await fetch_page(
            session,
            select(query.entity).where(query.where(ctx)),
            ordering=query.ordering(ctx, counted=counted),
            request=page,
            codec=query.codec(ctx),
            row_id=lambda row: row.id,
        )
    _read_list(ctx, query)
    ctx.request.read_keys.objects(query.kind, (item.id for item in found.items))
    return found


def _read_list(ctx: Context, query: NamedQuery) -> None:
    """A list of authors or tags may be ordered or filtered by their published posts, so a
    post's change may change it too."""
    ctx.request.read_keys.listed(query.kind)
    ctx.request.read_keys.listed("post")


async def count_named(ctx: Context, *, query: NamedQuery) -> int:
    _read_list(ctx, query)
    async with ctx.reader() as session:
        return await count_rows(session, select(query.entity.id).where(query.where(ctx)))


async def get_author(
    ctx: Context, *, author_id: int | None = None, slug: str | None = None
) -> Author | None:
    condition = Author.id == author_id if author_id is not None else Author.slug == slug
    async with ctx.reader() as session:
        author = await session.scalar(select(Author).where(condition))
    ctx.request.read_keys.looked_up(
        "author", None if author is None else author.id, by_id=author_id
    )
    return author


async def get_tag(
    ctx: Context, *, tag_id: int | None = None, slug: str | None = None
) -> Tag | None:
    condition = Tag.id == tag_id if tag_id is not None else Tag.slug == slug
    async with ctx.reader() as session:
        tag = await session.scalar(select(Tag).where(condition, tag_is_visible()))
    ctx.request.read_keys.looked_up("tag", None if tag is None else tag.id, by_id=tag_id)
    return tag
