"""Reading posts: pages, counts, facets and single lookups, as the request's viewer may see them.

Lookups find any post the viewer may read. Lists, counts and facets show live posts unless the
filter asks for other statuses, so a frontend holding an editor's token never shows a draft by
accident; an editor opts in with `status`, and sees only the drafts and scheduled posts their
role allows.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    Subquery,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from models import (
    Author,
    Post,
    PostAuthor,
    PostLevel,
    PostPublication,
    PostSlug,
    PostStatus,
    PostTag,
    Publication,
    Tag,
)
from resolvers import facet_counts, search
from resolvers.bound_lists import one_of
from resolvers.context import Context
from resolvers.errors import BadUserInput, Forbidden
from resolvers.filters import (
    PostFilter,
    ensure_known_slugs,
    names_slugs,
    post_filter_clause,
    slugs_known_clause,
)
from resolvers.loaders import AUTHOR_SIDE, TAG_SIDE, relation_columns
from resolvers.pagination import (
    CursorCodec,
    Ordering,
    Page,
    PageRequest,
    PageShape,
    fetch_page,
    fingerprint,
    page_of_rows,
    page_params,
    page_statement,
)
from resolvers.search_text import SearchQuery
from resolvers.visibility import (
    LIVE_ONLY,
    NOW,
    may_read_unpublished,
    post_has_status,
    post_is_visible,
    readable_posts,
    tag_is_visible,
)


class PostOrderField(StrEnum):
    PUBLISHED_AT = "published_at"
    UPDATED_AT = "updated_at"
    TITLE = "title"
    READING_TIME = "reading_time"
    RELEVANCE = "relevance"  # a search's score, then the publish date


_KINDS = {
    PostOrderField.PUBLISHED_AT: "datetime",
    PostOrderField.UPDATED_AT: "datetime",
    PostOrderField.TITLE: "str",
    PostOrderField.READING_TIME: "int",
    PostOrderField.RELEVANCE: "relevance",
}
# Drafts have no publish date: ordered by it, they come after every date (first, newest first).
UNPUBLISHED = datetime(9999, 1, 1, tzinfo=UTC)


class PostFacet(StrEnum):
    LEVEL = "level"
    LANGUAGE = "language"
    INCLUDES_CODE = "includes_code"
    TAG = "tag"
    AUTHOR = "author"
    PUBLICATION = "publication"


@dataclass(frozen=True)
class PostQuery:
    """Which posts a connection lists: a filter, an order, and optionally one author or tag."""

    filter: PostFilter | None = None
    order_by: PostOrderField = PostOrderField.PUBLISHED_AT
    descending: bool = True
    author_id: int | None = None
    tag_id: int | None = None
    search: SearchQuery | None = None
    dialect: str = "postgresql"  # what a search's statement is written for

    @cached_property
    def matches(self) -> Subquery | CTE:
        """The posts the search finds, with their scores (resolvers.search)."""
        assert self.search is not None
        return search.matches(self.search, self.dialect, live=self.ranks_from_the_index)

    @property
    def ranks_from_the_index(self) -> bool:
        """A reader's search: its matches come with their publish dates, so a page is ordered
        by the index's columns alone (search.matches with `live`)."""
        return self.statuses == LIVE_ONLY

    @property
    def statuses(self) -> frozenset[PostStatus]:
        if self.filter is None or self.filter.statuses is None:
            return LIVE_ONLY
        return frozenset(self.filter.statuses)

    @cached_property
    def anchor(self) -> "Anchor | None":
        """A tag or an author every listed post has, when its link table can give a page of live
        posts newest first by itself (its copy of each post's date: migration 0015)."""
        if (
            self.order_by is not PostOrderField.PUBLISHED_AT
            or self.statuses != LIVE_ONLY
            or self.search is not None
        ):
            return None
        if self.tag_id is not None:
            return Anchor(PostTag, PostTag.tag_id == self.tag_id, replace(self, tag_id=None))
        if self.author_id is not None:
            owned = PostAuthor.author_id == self.author_id
            return Anchor(PostAuthor, owned, replace(self, author_id=None))
        if self.filter is None:
            return None
        if self.filter.tags is not None and len(slugs := self.filter.tags.slugs) == 1:
            chosen = select(Tag.id).where(Tag.slug == slugs[0]).scalar_subquery()
            rest = replace(self, filter=replace(self.filter, tags=None))
            return Anchor(PostTag, PostTag.tag_id == chosen, rest)
        if self.filter.authors is not None and len(slugs := self.filter.authors.slugs) == 1:
            chosen = select(Author.id).where(Author.slug == slugs[0]).scalar_subquery()
            rest = replace(self, filter=replace(self.filter, authors=None))
            return Anchor(PostAuthor, PostAuthor.author_id == chosen, rest)
        return None

    @cached_property
    def ordering(self) -> Ordering:
        if self.anchor is not None:  # the same dates and ids, from the link table
            link = self.anchor.link
            return Ordering(
                name=self.order_by.value,
                key=link.published_at,
                tiebreak=link.post_id,
                kind="datetime",
                descending=self.descending,
            )
        if self.order_by is PostOrderField.RELEVANCE:
            if self.search is None:
                raise BadUserInput("Ordering by RELEVANCE needs a `search`.", field="orderBy")
            then: Any
            tiebreak: Any
            if self.ranks_from_the_index:  # the same values, from the index
                then, tiebreak = self.matches.c.published_at, self.matches.c.post_id
            else:
                unpublished = literal(UNPUBLISHED, Post.published_at.type)
                then, tiebreak = func.coalesce(Post.published_at, unpublished), Post.id
            return Ordering(
                name="relevance",
                key=self.matches.c.score,
                tiebreak=tiebreak,
                kind="relevance",
                descending=self.descending,
                then=then,
            )
        key = getattr(Post, self.order_by.value)
        if self.order_by is PostOrderField.PUBLISHED_AT and self.statuses != LIVE_ONLY:
            key = func.coalesce(key, literal(UNPUBLISHED, Post.published_at.type))
        return Ordering(
            name=self.order_by.value,
            key=key,
            tiebreak=Post.id,
            kind=_KINDS[self.order_by],  # type: ignore[arg-type]
            descending=self.descending,
        )

    def codec(self, ctx: Context) -> CursorCodec:
        return CursorCodec(ctx.secret_key, self.fingerprint)

    @cached_property
    def fingerprint(self) -> str:
        scope: tuple[Any, ...] = (
            "posts",
            self.author_id,
            self.tag_id,
            self.order_by.value,
            self.descending,
        )
        if self.search is not None:  # a cursor pages through one search's results only
            scope += (self.search.text,)
        return fingerprint(scope, self.filter)

    def where(self, ctx: Context, *, joined: bool = False) -> ColumnElement[bool]:
        return and_(self._visible(ctx), *self.conditions(joined=joined))

    def conditions(self, *, joined: bool = False) -> list[ColumnElement[bool]]:
        """What the query asks of posts besides being visible; `joined`: the statement joins
        the search's `matches` already."""
        clauses: list[ColumnElement[bool]] = []
        if self.search is not None and not joined:
            clauses.append(Post.id.in_(search.matching_ids(self.search, self.dialect)))
        if self.filter is not None:
            clauses.append(post_filter_clause(self.filter))
        # EXISTS for the same reason as in filters._slug_match: SQLite walks the ordering index.
        # Correlated to Post only: a facet joins the relation tables too (Tag.posts { facets }).
        if self.author_id is not None:
            clauses.append(
                select(PostAuthor.post_id)
                .where(PostAuthor.post_id == Post.id, PostAuthor.author_id == self.author_id)
                .correlate(Post)
                .exists()
            )
        if self.tag_id is not None:
            clauses.append(
                select(PostTag.post_id)
                .where(PostTag.post_id == Post.id, PostTag.tag_id == self.tag_id)
                .correlate(Post)
                .exists()
            )
        return clauses

    def anchored_conditions(self) -> list[ColumnElement[bool]]:
        """`conditions` for a statement that lists the anchor's links joined to their posts:
        the anchor's own condition is the links', the rest the posts'."""
        anchor = self.anchor
        assert anchor is not None
        return [anchor.owned, anchor.link.published_at <= NOW, *anchor.rest.conditions()]

    def _visible(self, ctx: Context) -> ColumnElement[bool]:
        """Live posts every viewer may read, by default with the very same SQL for all; other
        statuses only as far as the viewer may read them."""
        if self.statuses == LIVE_ONLY:
            return post_is_visible(ctx.now)
        chosen = or_(*(post_has_status(status, ctx.now) for status in sorted(self.statuses)))
        return and_(chosen, readable_posts(ctx.viewer, ctx.now))


