"""Maintained counts of live posts per facet value (models.post_count), kept and read here.

Kept in step: `events.record` calls `follow_events` in the write's transaction, after the events'
insert (under the event log's lock on PostgreSQL, so two writers never update the same count
rows in opposite orders). Every post an event names is looked at again: its facts now against
the facts it was counted with, and only the difference is written.

Counted: posts whose stored status is PUBLISHED. Readers see exactly those, except in the
moment between a scheduled post's instant and `schedule.go_live` marking it PUBLISHED (about a
second while a process runs, the start-up otherwise): `pending` finds such a post with one
lookup in a small partial index, and the counts are not used while one exists. A post stored
PUBLISHED with a future date (only SQL outside the API writes one) is made SCHEDULED by
`rebuild_on`, which is what readers are told it is.

Two tables (models.post_count), for live posts with no search:
- `post_counts`, per pair of facts, answers the tag, author and publication facets under at most
  one condition (levels, languages, includesCode or publications with any number of values, as
  a post has one of each; one tag or one author, or the tag or author whose page it is);
- `post_count_cells`, per tag, author, publication or none and per (level, language,
  includesCode), answers the total and the level, language and includesCode facets under any
  conditions on those three and at most one tag, author or publications condition.
Anything else is counted from the posts themselves.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models import (
    Author,
    CountedPost,
    Post,
    PostAuthor,
    PostCount,
    PostCountCell,
    PostPublication,
    PostStatus,
    PostTag,
    Publication,
    Tag,
)
from resolvers.filters import PostFilter
from resolvers.loaders import AUTHOR_SIDE, TAG_SIDE, no_relation_columns, relation_columns
from resolvers.visibility import tag_is_visible

ALL = "all"
PENDING = "pending"  # the part of a counted summary that says the counts cannot answer now
BATCH = 500
INSERT_BATCH = 5000
COUNTED_FIELDS = frozenset(
    {
        "status",
        "publishedAt",
        "level",
        "language",
        "body",
        "includesCode",
        "tags",
        "authors",
        "publication",
    }
)
"""A post's fields (GraphQL names in `changedFields`) its facts are made of."""
UNCOUNTED_EVENTS = frozenset(
    {"post.slug_changed", "post.translation_linked", "post.translation_unlinked"}
)

Fact = tuple[str, str]  # (dimension, value)


# --- Facts ---------------------------------------------------------------------------------------


Which = Callable[[Any], Any]
"""The posts to look at, as a condition on a column of post ids."""


def _facts_statement(which: Which) -> Any:
    """(post_id, dimension, value) of the counted posts among `which`, and (post_id, "counted",
    facts) of what `counted_posts` remembers of them."""
    counted = and_(which(Post.id), Post.status == PostStatus.PUBLISHED)

    def linked(link: Any, column: Any, dimension: str) -> Select[Any]:
        return (
            select(link.post_id, literal(dimension, String()), cast(column, String()))
            .join(Post, Post.id == link.post_id)
            .where(counted)
        )

    return union_all(
        select(
            Post.id,
            literal("level", String()),
            func.coalesce(cast(Post.level, String()), ""),
        ).where(counted),
        select(Post.id, literal("language", String()), Post.language).where(counted),
        select(
            Post.id,
            literal("includes_code", String()),
            case((Post.includes_code, "true"), else_="false"),
        ).where(counted),
        linked(PostTag, PostTag.tag_id, "tag"),
        linked(PostAuthor, PostAuthor.author_id, "author"),
        linked(PostPublication, PostPublication.publication_id, "publication"),
        select(CountedPost.post_id, literal("counted", String()), CountedPost.facts).where(
            which(CountedPost.post_id)
        ),
    )


def _read_facts(
    connection: Connection, which: Which
) -> tuple[dict[int, set[Fact]], dict[int, set[Fact]]]:
    """The facts of the counted posts among `which` now, and as they were counted."""
    now: dict[int, set[Fact]] = {}
    before: dict[int, set[Fact]] = {}
    for post_id, dimension, value in connection.execute(_facts_statement(which)):
        if dimension == "counted":
            before[post_id] = decode(value)
        else:
            now.setdefault(post_id, {(ALL, "")}).add((dimension, value))
    return now, before


def encode(facts: Iterable[Fact]) -> str:
    return "\n".join(sorted(f"{dimension}:{value}" for dimension, value in facts))


def decode(text: str) -> set[Fact]:
    return {tuple(line.split(":", 1)) for line in text.split("\n") if line}  # type: ignore[misc]


LISTED = frozenset({"tag", "author", "publication"})
"""Dimensions whose facets `post_counts` answers (a post may have several values of each)."""
CONTEXTS = frozenset({ALL, *LISTED})
"""What a cell of `post_count_cells` is within: every post, or a tag's, an author's, a
publication's."""

