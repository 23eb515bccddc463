"""The Post type, its connection and facets, and the `posts` connection field shared by the root,
Author.posts and Tag.posts."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry import relay

from models import Post as PostModel
from resolvers import posts
from resolvers.context import Context
from resolvers.fields import IMAGE, POST
from resolvers.loaders import PostRelations
from resolvers.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    PageRequest,
    check_cursors,
)
from resolvers.posts import PostFacet, PostQuery
from schema.connection import Connection, LazyPage
from schema.context import Info
from schema.enums import PostLevel
from schema.inputs import PostFilter, PostOrder, post_filter, post_order
from schema.stored import StoredType, stored
from schema.strawberry_internals import resolve_info

if TYPE_CHECKING:
    from schema.author import Author
    from schema.revision import PostRevisionConnection
    from schema.tag import Tag

AuthorRef = Annotated["Author", strawberry.lazy("schema.author")]
TagRef = Annotated["Tag", strawberry.lazy("schema.tag")]
T = TypeVar("T")
RevisionsRef = Annotated["PostRevisionConnection", strawberry.lazy("schema.revision")]


@strawberry.type(description="An image with its alternative text.")
@stored(IMAGE)
class Image(StoredType):
    pass


@strawberry.type(description="An article, as published.")
@stored(POST)
class Post(StoredType, relay.Node):
    id: relay.NodeID[int]
    # Bylines and tags when the page that listed this post fetched them ahead (see
    # `post_connection`); None: load them through the request's DataLoader when asked.
    relations: strawberry.Private[PostRelations | None] = None

    # The four fields below answer synchronously when the relations were fetched with the page, so
    # a list of posts creates no coroutine per post; otherwise they return an awaitable, which
    # graphql-core awaits like an async resolver's result.
    @strawberry.field(description="Authors in byline order.")
    def authors(self, info: Info) -> list[AuthorRef]:
        return self._relations(info, _authors)  # type: ignore[return-value]  # maybe awaitable

    @strawberry.field(description="Tags in order; the first is the primary tag.")
    def tags(self, info: Info) -> list[TagRef]:
        return self._relations(info, _tags)  # type: ignore[return-value]  # maybe awaitable

    @strawberry.field(description="The first author in the byline.")
    def primary_author(self, info: Info) -> AuthorRef | None:
        return self._relations(info, lambda found: next(iter(_authors(found)), None))  # type: ignore[return-value]

    @strawberry.field(description="The first tag.")
    def primary_tag(self, info: Info) -> TagRef | None:
        return self._relations(info, lambda found: next(iter(_tags(found)), None))  # type: ignore[return-value]

    def _relations(self, info: Info, pick: Callable[[PostRelations], T]) -> T | Awaitable[T]:
        if self.relations is not None:
            return pick(self.relations)

        async def load() -> T:
            return pick(await info.context.loaders.relations_by_post.load(self.id))

        return load()

    @strawberry.field(description="The published versions of this post in other languages.")
    async def translations(self, info: Info) -> list["Post"]:
        models = await info.context.loaders.translations_by_post.load(self.id)
        return [Post.from_model(model) for model in models]

    @strawberry.field(
        description="Every saved version of this post, newest first. Only for editors who may "
        "change the post: anyone else gets null and a FORBIDDEN error."
    )
    async def revisions(
        self,
        info: Info,
        first: Annotated[
            int, strawberry.argument(description=f"Page size, 1 to {MAX_PAGE_SIZE}.")
        ] = DEFAULT_PAGE_SIZE,
        after: Annotated[
            str | None, strawberry.argument(description="Revisions older than this cursor.")
        ] = None,
    ) -> RevisionsRef | None:
        from schema.revision import revision_connection

        return await revision_connection(info, post_id=self.id, first=first, after=after)


def _authors(relations: PostRelations) -> list["Author"]:
    from schema.author import Author

    return [Author.from_model(row) for row in relations.authors]


def _tags(relations: PostRelations) -> list["Tag"]:
    from schema.tag import Tag

    return [Tag.from_model(row) for row in relations.tags]


RELATION_FIELDS = frozenset({"authors", "tags", "primaryAuthor", "primaryTag"})


def _asks_for_relations(info: Info) -> bool:
    """Whether the connection's selection reads bylines or tags of its posts (under `nodes` or
    `edges { node }`, through fragments too)."""
    return _selects(info, ("nodes",), RELATION_FIELDS) or _selects(
        info, ("edges", "node"), RELATION_FIELDS
    )


def _selects(info: Info, path: tuple[str, ...], names: frozenset[str]) -> bool:
    """Whether the field's selection selects one of `names` at `path` below it, through
    fragments too. Walks the document itself, each fragment once per path: expanding fragments
    (as `info.selected_fields` does) would let a fragment bomb cost exponential time and
    memory."""
    raw = resolve_info(info)
    seen: dict[tuple[str, tuple[str, ...]], bool] = {}

    def within(selection_set: SelectionSetNode | None, path: tuple[str, ...]) -> bool:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if not path:
                    if name in names:
                        return True
                elif name == path[0] and within(selection.selection_set, path[1:]):
                    return True
            elif isinstance(selection, InlineFragmentNode):
                if within(selection.selection_set, path):
                    return True
            elif isinstance(selection, FragmentSpreadNode):
                key = (selection.name.value, path)
                if key not in seen:
                    seen[key] = False  # a cycle (refused by validation anyway) ends here
                    fragment = raw.fragments.get(selection.name.value)
                    seen[key] = fragment is not None and within(fragment.selection_set, path)
                if seen[key]:
                    return True
        return False

    return any(within(node.selection_set, path) for node in raw.field_nodes)


FACET_FIELDS = {
    "levels": PostFacet.LEVEL,
    "languages": PostFacet.LANGUAGE,
    "includesCode": PostFacet.INCLUDES_CODE,
    "tags": PostFacet.TAG,
    "authors": PostFacet.AUTHOR,
}


def _summary_parts(info: Info) -> frozenset[str]:
    """The counts the connection's selection asks for: totalCount and facets."""
    parts = {posts.SUMMARY_TOTAL} if _selects(info, (), frozenset({"totalCount"})) else set()
    for field_name, facet in FACET_FIELDS.items():
        if _selects(info, ("facets",), frozenset({field_name})):
            parts.add(facet.value)
    return frozenset(parts)