@dataclass(frozen=True)
class Anchor:
    """A tag or an author all posts of a list have (see PostQuery.anchor)."""

    link: type[PostTag] | type[PostAuthor]
    owned: ColumnElement[bool]  # the link's tag or author is the anchor
    rest: "PostQuery"  # the list without the anchor's condition


async def validate_post_query(
    ctx: Context, query: PostQuery, *, slugs_in_page: bool = False
) -> None:
    """Refuse what the query may not ask for, before any page or count runs. With
    `slugs_in_page` the filter's tag and author slugs are left to the page's statement (see
    `list_post_rows`); else they are looked up here."""
    if query.statuses != LIVE_ONLY and not may_read_unpublished(ctx.viewer):
        raise Forbidden(
            "Only logged-in editors, and integration tokens with the editor or admin role, "
            "may list drafts and scheduled posts.",
            field="filter.status",
        )
    if not slugs_in_page:
        async with ctx.reader() as session:
            await ensure_known_slugs(session, query.filter)


async def list_posts(ctx: Context, *, query: PostQuery, page: PageRequest) -> Page[Post]:
    return await _list(ctx, query=query, page=page, columns=None)


async def list_post_rows(
    ctx: Context,
    *,
    query: PostQuery,
    page: PageRequest,
    columns: Iterable[str],
    slugs_in_page: bool = False,
) -> Page[Any]:
    """Like `list_posts`, as rows of only the named columns of Post (the id always). With
    `slugs_in_page` (the query was validated with it too), the page's statement checks the
    filter's slugs: one statement less for a tag or author page; an unknown slug empties the
    page, and only then are they looked up, to raise the error."""
    slugs_in_page = slugs_in_page and names_slugs(query.filter)
    found = await _list(
        ctx,
        query=query,
        page=page,
        columns=tuple(sorted({"id", *columns})),
        slugs_in_page=slugs_in_page,
    )
    if slugs_in_page and not found.items:
        async with ctx.reader() as session:
            await ensure_known_slugs(session, query.filter)
    return found