Key = tuple[str, ...]
"""("pair", condition dimension, condition value, dimension, value) or ("cell", context
dimension, context value, level, language, includes_code)."""


def keys(facts: set[Fact]) -> Iterator[Key]:
    """Every count a post with these facts (none: not counted) adds one to."""
    if not facts:
        return
    single = dict(fact for fact in facts if fact[0] not in CONTEXTS)
    cell = (single["level"], single["language"], single["includes_code"])
    for condition in facts:
        for fact in facts:
            if fact[0] in LISTED:
                yield ("pair", *condition, *fact)
        if condition[0] in CONTEXTS:
            yield ("cell", *condition, *cell)


# --- Writing -------------------------------------------------------------------------------------


async def follow_events(session: AsyncSession, events: Sequence[Any]) -> None:
    """Bring the counts up to what `events` (recorded in `session`'s transaction) say changed."""
    post_ids = set()
    for event in events:
        if event.object_type != "post" or event.type in UNCOUNTED_EVENTS:
            continue
        if not event.data.get("visible", True) and not event.data.get("wasVisible", True):
            continue  # not live before nor after: neither counted before nor now
        changed = event.data.get("changedFields")
        if (
            event.type == "post.updated"
            and changed is not None
            and not COUNTED_FIELDS & set(changed)
        ):
            continue
        post_ids.add(event.object_id)
    if post_ids:
        await session.run_sync(_refresh, sorted(post_ids))


def _refresh(session: Session, post_ids: list[int]) -> None:
    connection = session.connection()
    for start in range(0, len(post_ids), BATCH):
        refresh_on(connection, post_ids[start : start + BATCH])


def refresh_on(connection: Connection, post_ids: Sequence[int]) -> None:
    """Count these posts again: subtract what each added before, add what it adds now."""
    now, before = _read_facts(connection, lambda column: column.in_(post_ids))
    deltas: Counter[Key] = Counter()
    changed = []
    for post_id in post_ids:
        old, new = before.get(post_id, set()), now.get(post_id, set())
        if old == new:
            continue
        changed.append(post_id)
        deltas.update(keys(new))
        deltas.subtract(keys(old))
    if not changed:
        return
    _add(connection, {key: delta for key, delta in deltas.items() if delta})
    gone = [post_id for post_id in changed if post_id not in now]
    if gone:
        connection.execute(delete(CountedPost).where(CountedPost.post_id.in_(gone)))
    remembered = [{"post_id": i, "facts": encode(now[i])} for i in changed if i in now]
    if remembered:
        upsert = _upsert(connection)(CountedPost).values(remembered)
        connection.execute(
            upsert.on_conflict_do_update(
                index_elements=[CountedPost.post_id], set_={"facts": upsert.excluded.facts}
            )
        )


TABLES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "pair": (PostCount, ("condition_dimension", "condition_value", "dimension", "value")),
    "cell": (
        PostCountCell,
        ("context_dimension", "context_value", "level", "language", "includes_code"),
    ),
}
"""Each kind of key's table and the columns its key fills, in order."""


def _add(connection: Connection, deltas: dict[Key, int]) -> None:
    """Add each delta to its count, creating the rows that are new; in key order, so that two
    transactions lock shared rows in the same order."""
    upsert = _upsert(connection)
    for kind, (model, columns) in TABLES.items():
        rows = [
            {**dict(zip(columns, key[1:], strict=True)), "posts": delta}
            for key, delta in sorted(deltas.items())
            if key[0] == kind
        ]
        for start in range(0, len(rows), INSERT_BATCH):
            statement = upsert(model).values(rows[start : start + INSERT_BATCH])
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[getattr(model, column) for column in columns],
                    set_={"posts": model.posts + statement.excluded.posts},
                )
            )


def _upsert(connection: Connection) -> Any:
    """The dialect's INSERT, which has ON CONFLICT."""
    return postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert


# --- Rebuilding ----------------------------------------------------------------------------------


async def rebuild(session: AsyncSession, now: datetime) -> tuple[int, int]:
    """Count every post again (after writes that bypassed the API); (posts counted, posts
    stored PUBLISHED with a future date made SCHEDULED)."""
    result: tuple[int, int] = await session.run_sync(
        lambda sync: rebuild_on(sync.connection(), now)
    )
    return result


def clear_on(connection: Connection) -> None:
    connection.execute(delete(PostCount))
    connection.execute(delete(PostCountCell))
    connection.execute(delete(CountedPost))


