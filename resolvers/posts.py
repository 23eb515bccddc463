"""Reading posts: pages, counts, facets and single lookups, as an anonymous reader sees them."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from models import Author, Post, PostAuthor, PostSlug, PostTag, Tag
from resolvers.context import Context
from resolvers.filters import PostFilter, ensure_known_slugs, post_filter_clause
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


class PostOrderField(StrEnum):
    PUBLISHED_AT = "published_at"
    UPDATED_AT = "updated_at"
    TITLE = "title"
    READING_TIME = "reading_time"


_KINDS = {
    PostOrderField.PUBLISHED_AT: "datetime",
    PostOrderField.UPDATED_AT: "datetime",
    PostOrderField.TITLE: "str",
    PostOrderField.READING_TIME: "int",
}


class PostFacet(StrEnum):
    LEVEL = "level"
    LANGUAGE = "language"
    INCLUDES_CODE = "includes_code"
    TAG = "tag"
    AUTHOR = "author"


@dataclass(frozen=True)
class PostQuery:
    """Which posts a connection lists: a filter, an order, and optionally one author or tag."""

    filter: PostFilter | None = None
    order_by: PostOrderField = PostOrderField.PUBLISHED_AT
    descending: bool = True
    author_id: int | None = None
    tag_id: int | None = None

    @property
    def ordering(self) -> Ordering:
        return Ordering(
            name=self.order_by.value,
            key=getattr(Post, self.order_by.value),
            tiebreak=Post.id,
            kind=_KINDS[self.order_by],  # type: ignore[arg-type]
            descending=self.descending,
        )

    def codec(self, ctx: Context) -> CursorCodec:
        scope = ("posts", self.author_id, self.tag_id, self.order_by.value, self.descending)
        return CursorCodec(ctx.secret_key, fingerprint(scope, self.filter))

    def where(self, ctx: Context) -> ColumnElement[bool]:
        clauses = [post_is_visible(ctx.now)]
        if self.filter is not None:
            clauses.append(post_filter_clause(self.filter))
        if self.author_id is not None:
            clauses.append(
                Post.id.in_(
                    select(PostAuthor.post_id).where(PostAuthor.author_id == self.author_id)
                )
            )
        if self.tag_id is not None:
            clauses.append(
                Post.id.in_(select(PostTag.post_id).where(PostTag.tag_id == self.tag_id))
            )
        return and_(*clauses)


async def validate_post_query(ctx: Context, query: PostQuery) -> None:
    async with ctx.session() as session:
        await ensure_known_slugs(session, query.filter)


async def list_posts(ctx: Context, *, query: PostQuery, page: PageRequest) -> Page[Post]:
    async with ctx.session() as session:
        return await fetch_page(
            session,
            select(Post).where(query.where(ctx)),
            ordering=query.ordering,
            request=page,
            codec=query.codec(ctx),
            row_id=lambda post: post.id,
        )


async def count_posts(ctx: Context, *, query: PostQuery) -> int:
    async with ctx.session() as session:
        return await count_rows(session, select(Post.id).where(query.where(ctx)))


async def facet_counts(
    ctx: Context, *, query: PostQuery, facet: PostFacet
) -> list[tuple[Any, int]]:
    """(value, number of matching posts) pairs, most posts first.

    Tag and author facets yield Tag and Author objects; counts only include posts the reader
    may see, and the tag facet only public tags.
    """
    count = func.count(Post.id.distinct()).label("count")
    if facet is PostFacet.TAG:
        statement: Select[Any, int] = (
            select(Tag, count)
            .join(PostTag, PostTag.tag_id == Tag.id)
            .join(Post, Post.id == PostTag.post_id)
            .where(tag_is_visible())
            .group_by(Tag.id)
            .order_by(count.desc(), Tag.name, Tag.id)
        )
    elif facet is PostFacet.AUTHOR:
        statement = (
            select(Author, count)
            .join(PostAuthor, PostAuthor.author_id == Author.id)
            .join(Post, Post.id == PostAuthor.post_id)
            .group_by(Author.id)
            .order_by(count.desc(), Author.name, Author.id)
        )
    else:
        column = getattr(Post, facet.value)
        statement = select(column, count).group_by(column).order_by(count.desc(), column)
    async with ctx.session() as session:
        rows = await session.execute(statement.where(query.where(ctx)))
        return [(value, number) for value, number in rows]


async def get_post(
    ctx: Context, *, post_id: int | None = None, slug: str | None = None
) -> Post | None:
    """By id or slug; a slug the post had before a rename still finds it (the answer carries the
    current slug, so a frontend can redirect)."""
    if post_id is not None:
        condition = Post.id == post_id
    else:
        former = select(PostSlug.post_id).where(PostSlug.slug == slug).scalar_subquery()
        condition = or_(Post.slug == slug, Post.id == former)
    async with ctx.session() as session:
        return await session.scalar(select(Post).where(condition, post_is_visible(ctx.now)))
