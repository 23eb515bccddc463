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

Read (`counted_branches`): the total and every facet of a list whose filter has at most one
condition, on one dimension (levels, languages, includesCode, publications: any number of
values, as a post has one of each; tags or authors: one slug, or the tag or author whose page
it is), for live posts with no search. Anything else is counted from the posts themselves.
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


def pairs(facts: set[Fact]) -> Iterator[tuple[str, str, str, str]]:
    """Every (condition, value) pair a post with these facts counts once in."""
    for condition in facts:
        for fact in facts:
            yield (*condition, *fact)


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
    deltas: Counter[tuple[str, str, str, str]] = Counter()
    changed = []
    for post_id in post_ids:
        old, new = before.get(post_id, set()), now.get(post_id, set())
        if old == new:
            continue
        changed.append(post_id)
        deltas.update(pairs(new))
        deltas.subtract(pairs(old))
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


def _add(connection: Connection, deltas: dict[tuple[str, str, str, str], int]) -> None:
    """Add each delta to its count, creating the rows that are new; in key order, so that two
    transactions lock shared rows in the same order."""
    if not deltas:
        return
    upsert = _upsert(connection)
    rows = [
        {
            "condition_dimension": key[0],
            "condition_value": key[1],
            "dimension": key[2],
            "value": key[3],
            "posts": delta,
        }
        for key, delta in sorted(deltas.items())
    ]
    for start in range(0, len(rows), INSERT_BATCH):
        statement = upsert(PostCount).values(rows[start : start + INSERT_BATCH])
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    PostCount.condition_dimension,
                    PostCount.condition_value,
                    PostCount.dimension,
                    PostCount.value,
                ],
                set_={"posts": PostCount.posts + statement.excluded.posts},
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
    connection.execute(delete(CountedPost))


def rebuild_on(connection: Connection, now: datetime) -> tuple[int, int]:
    """`rebuild` on a synchronous connection (migrations, bulk loads)."""
    rescheduled = connection.execute(
        update(Post)
        .where(Post.status == PostStatus.PUBLISHED, Post.published_at > now)
        .values(status=PostStatus.SCHEDULED)
    ).rowcount
    clear_on(connection)
    totals: Counter[tuple[str, str, str, str]] = Counter()
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
            totals.update(pairs(found))
        if facts:
            connection.execute(
                insert(CountedPost),
                [{"post_id": i, "facts": encode(f)} for i, f in sorted(facts.items())],
            )
        last, counted = ids[-1], counted + len(facts)
    _add(connection, dict(totals))
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE post_counts")
    return counted, int(rescheduled or 0)


def _between(first: int, last: int) -> Which:
    return lambda column: column.between(first, last)


def recount_on(connection: Connection) -> dict[tuple[str, str, str, str], int]:
    """Every count the posts give now, from nothing but the posts (what a test compares the
    maintained counts with)."""
    totals: Counter[tuple[str, str, str, str]] = Counter()
    facts, _ = _read_facts(connection, lambda column: column.is_not(None))
    for found in facts.values():
        totals.update(pairs(found))
    return dict(totals)


def stored_on(connection: Connection) -> dict[tuple[str, str, str, str], int]:
    """The maintained counts, zeros left out."""
    return {
        (row[0], row[1], row[2], row[3]): row[4]
        for row in connection.execute(
            select(
                PostCount.condition_dimension,
                PostCount.condition_value,
                PostCount.dimension,
                PostCount.value,
                PostCount.posts,
            ).where(PostCount.posts != 0)
        )
    }


# --- Reading -------------------------------------------------------------------------------------

FACET_DIMENSIONS = {
    "totalCount": ALL,
    "level": "level",
    "language": "language",
    "includes_code": "includes_code",
    "tag": "tag",
    "author": "author",
    "publication": "publication",
}
"""Each part of a summary (resolvers.posts.summarize) and the dimension it counts."""
ONE_PER_POST = frozenset({"level", "language", "includes_code", "publication"})
"""Dimensions where a post has exactly one value (or none): their counts add up over values."""


@dataclass(frozen=True)
class Condition:
    """The one condition of a counted list: a dimension and the values chosen (ids as text for
    tags, authors and publications, or a statement giving them from slugs)."""

    dimension: str
    values: tuple[str, ...] | Select[Any]


NO_CONDITION = Condition(ALL, ("",))


def condition_of(
    spec: PostFilter | None, *, tag_id: int | None, author_id: int | None
) -> Condition | None:
    """The condition the counts answer for, or None when they cannot: more than one condition,
    several tags or authors, or anything else a filter can ask (dates, text, featured, and,
    or, not). Statuses and searches are the caller's to rule out."""
    found: list[Condition] = []
    if tag_id is not None:
        found.append(Condition("tag", (str(tag_id),)))
    if author_id is not None:
        found.append(Condition("author", (str(author_id),)))
    if spec is not None:
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
    if len(found) > 1 or any(not isinstance(c.values, Select) and not c.values for c in found):
        return None
    return found[0] if found else NO_CONDITION


def _ids_of(model: Any, slugs: set[str]) -> Select[Any]:
    return select(cast(model.id, String())).where(model.slug.in_(sorted(slugs)))


def counted_branches(
    parts: Iterable[str], condition: Condition, *, disjunctive: bool, now: datetime
) -> list[Select[Any]]:
    """The summary's parts from the counts, each as `posts.summarize` reads a part's rows,
    and a part "pending" whose count is not 0 when a scheduled post's instant has come but it
    is not counted yet (the counts must not be used then)."""
    branches = []
    for part in sorted(parts):
        dimension = FACET_DIMENSIONS[part]
        own = disjunctive and dimension == condition.dimension and dimension != ALL
        branches.append(_counted(part, dimension, NO_CONDITION if own else condition))
    waiting = (
        select(Post.id)
        .where(Post.status == PostStatus.SCHEDULED, Post.published_at <= now)
        .limit(1)
        .subquery()
    )
    branches.append(
        select(
            literal(PENDING, String()).label("part"),
            null().cast(String()).label("value"),
            func.count().label("count"),
            *no_entity(),
        ).select_from(waiting)
    )
    return branches


def _counted(part: str, dimension: str, condition: Condition) -> Select[Any]:
    label = literal(part, String()).label("part")
    no_value = null().cast(String()).label("value")
    count = func.sum(PostCount.posts).label("count")
    values = condition.values
    where = and_(
        PostCount.condition_dimension == condition.dimension,
        PostCount.condition_value.in_(values if isinstance(values, Select) else list(values)),
        PostCount.dimension == dimension,
    )
    if dimension == ALL:
        total = func.coalesce(count, 0).label("count")
        return select(label, no_value, total, *no_entity()).where(where)
    if dimension in ("tag", "author"):
        model, side = (Tag, TAG_SIDE) if dimension == "tag" else (Author, AUTHOR_SIDE)
        visible = tag_is_visible() if dimension == "tag" else true()
        return (
            select(label, no_value, count, model.id.label("id"), *relation_columns(side))
            .join(model, model.id == cast(PostCount.value, Integer()))
            .where(where, visible)
            .group_by(model.id)
            .having(count > 0)
        )
    value = (
        case((PostCount.value == "", null()), else_=PostCount.value)
        if dimension == "level"
        else PostCount.value
    )
    return (
        select(label, value.label("value"), count, *no_entity())
        .where(where)
        .group_by(PostCount.value)
        .having(count > 0)
    )


def no_entity() -> list[Any]:
    return [null().cast(Integer()).label("id"), *no_relation_columns()]
