"""The Post type, its connection and facets, and the `posts` connection field shared by the root,
Author.posts and Tag.posts."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry import relay

from models import Post as PostModel
from resolvers import posts, search, search_text
from resolvers.context import Context
from resolvers.errors import BadUserInput
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
from resolvers.search_text import SearchQuery
from schema.connection import Connection, Edge, LazyPage, shared_task
from schema.context import Info
from schema.enums import PostLevel
from schema.inputs import PostFilter, PostOrder, post_filter, post_order
from schema.search import (
    HighlightedText,
    PostHighlights,
    body_snippet,
    summary_highlighted,
    title_highlighted,
)
from schema.stored import StoredType, stored
from schema.strawberry_internals import resolve_info

if TYPE_CHECKING:
    from schema.author import Author
    from schema.publication import Publication
    from schema.revision import PostRevisionConnection
    from schema.tag import Tag

AuthorRef = Annotated["Author", strawberry.lazy("schema.author")]
TagRef = Annotated["Tag", strawberry.lazy("schema.tag")]
PublicationRef = Annotated["Publication", strawberry.lazy("schema.publication")]
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

    @strawberry.field(description="The publication it comes from; null on a single blog.")
    async def publication(self, info: Info) -> PublicationRef | None:
        from schema.publication import Publication

        found = await info.context.loaders.publication_by_post.load(self.id)
        return Publication.from_model(found) if found else None

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
    fragments too."""
    return any(node.name.value in names for node in _fields_at(info, path))


def _fields_at(info: Info, path: tuple[str, ...]) -> list[FieldNode]:
    """The fields the field's selection selects at `path` below it, through fragments too.
    Walks the document itself, each fragment once per path: expanding fragments (as
    `info.selected_fields` does) would let a fragment bomb cost exponential time and memory."""
    raw = resolve_info(info)
    seen: set[tuple[str, tuple[str, ...]]] = set()
    found: list[FieldNode] = []

    def within(selection_set: SelectionSetNode | None, path: tuple[str, ...]) -> None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if not path:
                    found.append(selection)
                elif selection.name.value == path[0]:
                    within(selection.selection_set, path[1:])
            elif isinstance(selection, InlineFragmentNode):
                within(selection.selection_set, path)
            elif isinstance(selection, FragmentSpreadNode):
                key = (selection.name.value, path)
                if key not in seen:  # a cycle (refused by validation anyway) ends here too
                    seen.add(key)
                    fragment = raw.fragments.get(selection.name.value)
                    if fragment is not None:
                        within(fragment.selection_set, path)

    for node in raw.field_nodes:
        within(node.selection_set, path)
    return found


def _facets_disjunctive(info: Info, fields: list[FieldNode]) -> set[bool]:
    """How the `facets` fields among `fields` count: disjunctive (True), or not (False)."""
    modes: set[bool] = set()
    for node in fields:
        if node.name.value != "facets":
            continue
        arguments = node.arguments or ()
        argument = next((a for a in arguments if a.name.value == "disjunctive"), None)
        value: Any = False
        if isinstance(argument, ArgumentNode):
            if isinstance(argument.value, VariableNode):
                value = info.variable_values.get(argument.value.name.value)
            elif isinstance(argument.value, BooleanValueNode):
                value = argument.value.value
        modes.add(value is True)
    return modes


MAX_FACET_LIMIT = 1_000
FacetLimit = Annotated[
    int | None,
    strawberry.argument(
        description=f"At most this many values, most posts first (1 to {MAX_FACET_LIMIT}; "
        "default: all). Values the filter chooses are listed anyway, at zero if no post has "
        "them."
    ),
]

FACET_FIELDS = {
    "levels": PostFacet.LEVEL,
    "languages": PostFacet.LANGUAGE,
    "includesCode": PostFacet.INCLUDES_CODE,
    "tags": PostFacet.TAG,
    "authors": PostFacet.AUTHOR,
}


def _summary_parts(info: Info) -> frozenset[str]:
    """The counts the connection's selection asks for together: totalCount, and the facets
    unless they are only asked for disjunctively (`facets(disjunctive: true)`: counted apart)."""
    fields = _fields_at(info, ())
    parts = {posts.SUMMARY_TOTAL} if any(f.name.value == "totalCount" for f in fields) else set()
    if False in _facets_disjunctive(info, fields):
        parts |= _facets_among(_fields_at(info, ("facets",)))
    return frozenset(parts)


