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

Read by resolvers.facet_counts (filter menus) and, for the posts of each tag and author,
by `posts_of` and `counts_statement` here.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
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
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from models import (
    CountedPost,
    Post,
    PostAuthor,
    PostCount,
    PostCountCell,
    PostPublication,
    PostStatus,
    PostTag,
)
from resolvers import events  # a module: events imports this one too

ALL = "all"
PENDING_ID = -1  # the row of `counts_statement` that says the counts cannot answer now
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
        # Not skipped when readers could not see the post before nor after: what is counted
        # is the stored status, which a writer whose clock lags could see otherwise.
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
    if connection.dialect.name == "postgresql":
        # As writers do (events.record), so none adds to counts this is rewriting.
        connection.execute(select(func.pg_advisory_xact_lock(events.EVENTS_LOCK)))
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


def posts_of(dimension: str, owner_id: Any) -> ColumnElement[int]:
    """The live posts of a tag or an author (`dimension`) whose id is `owner_id` (a column),
    from the counts; valid while `is_current`."""
    count = (
        select(PostCount.posts)
        .where(
            PostCount.condition_dimension == ALL,
            PostCount.condition_value == "",
            PostCount.dimension == dimension,
            PostCount.value == cast(owner_id, String()),
        )
        .scalar_subquery()
    )
    return func.coalesce(count, 0)


def counts_statement(dimension: str, owner_ids: Sequence[int], now: datetime) -> Any:
    """(id, live posts) of these tags or authors from the counts, and a row (PENDING_ID, n)
    with n not 0 when they cannot be used now (see `pending_branch`)."""
    counted = select(cast(PostCount.value, Integer()), PostCount.posts).where(
        PostCount.condition_dimension == ALL,
        PostCount.condition_value == "",
        PostCount.dimension == dimension,
        PostCount.value.in_([str(owner_id) for owner_id in owner_ids]),
    )
    pending = select(literal(PENDING_ID, Integer()), func.count()).select_from(waiting(now))
    return union_all(counted, pending)


async def is_current(session: AsyncSession, now: datetime) -> bool:
    """Whether the counts are what readers see now (see `pending_branch`)."""
    return await session.scalar(select(func.count()).select_from(waiting(now))) == 0


def waiting(now: datetime) -> Any:
    """A scheduled post whose instant has come and is not counted yet, if any."""
    # The status written out, not bound: a prepared statement's generic plan could not use
    # the partial index on scheduled posts with a parameter in its place.
    scheduled: Any = literal_column(f"'{PostStatus.SCHEDULED.value}'")
    return (
        select(Post.id)
        .where(Post.status == scheduled, Post.published_at <= now)
        .limit(1)
        .subquery()
    )
