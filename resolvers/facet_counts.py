"""Filter menus answered from the maintained counts (resolvers.post_counts): the branches of
a summary's statement (resolvers.posts.summarize) that read them.

Two tables, for live posts with no search:
- `post_counts`, per pair of facts, answers the tag, author and publication facets under at most
  one condition (levels, languages, includesCode or publications with any number of values, as
  a post has one of each; one tag or one author, or the tag or author whose page it is);
- `post_count_cells`, per tag, author, publication or none and per (level, language,
  includesCode), answers the total and the level, language and includesCode facets under any
  conditions on those three and at most one tag, author or publications condition.
Anything else is counted from the posts themselves.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, String, and_, cast, func, literal, null, select, true

from models import Author, PostCount, PostCountCell, Publication, Tag
from resolvers import post_counts
from resolvers.bound_lists import one_of
from resolvers.filters import PostFilter
from resolvers.loaders import AUTHOR_SIDE, TAG_SIDE, no_relation_columns, relation_columns
from resolvers.post_counts import ALL, LISTED
from resolvers.visibility import tag_is_visible

PENDING = "pending"  # the part of a summary that says the counts cannot answer now

CELL_PARTS = ("totalCount", "level", "language", "includes_code")
"""The summary parts (resolvers.posts.summarize) `post_count_cells` answers, all from the
same rows; `post_counts` answers the others, "tag", "author" and "publication" (named as the
dimensions they count)."""
GROUPED_PART = "grouped:"
"""A row's part that names the parts it counts for (after it, joined by commas): its value is
level|language|includes_code, of the posts counted in that group."""


@dataclass(frozen=True)
class Condition:
    """A condition the counts answer: a dimension and the values chosen (ids as text for tags,
    authors and publications, or a statement giving them from slugs). Several values add up:
    a post has one level, language, includesCode and publication."""

    dimension: str
    values: tuple[str, ...] | Select[Any]

    @property
    def single(self) -> bool:
        """Whether it chooses one value: one level, language or includesCode, or a tag or an
        author (a slug names one). Each value under it then has one row of counts."""
        if isinstance(self.values, Select):
            return self.dimension in ("tag", "author")
        return len(self.values) == 1


NO_CONDITION = Condition(ALL, ("",))


@dataclass(frozen=True)
class Cells:
    """What a list asks that `post_count_cells` answers: a tag, an author or publications (or
    every post), and the chosen levels, languages and includesCode (None: any)."""

    context: Condition
    levels: tuple[str, ...] | None
    languages: tuple[str, ...] | None
    includes_code: str | None


def conditions_of(
    spec: PostFilter | None, *, tag_id: int | None, author_id: int | None
) -> list[Condition] | None:
    """The filter's conditions as the counts see them, or None when they cannot answer it at
    all: several tags or authors together, or anything else a filter can ask (dates, text,
    featured, and, or, not). Statuses and searches are the caller's to rule out."""
    found: list[Condition] = []
    if tag_id is not None:
        found.append(Condition("tag", (str(tag_id),)))
    if author_id is not None:
        found.append(Condition("author", (str(author_id),)))
    if spec is None:
        return found
    if (
        spec.featured is not None
        or spec.published_at is not None
        or spec.text is not None
        or spec.and_
        or spec.or_
        or spec.not_ is not None
    ):
        return None
    for match, model, dimension in ((spec.tags, Tag, "tag"), (spec.authors, Author, "author")):
        if match is None:
            continue
        if len(match.slugs) != 1:
            return None
        found.append(Condition(dimension, _ids_of(model, set(match.slugs))))
    if spec.publications is not None:
        found.append(Condition("publication", _ids_of(Publication, set(spec.publications))))
    if spec.levels is not None:
        found.append(Condition("level", tuple(level.value for level in spec.levels)))
    if spec.languages is not None:
        found.append(Condition("language", tuple(spec.languages)))
    if spec.includes_code is not None:
        found.append(Condition("includes_code", (str(spec.includes_code).lower(),)))
    if any(not isinstance(c.values, Select) and not c.values for c in found):
        return None  # nothing chosen: no post, left to the posts
    return found


def pair_condition(conditions: list[Condition] | None) -> Condition | None:
    """The one condition under which `post_counts` answers a tag, author or publication facet."""
    if conditions is None or len(conditions) > 1:
        return None
    return conditions[0] if conditions else NO_CONDITION


