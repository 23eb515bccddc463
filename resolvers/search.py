"""The posts' full-text index (models.search), kept in step with every write, and what a search
adds to a list of posts: the matching posts and their scores.

Kept in step: `events.record` calls `follow_events` in the write's transaction, so the index
never disagrees with a committed post. A post's own text changing (created, title, summary,
excerpt, body, language) rewrites its entry; its tags or bylines changing, or a tag's or
author's name, rewrites only the names part. Writes outside the API (a bulk load in SQL, a
restore) leave it behind: `quire search rebuild` (`rebuild`) writes it again from the posts.

Scores: where a post's words match, title above summary above tag and author names (PostgreSQL's
`ts_rank` over the weights A, B and C of `heading || meta`, which depends on the post alone;
SQLite's `bm25` with column weights in the same order, which also depends on how rare a word is
across all posts, so its scores shift a little as posts are added). A match in the body alone
scores 0: ranking by the body would read every matching post's whole text, the cost of a
search of a common word; such posts come after the others, newest first.
"""

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    String,
    Subquery,
    bindparam,
    column,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from models import Author, Post, PostAuthor, PostTag, Tag, TagVisibility
from models.search import POSTGRESQL_INDEX, SQLITE_INDEX
from resolvers.content import plain_text
from resolvers.search_text import (
    BODY,
    META,
    SUMMARY,
    TITLE,
    IndexDocument,
    SearchQuery,
    fts5_query,
    index_document,
    language_key,
    meta_terms,
    one_edit_away,
    suggest_for,
    tsquery,
    with_replaced,
)
from resolvers.visibility import LIVE_STATUSES, NOW, post_is_visible

if TYPE_CHECKING:
    from resolvers.context import Context  # which records events, through this module

BATCH = 500
OWN_TEXT = frozenset({"title", "summary", "excerpt", "body", "language"})
"""A post's fields (GraphQL names) whose change rewrites its whole entry."""
NAMES = frozenset({"tags", "authors"})
SQLITE_WEIGHTS = (10.0, 4.0, 2.0, 0.0)
"""title, summary, meta, body: as PostgreSQL ranks by the heading and names alone, a match in
the body only scores 0 (and such posts come newest first)."""
INDEX_COLUMNS = (Post.id, Post.title, Post.summary, Post.excerpt, Post.html, Post.language)


async def follow_events(session: AsyncSession, events: Sequence[Any]) -> None:
    """Bring the index up to what `events` (about to be recorded in `session`'s transaction)
    say changed."""
    whole: set[int] = set()
    names: set[int] = set()
    deleted: set[int] = set()
    renamed_tags: set[int] = set()
    renamed_authors: set[int] = set()
    for event in events:
        changed = set(event.data.get("changedFields", ()))
        if event.object_type == "post":
            if event.type == "post.deleted":
                deleted.add(event.object_id)
            elif event.type == "post.created" or changed & OWN_TEXT:
                whole.add(event.object_id)
            elif changed & NAMES:
                names.add(event.object_id)
        elif event.type.endswith(".updated") and "name" in changed:
            (renamed_tags if event.object_type == "tag" else renamed_authors).add(event.object_id)
    if renamed_tags or renamed_authors:
        names |= set(await session.scalars(_posts_named_by(renamed_tags, renamed_authors)))
    whole -= deleted
    names -= whole | deleted
    if deleted and session.get_bind().dialect.name != "postgresql":
        # PostgreSQL's foreign key dropped their entries with them; FTS5 has none.
        await session.execute(delete(SQLITE_INDEX).where(SQLITE_INDEX.c.rowid.in_(deleted)))
    if whole or names:
        await session.run_sync(_follow, sorted(whole), sorted(names))


def _follow(session: Session, whole: list[int], names: list[int]) -> None:
    connection = session.connection()
    for start in range(0, len(whole), BATCH):
        write_entries(connection, whole[start : start + BATCH])
    for start in range(0, len(names), BATCH):
        write_names(connection, names[start : start + BATCH])