async def _list(
    ctx: Context,
    *,
    query: PostQuery,
    page: PageRequest,
    columns: tuple[str, ...] | None,
    slugs_in_page: bool = False,
) -> Page[Any]:
    found = await _fetch(ctx, query=query, page=page, columns=columns, slugs_in_page=slugs_in_page)
    ctx.request.read_keys.listed("post")
    ctx.request.read_keys.objects("post", (_row_id(item) for item in found.items))
    return found


async def _fetch(
    ctx: Context,
    *,
    query: PostQuery,
    page: PageRequest,
    columns: tuple[str, ...] | None,
    slugs_in_page: bool,
) -> Page[Any]:
    whole_rows = columns is not None
    params: dict[str, Any] = {}
    codec = query.codec(ctx)
    if query.statuses == LIVE_ONLY and query.search is None:
        statement = _live_page(query, columns, PageShape.of(page), slugs_in_page=slugs_in_page)
        params["now"] = ctx.now
        if whole_rows:  # what frontends list on every page view: built once, run directly
            params |= page_params(ordering=query.ordering, request=page, codec=codec)
            return page_of_rows(
                await ctx.rows(statement, params),
                ordering=query.ordering,
                request=page,
                codec=codec,
                row_id=_row_id,
                whole_rows=True,
            )
    elif _ranked_alone(query):
        return await _fetch_ranked(ctx, query, page, columns)
    else:
        selected = select(*post_columns(columns)) if columns else select(Post)
        if query.search is not None:  # the search's scores, for its order and its edges
            selected = selected.join(query.matches, query.matches.c.post_id == Post.id)
            if query.ranks_from_the_index:
                params["now"] = ctx.now
        where = query.where(ctx, joined=query.search is not None)
        if slugs_in_page and query.filter is not None:
            where = and_(where, slugs_known_clause(query.filter))
        statement = page_statement(
            selected.where(where), ordering=query.ordering, shape=PageShape.of(page)
        )
    async with ctx.reader() as session:
        return await fetch_page(
            session,
            statement,
            ordering=query.ordering,
            request=page,
            codec=codec,
            row_id=_row_id,
            whole_rows=whole_rows,
            prepared=True,
            params=params,
        )