class Summary:
    """A connection's totalCount and facets, fetched together by one statement the first time
    one of them is awaited (a part the lookahead missed is fetched on its own)."""

    def __init__(self, ctx: Context, query: PostQuery, parts: frozenset[str]) -> None:
        self._ctx = ctx
        self._query = query
        self._parts = parts
        self._task: asyncio.Future[dict[str, Any]] | None = None

    async def get(self, part: str) -> Any:
        if part not in self._parts:
            found = await posts.summarize(self._ctx, query=self._query, parts=frozenset({part}))
            return found[part]
        if self._task is None:
            self._task = asyncio.ensure_future(
                posts.summarize(self._ctx, query=self._query, parts=self._parts)
            )
        return (await self._task)[part]


@strawberry.type(description="Number of matching posts at one level.")
class LevelFacet:
    level: PostLevel | None = strawberry.field(description="The level; null for posts without.")
    count: int = strawberry.field(description="Matching posts.")


@strawberry.type(description="Number of matching posts in one language.")
class LanguageFacet:
    language: str = strawberry.field(description="BCP 47 language code.")
    count: int = strawberry.field(description="Matching posts.")


@strawberry.type(description="Number of matching posts with or without code.")
class IncludesCodeFacet:
    includes_code: bool = strawberry.field(description="Whether the posts include code.")
    count: int = strawberry.field(description="Matching posts.")


@strawberry.type(description="Number of matching posts with one tag.")
class TagFacet:
    tag: TagRef = strawberry.field(description="The tag.")
    count: int = strawberry.field(description="Matching posts.")


@strawberry.type(description="Number of matching posts by one author.")
class AuthorFacet:
    author: AuthorRef = strawberry.field(description="The author.")
    count: int = strawberry.field(description="Matching posts.")


