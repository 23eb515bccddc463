"""Per-request DataLoaders: one SQL statement per relation per request, whatever the page size."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    CompoundSelect,
    Select,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import aliased
from strawberry.dataloader import DataLoader

from models import Author, Post, PostAuthor, PostPublication, PostTag, Publication, Tag
from resolvers import post_counts
from resolvers.bound_lists import among
from resolvers.fields import AUTHOR, TAG
from resolvers.visibility import NOW, post_is_visible, readable_posts, tag_is_visible

if TYPE_CHECKING:
    from resolvers.context import Context

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class PostRelations:
    """A post's authors in byline order and its public tags in order, as rows carrying the
    columns `schema.author.Author` and `schema.tag.Tag` are built from."""

    authors: list[Any]
    tags: list[Any]


def _relation_columns() -> dict[str, tuple[Any, Any, Any]]:
    """The columns a relation row may carry (those the fields of Author and Tag read), by label:
    the author's and the tag's column (None: that side has no such column) and its type, for
    the NULL that stands in."""
    labels = [c for stored in (AUTHOR, TAG) for f in stored if not f.node_id for c in f.columns]
    found = {}
    for label in dict.fromkeys(labels):
        author, tag = Author.__table__.c.get(label), Tag.__table__.c.get(label)
        column = author if author is not None else tag
        assert column is not None, f"Author and Tag have no column {label}"
        found[label] = (
            None if author is None else getattr(Author, label),
            None if tag is None else getattr(Tag, label),
            column.type,
        )
    return found


_RELATION_COLUMNS = _relation_columns()
RELATION_COLUMNS = frozenset(_RELATION_COLUMNS)
AUTHOR_SIDE, TAG_SIDE = 0, 1


def no_relation_columns() -> list[Any]:
    """NULLs in place of every column of `relation_columns`, for rows that are no relation."""
    columns = []
    for label, (author, tag, _) in _RELATION_COLUMNS.items():
        columns.append(null().cast((author if author is not None else tag).type).label(label))
    return columns


def relation_columns(side: int, labels: Iterable[str] = _RELATION_COLUMNS) -> list[Any]:
    """The author's (AUTHOR_SIDE) or the tag's (TAG_SIDE) columns of `labels`, in one order,
    NULL where that side has no such column: rows of either can share a UNION."""
    columns = []
    for label in labels:
        expression = _RELATION_COLUMNS[label][side]
        if expression is None:
            expression = null().cast(_RELATION_COLUMNS[label][2])
        columns.append(expression.label(label))
    return columns


@cache
def _relations_statement(dialect: str, columns: frozenset[str]) -> CompoundSelect[*tuple[Any, ...]]:
    """Built once per dialect and set of columns (building it cost more than running it): the
    ids are bound per call (see resolvers.bound_lists). Rows carry post_id, is_tag, position,
    id and the named columns."""
    labels = [label for label in _RELATION_COLUMNS if label in columns]

    authors: Select[*tuple[Any, ...]] = (
        select(
            PostAuthor.post_id.label("post_id"),
            literal_column("0").label("is_tag"),
            PostAuthor.position.label("position"),
            Author.id.label("id"),
            *relation_columns(AUTHOR_SIDE, labels),
        )
        .join(Author, Author.id == PostAuthor.author_id)
        .where(among(PostAuthor.post_id, "post_ids", dialect))
    )
    tags: Select[*tuple[Any, ...]] = (
        select(
            PostTag.post_id,
            literal_column("1"),
            PostTag.position,
            Tag.id,
            *relation_columns(TAG_SIDE, labels),
        )
        .join(Tag, Tag.id == PostTag.tag_id)
        .where(among(PostTag.post_id, "post_ids", dialect), tag_is_visible())
    )
    return union_all(authors, tags).order_by("post_id", "is_tag", "position")


@cache
def _translations_statement(dialect: str) -> Select[*tuple[Any, ...]]:
    """The live posts sharing a translation group with each of the bound `post_ids`, built once
    per dialect; `now` is bound per call. Rows of `original_id` and every column of Post."""
    original = aliased(Post)
    return (
        select(original.id.label("original_id"), *Post.__table__.columns)
        .join(Post, Post.translation_group == original.translation_group)
        .where(
            among(original.id, "post_ids", dialect),
            Post.id != original.id,
            post_is_visible(NOW),
        )
        .order_by(original.id, Post.language, Post.id)
    )


class Loaders:
    """Built per request (loaders cache, so they must never outlive one)."""

    def __init__(self, ctx: "Context") -> None:
        self._ctx = ctx
        self.search_totals: dict[Any, int] = {}
        """The number of posts each search (a posts.PostQuery) finds, known from its page."""

    # Made when first used: most requests use one or two of them.
    @cached_property
    def relations_by_post(self) -> DataLoader[int, PostRelations]:
        return DataLoader(self.relations_for)

    @cached_property
    def translations_by_post(self) -> DataLoader[int, list[Any]]:
        return DataLoader(self._translations_by_post)

    @cached_property
    def post_count_by_author(self) -> DataLoader[int, int]:
        return DataLoader(self._post_count_by_author)

    @cached_property
    def post_count_by_tag(self) -> DataLoader[int, int]:
        return DataLoader(self._post_count_by_tag)

    @cached_property
    def post_by_id(self) -> DataLoader[int, Post | None]:
        return DataLoader(self._post_by_id)

    @cached_property
    def author_by_id(self) -> DataLoader[int, Author | None]:
        return DataLoader(self._author_by_id)

    @cached_property
    def tag_by_id(self) -> DataLoader[int, Tag | None]:
        return DataLoader(self._tag_by_id)

    @cached_property
    def publication_by_id(self) -> DataLoader[int, Publication | None]:
        return DataLoader(self._publication_by_id)

    @cached_property
    def publication_by_post(self) -> DataLoader[int, Publication | None]:
        return DataLoader(self._publication_by_post)

    async def _rows(self, statement: Any) -> Sequence[Any]:
        async with self._ctx.reader() as session:
            return (await session.execute(statement)).all()

    async def relations_for(
        self, post_ids: list[int], columns: frozenset[str] = RELATION_COLUMNS
    ) -> list[PostRelations]:
        """Bylines and public tags of the posts, in one statement (a UNION of both relations), as
        rows of the ids and `columns` (by default all the types are built from)."""
        found_by_post = {post_id: PostRelations([], []) for post_id in post_ids}
        statement = _relations_statement(self._ctx.dialect, columns)
        for row in await self._ctx.rows(statement, {"post_ids": post_ids}):
            found = found_by_post[row.post_id]
            (found.tags if row.is_tag else found.authors).append(row)
        read, relations = self._ctx.request.read_keys, found_by_post.values()
        read.objects("author", [row.id for found in relations for row in found.authors])
        read.objects("tag", [row.id for found in relations for row in found.tags])
        return [found_by_post[post_id] for post_id in post_ids]

    async def _translations_by_post(self, post_ids: list[int]) -> list[list[Any]]:
        """Rows of every column of Post (what `schema.post.Post.from_model` reads)."""
        statement = _translations_statement(self._ctx.dialect)
        rows = await self._ctx.rows(statement, {"post_ids": post_ids, "now": self._ctx.now})
        # Which posts are translations changes with other posts' writes: a list of posts.
        self._ctx.request.read_keys.listed("post")
        self._ctx.request.read_keys.objects("post", (row.id for row in rows))
        return _grouped(post_ids, ((row.original_id, row) for row in rows))

    async def _post_count_by_author(self, author_ids: list[int]) -> list[int]:
        return await self._post_counts("author", PostAuthor, PostAuthor.author_id, author_ids)

    async def _post_count_by_tag(self, tag_ids: list[int]) -> list[int]:
        return await self._post_counts("tag", PostTag, PostTag.tag_id, tag_ids)

    async def _post_counts(
        self, dimension: str, link: Any, owner: Any, ids: list[int]
    ) -> list[int]:
        """Live posts per author or tag: from the maintained counts (resolvers.post_counts),
        or while they lag a scheduled post's instant, counted."""
        self._ctx.request.read_keys.listed("post")
        rows = await self._rows(post_counts.counts_statement(dimension, ids, self._ctx.now))
        if not any(key == post_counts.PENDING_ID and count for key, count in rows):
            return _counts(ids, rows)
        rows = await self._rows(
            select(owner, func.count())
            .join(Post, Post.id == link.post_id)
            .where(owner.in_(ids), post_is_visible(self._ctx.now))
            .group_by(owner)
        )
        return _counts(ids, rows)

    async def _post_by_id(self, ids: list[int]) -> list[Post | None]:
        """Any post the viewer may read, for `node` and `nodes` (translations and counts stay
        live-only)."""
        readable = readable_posts(self._ctx.viewer, self._ctx.now)
        self._ctx.request.read_keys.objects("post", ids)  # found or not, until it changes
        rows = await self._rows(select(Post).where(Post.id.in_(ids), readable))
        return _by_id(ids, (row[0] for row in rows))

    async def _author_by_id(self, ids: list[int]) -> list[Author | None]:
        self._ctx.request.read_keys.objects("author", ids)
        rows = await self._rows(select(Author).where(Author.id.in_(ids)))
        return _by_id(ids, (row[0] for row in rows))

    async def _tag_by_id(self, ids: list[int]) -> list[Tag | None]:
        self._ctx.request.read_keys.objects("tag", ids)
        rows = await self._rows(select(Tag).where(Tag.id.in_(ids), tag_is_visible()))
        return _by_id(ids, (row[0] for row in rows))

    async def _publication_by_id(self, ids: list[int]) -> list[Publication | None]:
        self._ctx.request.read_keys.objects("publication", ids)
        rows = await self._rows(select(Publication).where(Publication.id.in_(ids)))
        return _by_id(ids, (row[0] for row in rows))

    async def _publication_by_post(self, post_ids: list[int]) -> list[Publication | None]:
        rows = await self._rows(
            select(PostPublication.post_id, Publication)
            .join(Publication, Publication.id == PostPublication.publication_id)
            .where(PostPublication.post_id.in_(post_ids))
        )
        found = {post_id: publication for post_id, publication in rows}
        self._ctx.request.read_keys.objects("post", post_ids)  # which one: the post's field
        self._ctx.request.read_keys.objects("publication", (p.id for p in found.values()))
        return [found.get(post_id) for post_id in post_ids]


def _grouped(keys: list[int], rows: Iterable[Any]) -> list[list[Any]]:
    groups: defaultdict[int, list[Any]] = defaultdict(list)
    for key, value in rows:
        groups[key].append(value)
    return [groups[key] for key in keys]


def _counts(keys: list[int], rows: Iterable[Any]) -> list[int]:
    counts = {key: count for key, count in rows}
    return [counts.get(key, 0) for key in keys]


def _by_id(keys: list[int], objects: Iterable[Any]) -> list[Any]:
    found = {obj.id: obj for obj in objects}
    return [found.get(key) for key in keys]