def _searched_alone(query: PostQuery) -> bool:
    """A reader's search with nothing else asked: the index alone knows which posts it finds
    (search.matches with `live`, search.live_matching_ids)."""
    return (
        query.search is not None
        and query.ranks_from_the_index
        and not query.conditions(joined=True)
    )


def _ranked_alone(query: PostQuery) -> bool:
    """`_searched_alone` by relevance: its page can be cut from the index's matches before any
    post is read."""
    return _searched_alone(query) and query.order_by is PostOrderField.RELEVANCE


async def _fetch_ranked(
    ctx: Context, query: PostQuery, page: PageRequest, columns: tuple[str, ...] | None
) -> Page[Any]:
    """A `_ranked_alone` search's page, which also tells how many posts the search finds: a
    search box shows both, and counted apart the matches were read twice. Its statement is
    built once per shape, the search's words bound at execution (search.BOUND)."""
    assert query.search is not None
    template, shape = replace(query, search=search.BOUND), PageShape.of(page)
    statement, ordering = _ranked_built(template, columns, shape)
    codec = query.codec(ctx)
    params = {
        "now": ctx.now,
        "search_query": search.bound_words(query.search, ctx.dialect),
        **page_params(ordering=ordering, request=page, codec=codec),
    }
    if columns is not None:
        rows = await ctx.rows(statement, params)
    else:
        async with ctx.reader() as session:
            rows = (await session.execute(statement, params)).all()
    if rows:
        ctx.loaders.search_totals[query] = int(rows[0].total)
    return page_of_rows(
        rows,
        ordering=ordering,
        request=page,
        codec=codec,
        row_id=_row_id,
        whole_rows=columns is not None,
    )


@lru_cache(maxsize=256)
def _ranked_built(
    template: PostQuery, columns: tuple[str, ...] | None, shape: PageShape
) -> tuple[Any, Ordering]:
    """`_ranked_page` of a search.BOUND search and its ordering, built once per shape."""
    return _ranked_page(template, columns, shape), template.ordering


def _ranked_page(query: PostQuery, columns: tuple[str, ...] | None, shape: PageShape) -> Any:
    """The page of a search `_ranked_alone` answers: the matches' page first (sorted from the
    index's scores, dates and ids: search.matches with `live`), then its posts, each row with
    the number of matches (`total`). Joined first, PostgreSQL read the post of every match
    before sorting them."""
    matches = query.matches
    ranked = page_statement(
        select(matches.c.post_id), ordering=query.ordering, shape=shape
    ).subquery("ranked")
    total = select(func.count()).select_from(matches).scalar_subquery()
    descending = query.ordering.descending != shape.backward
    order = [ranked.c.sort_value, ranked.c.then_value, ranked.c.post_id]
    selected = select(*post_columns(columns)) if columns else select(Post)
    return (
        selected.add_columns(ranked.c.sort_value, ranked.c.then_value, total.label("total"))
        .join(ranked, ranked.c.post_id == Post.id)
        .where(post_is_visible(NOW))
        .order_by(*(column.desc() if descending else column.asc() for column in order))
    )


def _row_id(item: Any) -> int:
    return int(item.id)


@lru_cache(maxsize=512)
def _live_page(
    query: PostQuery,
    columns: tuple[str, ...] | None,
    shape: PageShape,
    *,
    slugs_in_page: bool = False,
) -> Select[Any]:
    """The statement of a page of live posts (what every reader lists), built once per query
    and shape: building it cost more than running it. `now` and the page's values are bound per
    call. Rows of `columns`, or Post entities; with `slugs_in_page`, empty unless every slug the
    filter names exists."""
    selected = select(*post_columns(columns)) if columns else select(Post)
    if query.anchor is not None:
        link = query.anchor.link
        statement = (
            selected.select_from(link)
            .join(Post, Post.id == link.post_id)
            .where(post_is_visible(NOW), *query.anchored_conditions())
        )
    else:
        statement = selected.where(post_is_visible(NOW), *query.conditions())
    if slugs_in_page and query.filter is not None:
        statement = statement.where(slugs_known_clause(query.filter))
    return page_statement(statement, ordering=query.ordering, shape=shape)


def post_columns(names: Iterable[str]) -> list[Any]:
    return [getattr(Post, name) for name in sorted({"id", *names})]


SUMMARY_TOTAL = "totalCount"