def _posts_named_by(tag_ids: Collection[int], author_ids: Collection[int]) -> Any:
    return union_all(
        select(PostTag.post_id).where(PostTag.tag_id.in_(sorted(tag_ids))),
        select(PostAuthor.post_id).where(PostAuthor.author_id.in_(sorted(author_ids))),
    )


async def rebuild(session: AsyncSession) -> int:
    """Write the whole index again from the posts (after writes that bypassed the API); the
    number of posts indexed."""
    return int(await session.run_sync(lambda sync: rebuild_on(sync.connection())))


def clear_on(connection: Connection) -> None:
    """Empty the index (before every post is deleted)."""
    connection.execute(delete(_index(connection)))


def rebuild_on(connection: Connection) -> int:
    """`rebuild` on a synchronous connection (migrations, bulk loads)."""
    clear_on(connection)
    last, count = 0, 0
    while True:
        ids = list(
            connection.scalars(select(Post.id).where(Post.id > last).order_by(Post.id).limit(BATCH))
        )
        if not ids:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("ANALYZE post_search")  # plans for the new index
            return count
        write_entries(connection, ids, fresh=True)
        last, count = ids[-1], count + len(ids)


def write_entries(connection: Connection, post_ids: Sequence[int], *, fresh: bool = False) -> None:
    """Write the whole entries of these posts, and drop those of posts that no longer exist
    (on PostgreSQL the foreign key dropped them with their posts). `fresh`: the index holds
    none of them."""
    rows = connection.execute(select(*INDEX_COLUMNS).where(Post.id.in_(post_ids))).all()
    postgresql = connection.dialect.name == "postgresql"
    gone = sorted(set(post_ids) - {row.id for row in rows})
    if gone and not fresh and not postgresql:
        connection.execute(delete(SQLITE_INDEX).where(SQLITE_INDEX.c.rowid.in_(gone)))
    if not rows:
        return
    named = _names(connection, post_ids)
    documents = {
        row.id: index_document(
            language=row.language,
            title=row.title,
            summary=row.summary or row.excerpt or "",
            body=plain_text(row.html),
            names=named.get(row.id, ()),
        )
        for row in rows
    }
    if postgresql:
        statement = pg_insert(POSTGRESQL_INDEX).values(
            post_id=bindparam("id"),
            heading=func.cast(bindparam("heading"), TSVECTOR),
            meta=func.cast(bindparam("meta"), TSVECTOR),
            body=func.cast(bindparam("body_vector"), TSVECTOR),
        )
        statement = statement.on_conflict_do_update(
            index_elements=[POSTGRESQL_INDEX.c.post_id],
            set_={
                "heading": statement.excluded.heading,
                "meta": statement.excluded.meta,
                "body": statement.excluded.body,
            },
        )
        connection.execute(statement, [_pg_values(i, d) for i, d in documents.items()])
    else:
        connection.execute(
            SQLITE_INDEX.insert().prefix_with("OR REPLACE"),
            [_sqlite_values(i, d) for i, d in documents.items()],
        )


def write_names(connection: Connection, post_ids: Sequence[int]) -> None:
    """Write the names part of these posts' entries (their public tags and their authors)."""
    named = _names(connection, post_ids)
    languages = dict(
        connection.execute(select(Post.id, Post.language).where(Post.id.in_(post_ids))).all()
    )
    metas = {
        post_id: IndexDocument({META: meta_terms(named.get(post_id, ()), language_key(language))})
        for post_id, language in languages.items()
    }
    if connection.dialect.name == "postgresql":
        statement = (
            update(POSTGRESQL_INDEX)
            .where(POSTGRESQL_INDEX.c.post_id == bindparam("id"))
            .values(meta=func.cast(bindparam("meta_vector"), TSVECTOR))
        )
        vectors = [{"id": i, "meta_vector": d.tsvector(META)} for i, d in metas.items()]
    else:
        statement = (
            update(SQLITE_INDEX)
            .where(SQLITE_INDEX.c.rowid == bindparam("id"))
            .values(meta=bindparam("meta_text"))
        )
        vectors = [{"id": i, "meta_text": d.text(META)} for i, d in metas.items()]
    if vectors:
        connection.execute(statement, vectors)