def rebuild_on(connection: Connection, now: datetime) -> tuple[int, int]:
    """`rebuild` on a synchronous connection (migrations, bulk loads)."""
    rescheduled = connection.execute(
        update(Post)
        .where(Post.status == PostStatus.PUBLISHED, Post.published_at > now)
        .values(status=PostStatus.SCHEDULED)
    ).rowcount
    clear_on(connection)
    totals: Counter[Key] = Counter()
    last, counted = 0, 0
    while True:
        ids = list(
            connection.scalars(
                select(Post.id).where(Post.id > last).order_by(Post.id).limit(INSERT_BATCH)
            )
        )
        if not ids:
            break
        facts, _ = _read_facts(connection, _between(ids[0], ids[-1]))
        for found in facts.values():
            totals.update(keys(found))
        if facts:
            connection.execute(
                insert(CountedPost),
                [{"post_id": i, "facts": encode(f)} for i, f in sorted(facts.items())],
            )
        last, counted = ids[-1], counted + len(facts)
    _add(connection, dict(totals))
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE post_counts, post_count_cells")
    return counted, int(rescheduled or 0)


def _between(first: int, last: int) -> Which:
    return lambda column: column.between(first, last)


def recount_on(connection: Connection) -> dict[Key, int]:
    """Every count the posts give now, from nothing but the posts (what a test compares the
    maintained counts with)."""
    totals: Counter[Key] = Counter()
    facts, _ = _read_facts(connection, lambda column: column.is_not(None))
    for found in facts.values():
        totals.update(keys(found))
    return dict(totals)


def stored_on(connection: Connection) -> dict[Key, int]:
    """The maintained counts, zeros left out."""
    stored: dict[Key, int] = {}
    for kind, (model, columns) in TABLES.items():
        selected = select(*(getattr(model, column) for column in columns), model.posts)
        for row in connection.execute(selected.where(model.posts != 0)):
            stored[(kind, *row[:-1])] = row[-1]
    return stored


# --- Reading -------------------------------------------------------------------------------------

FACET_DIMENSIONS = {"tag": "tag", "author": "author", "publication": "publication"}
"""The summary parts (resolvers.posts.summarize) `post_counts` answers, and their dimension."""
CELL_PARTS = ("totalCount", "level", "language", "includes_code")
"""The summary parts `post_count_cells` answers, all from the same rows."""
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
        slugs = set(match.any_of) | set(match.all_of)
        if len(slugs) != 1:
            return None
        found.append(Condition(dimension, _ids_of(model, slugs)))
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
    waiting = (
        select(Post.id)
        .where(Post.status == PostStatus.SCHEDULED, Post.published_at <= now)
        .limit(1)
        .subquery()
    )
    return select(
        literal(PENDING, String()).label("part"),
        null().cast(String()).label("value"),
        func.count().label("count"),
        *no_entity(),
    ).select_from(waiting)


def cells_branch(parts: list[str], cells: Cells) -> Select[Any]:
    """The rows of these parts (CELL_PARTS) from `post_count_cells`, grouped (GROUPED_PART) as
    `posts.summarize` reads them."""
    label = literal(GROUPED_PART + ",".join(parts), String()).label("part")
    value = PostCountCell.level + "|" + PostCountCell.language + "|" + PostCountCell.includes_code
    count = func.sum(PostCountCell.posts).label("count")
    where = [
        PostCountCell.context_dimension == cells.context.dimension,
        PostCountCell.context_value.in_(_values(cells.context)),
    ]
    if cells.levels is not None:
        where.append(PostCountCell.level.in_(cells.levels))
    if cells.languages is not None:
        where.append(PostCountCell.language.in_(cells.languages))
    if cells.includes_code is not None:
        where.append(PostCountCell.includes_code == cells.includes_code)
    columns = (PostCountCell.level, PostCountCell.language, PostCountCell.includes_code)
    return (
        select(label, value.label("value"), count, *no_entity())
        .where(*where)
        .group_by(*columns)
        .having(count > 0)
    )


def counted_branch(part: str, condition: Condition) -> Select[Any]:
    """A tag, author or publication facet's rows (as `posts.summarize` reads them) from
    `post_counts`."""
    dimension = FACET_DIMENSIONS[part]
    label = literal(part, String()).label("part")
    no_value = null().cast(String()).label("value")
    count = func.sum(PostCount.posts).label("count")
    where = and_(
        PostCount.condition_dimension == condition.dimension,
        PostCount.condition_value.in_(_values(condition)),
        PostCount.dimension == dimension,
    )
    if dimension == "publication":
        return (
            select(label, PostCount.value.label("value"), count, *no_entity())
            .where(where)
            .group_by(PostCount.value)
            .having(count > 0)
        )
    model, side = (Tag, TAG_SIDE) if dimension == "tag" else (Author, AUTHOR_SIDE)
    visible = tag_is_visible() if dimension == "tag" else true()
    return (
        select(label, no_value, count, model.id.label("id"), *relation_columns(side))
        .join(model, model.id == cast(PostCount.value, Integer()))
        .where(where, visible)
        .group_by(model.id)
        .having(count > 0)
    )


def _values(condition: Condition) -> Any:
    values = condition.values
    return values if isinstance(values, Select) else list(values)


def no_entity() -> list[Any]:
    return [null().cast(Integer()).label("id"), *no_relation_columns()]