@strawberry.type(
    description="Counts of the matching posts grouped by level, language, code, tag and author, "
    "for filter menus such as 'Beginner (12)'. The lists selected, and totalCount, cost one "
    "query together. Most posts first."
)
class PostFacets:
    summary: strawberry.Private[Summary]

    async def _counts(self, info: Info, facet: PostFacet) -> list[tuple[Any, int]]:
        counts: list[tuple[Any, int]] = await self.summary.get(facet.value)
        return counts

    @strawberry.field(description="Matching posts per level.")
    async def levels(self, info: Info) -> list[LevelFacet]:
        rows = await self._counts(info, PostFacet.LEVEL)
        return [LevelFacet(level=PostLevel(v) if v else None, count=n) for v, n in rows]

    @strawberry.field(description="Matching posts per language.")
    async def languages(self, info: Info) -> list[LanguageFacet]:
        rows = await self._counts(info, PostFacet.LANGUAGE)
        return [LanguageFacet(language=v, count=n) for v, n in rows]

    @strawberry.field(description="Matching posts with and without code.")
    async def includes_code(self, info: Info) -> list[IncludesCodeFacet]:
        rows = await self._counts(info, PostFacet.INCLUDES_CODE)
        return [IncludesCodeFacet(includes_code=bool(v), count=n) for v, n in rows]

    @strawberry.field(description="Matching posts per public tag.")
    async def tags(self, info: Info) -> list[TagFacet]:
        from schema.tag import Tag

        rows = await self._counts(info, PostFacet.TAG)
        return [TagFacet(tag=Tag.from_model(v), count=n) for v, n in rows]

    @strawberry.field(description="Matching posts per author.")
    async def authors(self, info: Info) -> list[AuthorFacet]:
        from schema.author import Author

        rows = await self._counts(info, PostFacet.AUTHOR)
        return [AuthorFacet(author=Author.from_model(v), count=n) for v, n in rows]


@strawberry.type(description="A page of posts.")
class PostConnection(Connection[Post]):
    summary: strawberry.Private[Summary]

    @strawberry.field(description="Counts of all matching posts (not just this page) per facet.")
    def facets(self) -> PostFacets:
        return PostFacets(summary=self.summary)


async def post_listing(
    ctx: Context,
    *,
    filter: PostFilter | None,
    order_by: PostOrder | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    author_id: int | None = None,
    tag_id: int | None = None,
    slugs_in_page: bool = False,
) -> tuple[PostQuery, PageRequest]:
    """What a `posts` field's arguments ask for, checked (cursors, sizes, filter, rights; the
    filter's slugs unless the page's statement will: see `posts.list_post_rows`)."""
    field, descending = post_order(order_by)
    query = PostQuery(
        filter=post_filter(filter),
        order_by=field,
        descending=descending,
        author_id=author_id,
        tag_id=tag_id,
    )
    request = PageRequest(first=first, after=after, last=last, before=before)
    check_cursors(request, ordering=query.ordering, codec=query.codec(ctx))
    await posts.validate_post_query(ctx, query, slugs_in_page=slugs_in_page)
    return query, request


async def post_connection(
    info: Info,
    *,
    filter: PostFilter | None,
    order_by: PostOrder | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    author_id: int | None = None,
    tag_id: int | None = None,
) -> PostConnection:
    ctx = info.context
    query, request = await post_listing(
        ctx,
        filter=filter,
        order_by=order_by,
        first=first,
        after=after,
        last=last,
        before=before,
        author_id=author_id,
        tag_id=tag_id,
    )
    prefetched: dict[int, PostRelations] = {}

    async def fetch() -> Page[PostModel]:
        """The page, and with it the bylines and tags of its posts when they are asked for."""
        page = await posts.list_posts(ctx, query=query, page=request)
        if with_relations and page.items:
            ids = [model.id for model in page.items]
            prefetched.update(zip(ids, await ctx.loaders.relations_for(ids), strict=True))
        return page

    with_relations = _asks_for_relations(info)
    summary = Summary(ctx, query, _summary_parts(info))
    return PostConnection(
        page=LazyPage(
            fetch, lambda model: Post.from_model(model, relations=prefetched.get(model.id))
        ),
        count=lambda: summary.get(posts.SUMMARY_TOTAL),
        summary=summary,
    )