def _names(connection: Connection, post_ids: Sequence[int]) -> dict[int, list[str]]:
    """The names of each post's public tags and of its authors, in their order."""
    statement = union_all(
        select(PostTag.post_id, Tag.name, PostTag.position)
        .join(Tag, Tag.id == PostTag.tag_id)
        .where(PostTag.post_id.in_(post_ids), Tag.visibility == TagVisibility.PUBLIC),
        select(PostAuthor.post_id, Author.name, PostAuthor.position)
        .join(Author, Author.id == PostAuthor.author_id)
        .where(PostAuthor.post_id.in_(post_ids)),
    )
    named: dict[int, list[str]] = {}
    for post_id, name, _position in sorted(connection.execute(statement), key=lambda r: r[2]):
        named.setdefault(post_id, []).append(name)
    return named


def _pg_values(post_id: int, document: IndexDocument) -> dict[str, Any]:
    return {
        "id": post_id,
        "heading": document.tsvector(TITLE, SUMMARY),
        "meta": document.tsvector(META),
        "body_vector": document.tsvector(BODY),
    }


def _sqlite_values(post_id: int, document: IndexDocument) -> dict[str, Any]:
    return {
        "rowid": post_id,
        "title": document.text(TITLE),
        "summary": document.text(SUMMARY),
        "meta": document.text(META),
        "body": document.text(BODY),
    }


def _index(connection: Connection) -> Any:
    return POSTGRESQL_INDEX if connection.dialect.name == "postgresql" else SQLITE_INDEX


async def suggestion(ctx: "Context", query: SearchQuery) -> str | None:
    """ "Did you mean": the search with each word of five letters or more that no live post
    has replaced by the first word one edit away that one has (in `one_edit_away`'s order);
    None when there is nothing to replace. Only live posts count, whoever asks: a
    suggestion never names a word of a draft."""
    ctx.request.read_keys.listed("post")  # any post saved can change which words are there
    replacements: dict[str, str] = {}
    for word in suggest_for(query):
        if await _found(ctx, [word]):
            continue
        candidates = one_edit_away(word)
        found: set[str] = set()
        for start in range(0, len(candidates), SUGGEST_BATCH):
            found |= await _found(ctx, candidates[start : start + SUGGEST_BATCH])
        best = next((c for c in candidates if c in found), None)
        if best is not None:
            replacements[word] = best
    return with_replaced(query.text, replacements) if replacements else None


SUGGEST_BATCH = 200  # words checked per statement (SQLite allows 500 terms in a UNION)


async def _found(ctx: "Context", words: Sequence[str]) -> set[str]:
    """Which of `words` a live post has."""
    branches = []
    for word in words:
        single = SearchQuery(text=word, words=(word,))
        has = select(Post.id).where(
            post_is_visible(ctx.now), Post.id.in_(matching_ids(single, ctx.dialect))
        )
        branches.append(select(literal(word, String()).label("word")).where(has.exists()))
    if not branches:
        return set()
    rows = await ctx.rows(union_all(*branches), {}, built_once=False)
    return {row.word for row in rows}