def _facet_parts(info: Info) -> frozenset[str]:
    """The facets a `facets` field selects."""
    return _facets_among(_fields_at(info, ()))


def _facets_among(fields: list[FieldNode]) -> frozenset[str]:
    names = {field.name.value for field in fields}
    return frozenset(facet.value for name, facet in FACET_FIELDS.items() if name in names)


class Summary:
    """A connection's totalCount and facets, fetched together by one statement the first time
    one of them is awaited (a part the lookahead missed is fetched on its own)."""

    def __init__(
        self, ctx: Context, query: PostQuery, parts: frozenset[str], *, disjunctive: bool = False
    ) -> None:
        self.ctx = ctx
        self.query = query
        self._parts = parts
        self.disjunctive = disjunctive
        self._task: asyncio.Future[dict[str, Any]] | None = None

    async def get(self, part: str) -> Any:
        if part not in self._parts:
            found = await self._summarize(frozenset({part}))
            return found[part]
        if self._task is None:
            self._task = shared_task(self._summarize(self._parts))
        return (await asyncio.shield(self._task))[part]

    async def _summarize(self, parts: frozenset[str]) -> dict[str, Any]:
        return await posts.summarize(
            self.ctx, query=self.query, parts=parts, disjunctive=self.disjunctive
        )


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


@strawberry.type(description="Number of matching posts from one publication.")
class PublicationFacet:
    publication: PublicationRef = strawberry.field(description="The publication.")
    count: int = strawberry.field(description="Matching posts.")


async def facet_values(
    ctx: Context,
    query: PostQuery,
    facet: PostFacet,
    counts: list[tuple[Any, int]],
    limit: int | None,
) -> list[tuple[Any, int]]:
    """A facet's (value, count) pairs as listed, most first: the first `limit` of `counts`,
    and the values the filter chooses (at its top) wherever they are, at zero when no post has
    them."""
    chosen = posts.selected_values(query, facet)
    named = facet in (PostFacet.TAG, PostFacet.AUTHOR, PostFacet.PUBLICATION)

    def key(value: Any) -> Any:
        return value.slug if named else value

    top = list(counts) if limit is None else counts[:limit]
    shown = {key(value) for value, _ in top}
    top += [(v, n) for v, n in counts[len(top) :] if key(v) in chosen]
    missing = [value for value in chosen if value not in {key(v) for v, _ in counts}]
    if missing and named:
        top += [(row, 0) for row in await posts.named_rows(ctx, facet, missing)]
    elif missing:
        top += [(value, 0) for value in missing if value not in shown]
    return top


@strawberry.type(
    description="Counts of the matching posts grouped by level, language, code, tag, author "
    "and publication, "
    "for filter menus such as 'Beginner (12)'. The lists selected, and totalCount, cost one "
    "query together. Most posts first."
)
class PostFacets:
    summary: strawberry.Private[Summary]

    async def _counts(self, facet: PostFacet, limit: int | None) -> list[tuple[Any, int]]:
        if limit is not None and not 1 <= limit <= MAX_FACET_LIMIT:
            raise BadUserInput(f"`limit` must be between 1 and {MAX_FACET_LIMIT}.", field="limit")
        counts: list[tuple[Any, int]] = await self.summary.get(facet.value)
        return await facet_values(self.summary.ctx, self.summary.query, facet, counts, limit)

    @strawberry.field(description="Matching posts per level.")
    async def levels(self, limit: FacetLimit = None) -> list[LevelFacet]:
        rows = await self._counts(PostFacet.LEVEL, limit)
        return [LevelFacet(level=PostLevel(v) if v else None, count=n) for v, n in rows]

    @strawberry.field(description="Matching posts per language.")
    async def languages(self, limit: FacetLimit = None) -> list[LanguageFacet]:
        rows = await self._counts(PostFacet.LANGUAGE, limit)
        return [LanguageFacet(language=v, count=n) for v, n in rows]

    @strawberry.field(description="Matching posts with and without code.")
    async def includes_code(self, limit: FacetLimit = None) -> list[IncludesCodeFacet]:
        rows = await self._counts(PostFacet.INCLUDES_CODE, limit)
        return [IncludesCodeFacet(includes_code=bool(v), count=n) for v, n in rows]

    @strawberry.field(description="Matching posts per public tag.")
    async def tags(self, limit: FacetLimit = None) -> list[TagFacet]:
        from schema.tag import Tag

        rows = await self._counts(PostFacet.TAG, limit)
        return [TagFacet(tag=Tag.from_model(v), count=n) for v, n in rows]

    @strawberry.field(description="Matching posts per author.")
    async def authors(self, limit: FacetLimit = None) -> list[AuthorFacet]:
        from schema.author import Author

        rows = await self._counts(PostFacet.AUTHOR, limit)
        return [AuthorFacet(author=Author.from_model(v), count=n) for v, n in rows]

    @strawberry.field(
        description="Matching posts per publication (posts with none are not counted)."
    )
    async def publications(self, limit: FacetLimit = None) -> list[PublicationFacet]:
        from schema.publication import Publication

        rows = await self._counts(PostFacet.PUBLICATION, limit)
        return [PublicationFacet(publication=Publication.from_model(v), count=n) for v, n in rows]