async def summarize(
    ctx: Context,
    *,
    query: PostQuery,
    parts: frozenset[str],
    disjunctive: bool = False,
    limits: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The number of matching posts (part `SUMMARY_TOTAL`) and the asked facets (parts named by
    PostFacet values), in one statement: a UNION ALL of their aggregates.

    A facet is a list of (value, number of matching posts) pairs, most posts first, ties by
    value (nulls last) or by name: Tag and Author rows for the tag and author facets; counts
    only include posts the reader may see, the tag facet only public tags. `disjunctive`: each
    facet counts as if the filter's own condition on its dimension (at the filter's top) were
    not there, as a search engine's filter menu does: with "Beginner" chosen, "Intermediate"
    still shows how many posts choosing it too would add. `limits`: the tag and author facets
    need only their first N values, and the ones the filter chooses.
    """
    ctx.request.read_keys.listed("post")
    if not parts:
        return {}
    known = ctx.loaders.search_totals.get(query)
    if parts == {SUMMARY_TOTAL} and known is not None:  # its page counted it
        return {SUMMARY_TOTAL: known}
    asked = {part: _without(query, part) if disjunctive else query for part in sorted(parts)}
    limits = limits or {}
    rows = await _summary_rows(ctx, query, asked, limits, counted=True)
    if rows is None:  # a scheduled post's instant has come and it is not counted yet
        rows = await _summary_rows(ctx, query, asked, limits, counted=False)
        assert rows is not None
    result: dict[str, Any] = {part: [] for part in parts}
    for row in rows:
        result[row.part].append(row)
    summary: dict[str, Any] = {}
    for part, found in result.items():
        if part == SUMMARY_TOTAL:
            summary[part] = int(found[0].count) if found else 0
        elif part in (PostFacet.TAG, PostFacet.AUTHOR):
            unique = {row.id: row for row in found}.values()  # the top N and the chosen ones
            ordered = sorted(unique, key=lambda row: (-row.count, row.name, row.id))
            summary[part] = [(row, int(row.count)) for row in ordered]
        elif part == PostFacet.PUBLICATION:
            summary[part] = await _publications_counted(ctx, found)
        else:
            found.sort(key=lambda row: (-row.count, row.value is None, row.value or ""))
            summary[part] = [(_facet_value(part, row.value), int(row.count)) for row in found]
    return summary


GROUPED = facet_counts.CELL_PARTS
"""The parts one scan of the posts (or one read of the counts' cells) answers together, when
they count the same posts: a post has one value of each."""
GROUPED_PART = facet_counts.GROUPED_PART


@dataclass(frozen=True)
class _Row:
    """A part's row summed from grouped rows, as `summarize` reads rows."""

    part: str
    value: str | None
    count: int


async def _summary_rows(
    ctx: Context,
    query: PostQuery,
    asked: dict[str, PostQuery],
    limits: Mapping[str, int],
    *,
    counted: bool,
) -> list[Any] | None:
    """Every part's rows in one statement (see `_summary_statement`). None when the counts
    were used but a scheduled post's instant has come and it is not counted yet."""
    parts = tuple(asked.items())
    shown = tuple(sorted(limits.items()))
    if all(q.search is None and q.statuses == LIVE_ONLY for q in asked.values()):
        # What every reader's filter menu asks: built once, with the clock bound per call.
        statement, uses_counts = _shared_summary(query, parts, shown, counted, ctx.dialect)
        rows: list[Any] = list(await ctx.rows(statement, {"now": ctx.now}))
    else:
        statement, uses_counts = _summary_statement(
            query, parts, shown, counted, ctx.dialect, where=lambda q: q.where(ctx), now=ctx.now
        )
        async with ctx.reader() as session:
            rows = list((await session.execute(statement)).all())
    if uses_counts and any(row.part == facet_counts.PENDING and row.count for row in rows):
        return None
    found_rows: list[Any] = []
    grouped: dict[tuple[str, str | None], int] = {}
    for row in rows:
        if row.part.startswith(GROUPED_PART):
            for part, value in _grouped_values(row):
                grouped[part, value] = grouped.get((part, value), 0) + int(row.count)
        elif row.part != facet_counts.PENDING:
            found_rows.append(row)
    return found_rows + [_Row(part, value, count) for (part, value), count in grouped.items()]


@lru_cache(maxsize=512)
def _shared_summary(
    query: PostQuery,
    parts: tuple[tuple[str, PostQuery], ...],
    limits: tuple[tuple[str, int], ...],
    counted: bool,
    dialect: str,
) -> tuple[CompoundSelect[Any], bool]:
    """`_summary_statement` for live posts and no search, built once (building it cost more
    than running it), the request's clock bound as `now`."""
    return _summary_statement(
        query,
        parts,
        limits,
        counted,
        dialect,
        where=lambda q: and_(post_is_visible(NOW), *q.conditions()),
        now=NOW,
    )


def _summary_statement(
    query: PostQuery,
    parts: tuple[tuple[str, PostQuery], ...],
    limits: tuple[tuple[str, int], ...],
    counted: bool,
    dialect: str,
    *,
    where: Callable[[PostQuery], ColumnElement[bool]],
    now: Any,
) -> tuple[CompoundSelect[Any], bool]:
    """One UNION ALL of every part's rows: from the maintained counts (resolvers.post_counts)
    when `counted` and they answer that part's query, else from the posts (`where` says which
    a part counts); the parts of GROUPED that count the same posts from one read (of the
    counts' cells, or of the posts). And whether it reads the counts."""
    branches: list[Select[Any]] = []
    cells: dict[PostQuery, tuple[facet_counts.Cells, list[str]]] = {}
    live: dict[PostQuery, list[str]] = {}
    shown = dict(limits)
    for part, part_query in parts:
        conditions = _counts_conditions(part_query) if counted else None
        if part in GROUPED:
            if (found := facet_counts.cells_of(conditions)) is not None:
                cells.setdefault(part_query, (found, []))[1].append(part)
                continue
        elif (condition := facet_counts.pair_condition(conditions)) is not None:
            branch = facet_counts.counted_branch(part, condition, dialect)
            branches.extend(_first_values(dialect, part, branch, query, shown))
            continue
        live.setdefault(part_query, []).append(part)
    for found, cell_parts in cells.values():
        branches.append(facet_counts.cells_branch(cell_parts, found))
    uses_counts = bool(branches)
    for part_query, live_parts in live.items():
        counting = where(part_query)
        together = [part for part in live_parts if part in GROUPED]
        if len(together) > 1:
            branches.append(_grouped_branch(together, counting))
        for part in live_parts:
            if part in together and len(together) > 1:
                continue
            if part == SUMMARY_TOTAL and _searched_alone(part_query):
                branches.append(_search_total(part_query, now))
                continue
            branch = _summary_branch(part, counting)
            branches.extend(_first_values(dialect, part, branch, query, shown))
    if uses_counts:
        branches.append(facet_counts.pending_branch(now))
    return union_all(*branches), uses_counts


def _search_total(query: PostQuery, now: Any) -> Select[Any]:
    """The total of a `_searched_alone` search, counted in the index table."""
    assert query.search is not None
    found = search.live_matching_ids(query.search, query.dialect, now).subquery()
    return select(
        literal(SUMMARY_TOTAL, String()).label("part"),
        null().cast(String()).label("value"),
        func.count().label("count"),
        *facet_counts.no_entity(),
    ).select_from(found)


def _first_values(
    dialect: str, part: str, branch: Select[Any], query: PostQuery, limits: Mapping[str, int]
) -> list[Select[Any]]:
    """A tag or author facet's branch cut to its first `limits[part]` values, in `summarize`'s
    order (names compared as code points, as Python does), and the values `query`'s filter
    chooses; the branch itself otherwise."""
    limit = limits.get(part)
    if limit is None or part not in (PostFacet.TAG, PostFacet.AUTHOR):
        return [branch]
    counted = branch.subquery()
    name = counted.c.name.collate("C") if dialect == "postgresql" else counted.c.name
    top = (
        select(*counted.c)
        .order_by(counted.c.count.desc(), name, counted.c.id)
        .limit(limit)
        .subquery()
    )
    branches = [select(*top.c)]
    chosen = selected_values(query, PostFacet(part))
    if chosen:  # comparisons, not an expanding IN: runnable on the driver directly
        branches.append(select(*counted.c).where(one_of(counted.c.slug, chosen)))
    return branches


def _counts_conditions(query: PostQuery) -> list[facet_counts.Condition] | None:
    """The query's conditions as the maintained counts see them, if they can answer it."""
    if query.search is not None or query.statuses != LIVE_ONLY:
        return None
    return facet_counts.conditions_of(query.filter, tag_id=query.tag_id, author_id=query.author_id)


def _grouped_branch(parts: list[str], where: ColumnElement[bool]) -> Select[Any]:
    """One scan counting the posts per (level, language, includesCode): rows of part
    "grouped:" and the parts, whose value is the three joined with "|"."""
    label = literal(GROUPED_PART + ",".join(parts), String()).label("part")
    code = case((Post.includes_code, "true"), else_="false")
    value = func.coalesce(Post.level.cast(String()), "") + "|" + Post.language + "|" + code
    return (
        select(label, value.label("value"), func.count().label("count"), *facet_counts.no_entity())
        .where(where)
        .group_by(Post.level, Post.language, Post.includes_code)
    )


def _grouped_values(row: Any) -> list[tuple[str, str | None]]:
    """The (part, value) pairs a grouped row counts for."""
    level, language, code = row.value.split("|")
    values = {
        SUMMARY_TOTAL: None,
        PostFacet.LEVEL: level or None,
        PostFacet.LANGUAGE: language,
        PostFacet.INCLUDES_CODE: code,
    }
    return [(part, values[part]) for part in row.part.removeprefix(GROUPED_PART).split(",")]


FACET_CONDITIONS = {
    PostFacet.LEVEL: "levels",
    PostFacet.LANGUAGE: "languages",
    PostFacet.INCLUDES_CODE: "includes_code",
    PostFacet.TAG: "tags",
    PostFacet.AUTHOR: "authors",
    PostFacet.PUBLICATION: "publications",
}
"""Each facet's dimension: the PostFilter field that chooses values of it."""


def _without(query: PostQuery, part: str) -> PostQuery:
    """`query` without its filter's top-level condition on the facet `part`'s dimension."""
    condition = FACET_CONDITIONS.get(PostFacet(part)) if part != SUMMARY_TOTAL else None
    if query.filter is None or condition is None or getattr(query.filter, condition) is None:
        return query
    cleared: dict[str, Any] = {condition: None}
    return replace(query, filter=replace(query.filter, **cleared))


def selected_values(query: PostQuery, facet: PostFacet) -> list[Any]:
    """The values of `facet`'s dimension the filter chooses at its top: levels, languages,
    includesCode, or tag or author slugs."""
    chosen = None if query.filter is None else getattr(query.filter, FACET_CONDITIONS[facet])
    if chosen is None:
        return []
    if facet in (PostFacet.TAG, PostFacet.AUTHOR):
        return list(chosen.slugs)
    return [chosen] if facet is PostFacet.INCLUDES_CODE else list(chosen)


async def _publications_counted(ctx: Context, found: list[Any]) -> list[tuple[Any, int]]:
    """The publication facet's rows (its ids in `value`) as (Publication, count), most first."""
    ids = [int(row.value) for row in found]
    ctx.request.read_keys.objects("publication", ids)
    async with ctx.reader() as session:
        rows = {
            p.id: p
            for p in await session.scalars(select(Publication).where(Publication.id.in_(ids)))
        }
    counted = [(rows[int(row.value)], int(row.count)) for row in found if int(row.value) in rows]
    counted.sort(key=lambda pair: (-pair[1], pair[0].name, pair[0].id))
    return counted


async def named_rows(ctx: Context, facet: PostFacet, slugs: list[str]) -> list[Any]:
    """Tag or author rows of a facet (as `summarize` gives them) for these slugs: the chosen
    values no matching post has."""
    if facet is PostFacet.PUBLICATION:
        async with ctx.reader() as session:
            found = await session.scalars(select(Publication).where(Publication.slug.in_(slugs)))
            return sorted(found, key=lambda row: row.id)
    if facet is PostFacet.TAG:
        statement = select(Tag.id.label("id"), *relation_columns(TAG_SIDE)).where(
            Tag.slug.in_(slugs), tag_is_visible()
        )
    else:
        statement = select(Author.id.label("id"), *relation_columns(AUTHOR_SIDE)).where(
            Author.slug.in_(slugs)
        )
    return sorted(await ctx.rows(statement, {}, built_once=False), key=lambda row: row.id)


def _facet_value(part: str, value: str | None) -> Any:
    if value is None:
        return None
    if part == PostFacet.INCLUDES_CODE:
        return value == "true"
    return PostLevel(value) if part == PostFacet.LEVEL else value


def _summary_branch(part: str, where: ColumnElement[bool]) -> Select[Any]:
    """One part of `summarize`: rows of (part, value, count, then the relation columns)."""
    label = literal(part, String()).label("part")
    no_value = null().cast(String()).label("value")
    if part == SUMMARY_TOTAL:
        return select(
            label, no_value, func.count(Post.id).label("count"), *facet_counts.no_entity()
        ).where(where)
    # Plain counts are exact: a post is one row per group, and a (post, tag) or (post, author)
    # relation exists once (their primary keys); counting distinct ids costs a sort per group.
    count = func.count().label("count")
    if part == PostFacet.TAG:
        return (
            select(label, no_value, count, Tag.id.label("id"), *relation_columns(TAG_SIDE))
            .join(PostTag, PostTag.tag_id == Tag.id)
            .join(Post, Post.id == PostTag.post_id)
            .where(tag_is_visible(), where)
            .group_by(Tag.id)
        )
    if part == PostFacet.AUTHOR:
        return (
            select(label, no_value, count, Author.id.label("id"), *relation_columns(AUTHOR_SIDE))
            .join(PostAuthor, PostAuthor.author_id == Author.id)
            .join(Post, Post.id == PostAuthor.post_id)
            .where(where)
            .group_by(Author.id)
        )
    if part == PostFacet.PUBLICATION:
        return (
            select(
                label,
                PostPublication.publication_id.cast(String()).label("value"),
                count,
                *facet_counts.no_entity(),
            )
            .join(Post, Post.id == PostPublication.post_id)
            .where(where)
            .group_by(PostPublication.publication_id)
        )
    column = getattr(Post, PostFacet(part).value)
    value = (
        case((column, "true"), else_="false")
        if part == PostFacet.INCLUDES_CODE
        else column.cast(String())
    )
    return (
        select(label, value.label("value"), count, *facet_counts.no_entity())
        .where(where)
        .group_by(column)
    )


async def get_post(
    ctx: Context,
    *,
    post_id: int | None = None,
    slug: str | None = None,
    columns: Iterable[str] | None = None,
) -> Any:
    """By id or slug, if the viewer may read it; a slug the post had before a rename still finds
    it (the answer carries the current slug, so a frontend can redirect). The Post, or with
    `columns` a row of those columns."""
    found = await _get(ctx, post_id=post_id, slug=slug, columns=columns)
    ctx.request.read_keys.looked_up("post", None if found is None else found.id, by_id=post_id)
    if found is not None and slug is not None and found.slug != slug:
        ctx.request.read_keys.listed("post")  # a former slug: another post may take it
    return found


async def _get(
    ctx: Context, *, post_id: int | None, slug: str | None, columns: Iterable[str] | None
) -> Any:
    if columns is not None and slug is not None:
        columns = {"slug", *columns}  # tells a former slug from the current one
    selected = tuple(sorted({"id", *columns})) if columns is not None else None
    params: dict[str, Any] = {"post_id": post_id} if post_id is not None else {"slug": slug}
    built_once = not may_read_unpublished(ctx.viewer)
    if not built_once:  # an editor's view, bound to who they are
        statement = _lookup(selected, by_id=post_id is not None).where(
            readable_posts(ctx.viewer, ctx.now)
        )
    else:  # what readers see: live posts, with a statement built once
        statement, params["now"] = _live_lookup(selected, by_id=post_id is not None), ctx.now
    if selected is not None:
        rows = await ctx.rows(statement, params, built_once=built_once)
        return rows[0] if rows else None
    async with ctx.reader() as session:
        return await session.scalar(statement, params)


def _lookup(columns: tuple[str, ...] | None, *, by_id: bool) -> Select[Any]:
    """One post by the bound `post_id`, or by the bound `slug`, current or former."""
    selected = select(*post_columns(columns)) if columns is not None else select(Post)
    if by_id:
        return selected.where(Post.id == bindparam("post_id", type_=Integer()))
    slug = bindparam("slug", type_=String())
    former = select(PostSlug.post_id).where(PostSlug.slug == slug).scalar_subquery()
    return selected.where(or_(Post.slug == slug, Post.id == former))


@lru_cache(maxsize=64)
def _live_lookup(columns: tuple[str, ...] | None, *, by_id: bool) -> Select[Any]:
    return _lookup(columns, by_id=by_id).where(post_is_visible(NOW))