def matches(query: SearchQuery, dialect: str, *, live: bool = False) -> Subquery | CTE:
    """The posts a search finds, as (post_id, score): higher scores first. `live`: only the
    posts readers see at `now` (a bound parameter), with their publish dates too
    (`published_at`), without reading the posts themselves: on PostgreSQL from the index table
    alone (migration 0016), on SQLite through `ix_post_search_state` (migration 0020). A CTE:
    a page that also counts the matches (posts._ranked_page) reads them once."""
    if dialect == "postgresql":
        # Migrations 0010 and 0016's functions: the GIN index, whatever the planner would choose.
        wanted = func.cast(_words(query, dialect), TSQUERY)
        if live:
            found = func.quire_search_live(wanted, NOW).table_valued(
                column("post_id", Integer),
                column("score", Float),
                column("published_at", Post.published_at.type),
            )
            return select(found.c.post_id, found.c.score, found.c.published_at).cte("search")
        found = func.quire_search(wanted).table_valued(
            column("post_id", Integer), column("score", Float)
        )
        return select(found.c.post_id, found.c.score).subquery("search")
    score = (-func.bm25(literal_column("post_search"), *SQLITE_WEIGHTS)).cast(Float)
    if live:
        state = _sqlite_live(query, NOW)
        return state.add_columns(score.label("score"), STATE.c.published_at).cte("search")
    return (
        select(SQLITE_INDEX.c.rowid.label("post_id"), score.label("score"))
        .where(_fts5_match(query))
        .subquery("search")
    )


class _PostsByState(TableClause):
    """`posts` as a search on SQLite reads it: through `ix_post_search_state` (migration 0020),
    which SQLite's planner would pass over for the rowid."""

    inherit_cache = True


@compiles(_PostsByState)
def _posts_by_state(element: _PostsByState, compiler: Any, **kw: Any) -> str:
    table = str(compiler.visit_table(element, **kw))
    return f"{table} INDEXED BY ix_post_search_state" if kw.get("asfrom") else table


STATE = _PostsByState(
    "posts",
    column("id", Integer),
    column("status", Post.status.type),
    column("published_at", Post.published_at.type),
)
"""A post's status and publish date, as SQLite reads them beside its full-text index."""


def _sqlite_live(query: SearchQuery, now: Any) -> Select[Any]:
    """The live posts a search finds on SQLite, as `post_id`. Their status and date are read
    from the index `ix_post_search_state` (migration 0020), not the posts' rows: those follow
    the body and html, and reaching them read each match's overflow pages (350 ms for 3,577
    matches at 100k posts, 15 ms through the index)."""
    live = or_(*(STATE.c.status == status for status in LIVE_STATUSES))
    return (
        select(SQLITE_INDEX.c.rowid.label("post_id"))
        .join_from(SQLITE_INDEX, STATE, STATE.c.id == SQLITE_INDEX.c.rowid)
        .where(_fts5_match(query), live, STATE.c.published_at <= now)
    )


BOUND = SearchQuery(text="")
"""A search whose words a statement built once takes at execution, as `search_query`
(`bound_words`); any other search's words are bound into its statement."""


def bound_words(query: SearchQuery, dialect: str) -> str:
    """The value of `search_query` for a statement built with BOUND."""
    return tsquery(query) if dialect == "postgresql" else fts5_query(query)


def _words(query: SearchQuery, dialect: str) -> Any:
    if query is BOUND:
        return bindparam("search_query", type_=String())
    return bindparam("search_query", bound_words(query, dialect), unique=True)


def _fts5_match(query: SearchQuery) -> ColumnElement[bool]:
    return literal_column("post_search").op("MATCH")(_words(query, "sqlite"))


def live_matching_ids(query: SearchQuery, dialect: str, now: Any) -> Select[Any]:
    """The ids of the live posts a search finds at `now`, unranked, without reading the posts
    (PostgreSQL: from the index table alone, migration 0019): a reader's search's total."""
    if dialect != "postgresql":
        return _sqlite_live(query, now)
    wanted = func.cast(_words(query, dialect), TSQUERY)
    found = func.quire_search_live_ids(wanted, now).table_valued(column("post_id", Integer))
    return select(found.c.post_id)


def matching_ids(query: SearchQuery, dialect: str) -> Select[Any]:
    """The ids of the posts a search finds, unranked (for counts, facets and filters)."""
    if dialect == "postgresql":
        # Migration 0016's function: the GIN index, and no score computed.
        wanted = func.cast(_words(query, dialect), TSQUERY)
        found = func.quire_search_ids(wanted).table_valued(column("post_id", Integer))
        return select(found.c.post_id)
    return select(SQLITE_INDEX.c.rowid).where(_fts5_match(query))