@strawberry.type(
    description="A post in a page, with its cursor and, in a search, how well and where it matched."
)
class PostEdge(Edge[Post]):
    model: strawberry.Private[Any]
    search: strawberry.Private[SearchQuery | None]
    score: float | None = strawberry.field(
        description="How well the post matches `search`, when ordered by RELEVANCE (higher is "
        "better; comparable within one search only); else null."
    )

    @strawberry.field(description="Where `search`'s words are in the post; null without one.")
    def highlights(self) -> PostHighlights | None:
        if self.search is None:
            return None
        model, query = self.model, self.search
        summary = summary_highlighted(model, query)
        return PostHighlights(
            title=HighlightedText.of(title_highlighted(model, query)),
            summary=None if summary is None else HighlightedText.of(summary),
            snippet=HighlightedText.of(body_snippet(model, query)),
        )


@strawberry.type(description="A page of posts.")
class PostConnection(Connection[Post]):
    summary: strawberry.Private[Summary]
    query: strawberry.Private[PostQuery]

    @strawberry.field(
        description="The posts of this page with their cursors (in a search, with scores and "
        "highlights)."
    )
    async def edges(self) -> list[PostEdge]:
        edges, _ = await self.page.get()
        page = self.page.loaded
        assert page is not None
        relevance = self.query.order_by is posts.PostOrderField.RELEVANCE
        return [
            PostEdge(
                cursor=edge.cursor,
                node=edge.node,
                model=item,
                search=self.query.search,
                score=key[0][0] if relevance else None,
            )
            for edge, item, key in zip(edges, page.items, page.keys, strict=True)
        ]

    @strawberry.field(description="Counts of all matching posts (not just this page) per facet.")
    def facets(
        self,
        info: Info,
        disjunctive: Annotated[
            bool,
            strawberry.argument(
                description="Count each facet as if the filter's own condition on it (at the "
                "filter's top) were not there, as a search engine's filter menu does: with "
                "Beginner chosen, Intermediate still shows the posts choosing it too would "
                "add. The other conditions, and the search, still apply."
            ),
        ] = False,
    ) -> PostFacets:
        if not disjunctive:
            return PostFacets(summary=self.summary)
        apart = Summary(self.summary.ctx, self.query, _facet_parts(info), disjunctive=True)
        return PostFacets(summary=apart)

    @strawberry.field(
        description='"Did you mean": `search` with each word of five letters or more that no '
        'live post has replaced by one a letter away that one has ("kafak" → "kafka"); null '
        "when no word needs it, or without a search."
    )
    async def search_suggestion(self, info: Info) -> str | None:
        if self.query.search is None:
            return None
        return await search.suggestion(info.context, self.query.search)


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
    search: str | None = None,
    slugs_in_page: bool = False,
) -> tuple[PostQuery, PageRequest]:
    """What a `posts` field's arguments ask for, checked (cursors, sizes, filter, search,
    rights; the filter's slugs unless the page's statement will: see
    `posts.list_post_rows`)."""
    searched = None if search is None else search_text.parse(search)
    field, descending = post_order(order_by, searching=searched is not None)
    query = PostQuery(
        filter=post_filter(filter),
        order_by=field,
        descending=descending,
        author_id=author_id,
        tag_id=tag_id,
        search=searched,
        dialect=ctx.dialect,
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
    search: str | None = None,
) -> PostConnection:
    ctx = info.context
    query, request = await post_listing(
        ctx,
        filter=filter,
        order_by=order_by,
        search=search,
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
        query=query,
    )