def cells_of(conditions: list[Condition] | None) -> Cells | None:
    """What `post_count_cells` answers the total and the level, language and includesCode
    facets from, if it does: at most one tag, author or publications condition."""
    if conditions is None:
        return None
    contexts = [c for c in conditions if c.dimension in LISTED]
    if len(contexts) > 1:
        return None
    chosen = {c.dimension: c.values for c in conditions if c.dimension not in LISTED}
    code = chosen.get("includes_code")
    return Cells(
        context=contexts[0] if contexts else NO_CONDITION,
        levels=chosen.get("level"),  # type: ignore[arg-type]
        languages=chosen.get("language"),  # type: ignore[arg-type]
        includes_code=None if code is None else code[0],  # type: ignore[index]
    )


def _ids_of(model: Any, slugs: set[str]) -> Select[Any]:
    return select(cast(model.id, String())).where(model.slug.in_(sorted(slugs)))


def pending_branch(now: datetime) -> Select[Any]:
    """A summary part "pending" whose count is not 0 when a scheduled post's instant has come
    but it is not counted yet: the counts must not be used then."""
    return select(
        literal(PENDING, String()).label("part"),
        null().cast(String()).label("value"),
        func.count().label("count"),
        *no_entity(),
    ).select_from(post_counts.waiting(now))


def cells_branch(parts: list[str], cells: Cells) -> Select[Any]:
    """The rows of these parts (CELL_PARTS) from `post_count_cells`, grouped (GROUPED_PART) as
    `posts.summarize` reads them."""
    label = literal(GROUPED_PART + ",".join(parts), String()).label("part")
    value = PostCountCell.level + "|" + PostCountCell.language + "|" + PostCountCell.includes_code
    count = func.sum(PostCountCell.posts).label("count")
    where = [
        PostCountCell.context_dimension == cells.context.dimension,
        _chosen(PostCountCell.context_value, cells.context),
    ]
    if cells.levels is not None:
        where.append(_chosen(PostCountCell.level, Condition("level", cells.levels)))
    if cells.languages is not None:
        where.append(_chosen(PostCountCell.language, Condition("language", cells.languages)))
    if cells.includes_code is not None:
        where.append(PostCountCell.includes_code == cells.includes_code)
    columns = (PostCountCell.level, PostCountCell.language, PostCountCell.includes_code)
    return (
        select(label, value.label("value"), count, *no_entity())
        .where(*where)
        .group_by(*columns)
        .having(count > 0)
    )


def counted_branch(part: str, condition: Condition, dialect: str) -> Select[Any]:
    """A tag, author or publication facet's rows (as `posts.summarize` reads them) from
    `post_counts`."""
    dimension = part
    label = literal(part, String()).label("part")
    no_value = null().cast(String()).label("value")
    where = and_(
        PostCount.condition_dimension == condition.dimension,
        _chosen(PostCount.condition_value, condition),
        PostCount.dimension == dimension,
    )
    count = func.sum(PostCount.posts).label("count")
    if dimension == "publication":
        return (
            select(label, PostCount.value.label("value"), count, *no_entity())
            .where(where)
            .group_by(PostCount.value)
            .having(count > 0)
        )
    model, side = (Tag, TAG_SIDE) if dimension == "tag" else (Author, AUTHOR_SIDE)
    visible = tag_is_visible() if dimension == "tag" else true()
    named = [model.id.label("id"), *relation_columns(side)]
    if not condition.single:  # several values add up
        return (
            select(label, no_value, count, *named)
            .join(model, model.id == cast(PostCount.value, Integer()))
            .where(where, visible)
            .group_by(model.id)
            .having(count > 0)
        )
    # One row per value: the menu's first values are read most used first from
    # ix_post_counts_ranked, without reading the others.
    if dialect != "postgresql":
        return (
            select(label, no_value, PostCount.posts.label("count"), *named)
            .join(model, model.id == cast(PostCount.value, Integer()))
            .where(where, visible, PostCount.posts > 0)
        )
    # Joined by hash, PostgreSQL named every value before sorting; lateral, one at a time.
    ranked = select(PostCount.value, PostCount.posts).where(where, PostCount.posts > 0).subquery()
    one = (
        select(*named)
        .where(model.id == cast(ranked.c.value, Integer()), visible)
        .offset(0)
        .lateral()
    )
    return select(label, no_value, ranked.c.posts.label("count"), *one.c).join_from(
        ranked, one, true()
    )


def _chosen(column: Any, condition: Condition) -> Any:
    """`column` is one of the condition's values, as comparisons (bound_lists.one_of), which
    keep the statement runnable on the driver directly (resolvers.direct_reads)."""
    values = condition.values
    if isinstance(values, Select):
        # A slug names one tag or author: compared with it, an index keeps its order.
        return column == values.scalar_subquery() if condition.single else column.in_(values)
    return one_of(column, values)


def no_entity() -> list[Any]:
    return [null().cast(Integer()).label("id"), *no_relation_columns()]
