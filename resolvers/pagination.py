"""Keyset (cursor) pagination shared by every connection.

A page is selected by comparing (sort key, id) with the values stored in the cursor, never by
OFFSET: page 500 costs what page 1 costs, and posts added or removed between two requests can
neither repeat nor skip a row. A cursor is signed and names the ordering and filter it was issued
for, so a tampered cursor or one reused with other arguments is refused instead of paging wrongly.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any, Generic, Literal, TypeVar

import orjson
from sqlalchemy import Integer, Select, SQLColumnExpression, bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import Label

from resolvers import signing
from resolvers.errors import BadUserInput

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")
KeyKind = Literal["datetime", "int", "str", "relevance"]
"""The sort key's type; "relevance" is a search score then a date (`Ordering.then`)."""


@dataclass(frozen=True)
class Ordering:
    """A total order: a sort key (and a second one, `then`), then the id in the same direction
    to break ties."""

    name: str
    key: SQLColumnExpression[Any]
    tiebreak: SQLColumnExpression[int]
    kind: KeyKind
    descending: bool
    then: SQLColumnExpression[Any] | None = None

    @property
    def keys(self) -> tuple[SQLColumnExpression[Any], ...]:
        return (self.key, *(() if self.then is None else (self.then,)), self.tiebreak)


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def __post_init__(self) -> None:
        if self.first is not None and self.last is not None:
            raise BadUserInput("Pass either `first` or `last`, not both.", field="first")
        for name in ("first", "last"):
            size = getattr(self, name)
            if size is not None and not 1 <= size <= MAX_PAGE_SIZE:
                raise BadUserInput(
                    f"`{name}` must be between 1 and {MAX_PAGE_SIZE}; got {size}.", field=name
                )

    @property
    def backward(self) -> bool:
        return self.last is not None or (self.before is not None and self.first is None)

    @property
    def size(self) -> int:
        return self.first or self.last or DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    keys: list[tuple[Any, int]]
    """Each item's (sort value, id): what its cursor encodes."""
    has_next_page: bool
    has_previous_page: bool
    codec: "CursorCodec"
    kind: "KeyKind"

    def cursor(self, index: int) -> str:
        """The cursor of one item (signing each costs a few microseconds: only when asked)."""
        value, row_id = self.keys[index]
        return self.codec.encode(self.kind, value, row_id)

    @cached_property
    def cursors(self) -> list[str]:
        return [self.cursor(index) for index in range(len(self.keys))]

    # What a connection's PageInfo says of the page (its fields, in snake case).
    @property
    def start_cursor(self) -> str | None:
        return self.cursor(0) if self.keys else None

    @property
    def end_cursor(self) -> str | None:
        return self.cursor(len(self.keys) - 1) if self.keys else None


@dataclass(frozen=True)
class CursorCodec:
    """Signs cursors for one (ordering, filter, scope) combination, the cursor's fingerprint."""

    secret_key: str
    fingerprint: str

    def encode(self, kind: KeyKind, value: Any, row_id: int) -> str:
        payload = orjson.dumps({"f": self.fingerprint, "k": [_dump(kind, value), row_id]})
        return signing.sign(self.secret_key, payload)

    def decode(self, kind: KeyKind, cursor: str, argument: str) -> tuple[Any, int]:
        if len(cursor) <= MAX_REMEMBERED_CURSOR:
            found = _decoded(self.secret_key, self.fingerprint, kind, cursor)
        else:
            found = _decoded.__wrapped__(self.secret_key, self.fingerprint, kind, cursor)
        if found == "invalid":
            raise BadUserInput(f"`{argument}` is not a valid cursor.", field=argument)
        if found == "foreign":
            raise BadUserInput(
                f"`{argument}` was issued for a different ordering or filter; "
                "start again from the first page.",
                field=argument,
            )
        assert isinstance(found, tuple)
        return found


MAX_REMEMBERED_CURSOR = 512  # characters; ours are about 120


@lru_cache(maxsize=1_024)
def _decoded(
    secret_key: str, fingerprint: str, kind: KeyKind, cursor: str
) -> tuple[Any, int] | str:
    """A cursor's key, or why it is refused ("invalid" or "foreign"). Remembered: a page's
    cursor comes back with every reader who turns to that page, and a request decodes it twice
    (checked up front, then bound)."""
    payload = signing.verify(secret_key, cursor)
    if payload is None:
        return "invalid"
    try:
        data = orjson.loads(payload)
        issued_for, (value, row_id) = data["f"], data["k"]
        key = _load(kind, value), int(row_id)
    except (ValueError, TypeError, KeyError):
        return "invalid"  # only reachable with a forged signature (e.g. the public dev key)
    return key if issued_for == fingerprint else "foreign"


def fingerprint(*parts: Any) -> str:
    """A short stable digest of the arguments a cursor is only valid for."""
    canonical = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=_default)
    return hashlib.sha256(canonical).hexdigest()[:16]


def check_cursors(request: PageRequest, *, ordering: Ordering, codec: CursorCodec) -> None:
    """Decode the request's cursors up front so a bad one fails the field that received it."""
    for argument, cursor in (("after", request.after), ("before", request.before)):
        if cursor is not None:
            codec.decode(ordering.kind, cursor, argument)


@dataclass(frozen=True)
class PageShape:
    """What a page's statement depends on besides its values: which cursors bound it and the
    direction it is read in. Statements of one shape differ only in bound parameters."""

    after: bool
    before: bool
    backward: bool

    @classmethod
    def of(cls, request: PageRequest) -> "PageShape":
        return cls(
            after=request.after is not None,
            before=request.before is not None,
            backward=request.backward,
        )


def page_statement(statement: Select[Any], *, ordering: Ordering, shape: PageShape) -> Select[Any]:
    """`statement` (already filtered) for one page of `shape`: the sort value added as
    `sort_value`, the cursors' bounds, the order and the limit as parameters (`page_params`)."""
    sort_value: Label[Any] = ordering.key.label("sort_value")
    statement = statement.add_columns(sort_value)
    if ordering.then is not None:
        statement = statement.add_columns(ordering.then.label("then_value"))
    key = tuple_(*ordering.keys)
    for argument, present, later in (("after", shape.after, True), ("before", shape.before, False)):
        if not present:
            continue
        then = [] if ordering.then is None else [_bound(f"{argument}_then", ordering.then)]
        bound = tuple_(
            _bound(f"{argument}_value", ordering.key),
            *then,
            bindparam(f"{argument}_id", type_=Integer()),
        )
        # "later" means further along the requested order, which flips for descending keys.
        statement = statement.where(key > bound if later != ordering.descending else key < bound)
    descending = ordering.descending != shape.backward
    order = [column.desc() if descending else column.asc() for column in ordering.keys]
    return statement.order_by(*order).limit(bindparam("page_limit", type_=Integer()))


def _bound(name: str, column: SQLColumnExpression[Any]) -> Any:
    return bindparam(name, type_=getattr(column, "type", None))


def page_params(*, ordering: Ordering, request: PageRequest, codec: CursorCodec) -> dict[str, Any]:
    """The values of a `page_statement`'s parameters for `request`."""
    params: dict[str, Any] = {"page_limit": request.size + 1}
    for argument, cursor in (("after", request.after), ("before", request.before)):
        if cursor is not None:
            value, row_id = codec.decode(ordering.kind, cursor, argument)
            if ordering.then is not None:
                value, params[f"{argument}_then"] = value
            params[f"{argument}_value"], params[f"{argument}_id"] = value, row_id
    return params


async def fetch_page(
    session: AsyncSession,
    statement: Select[Any],
    *,
    ordering: Ordering,
    request: PageRequest,
    codec: CursorCodec,
    row_id: Callable[[Any], int],
    whole_rows: bool = False,
    prepared: bool = False,
    params: dict[str, Any] | None = None,
) -> Page[Any]:
    """Run `statement` (already filtered) for the requested page, or with `prepared` run it as
    it is (a `page_statement` of the request's shape), with `params` for its other parameters.
    The page's items are the entity the statement selects, or with `whole_rows` the rows of the
    columns it selects."""
    if not prepared:
        statement = page_statement(statement, ordering=ordering, shape=PageShape.of(request))
    values = {**(params or {}), **page_params(ordering=ordering, request=request, codec=codec)}
    # Rows of columns need no ORM loading: run them on the session's connection directly.
    runner = await session.connection() if whole_rows else session
    rows = (await runner.execute(statement, values)).all()
    return page_of_rows(
        rows, ordering=ordering, request=request, codec=codec, row_id=row_id, whole_rows=whole_rows
    )


def page_of_rows(
    fetched: Sequence[Any],
    *,
    ordering: Ordering,
    request: PageRequest,
    codec: CursorCodec,
    row_id: Callable[[Any], int],
    whole_rows: bool = False,
) -> Page[Any]:
    """The page of the rows a page statement returned for `request` (one more than the page
    holds when there are more)."""
    rows = list(fetched)
    has_more = len(rows) > request.size
    rows = rows[: request.size]
    if request.backward:
        rows.reverse()
    items = rows if whole_rows else [row[0] for row in rows]
    if ordering.then is None:
        keys = [(row.sort_value, row_id(item)) for row, item in zip(rows, items, strict=True)]
    else:
        keys = [
            ((row.sort_value, row.then_value), row_id(item))
            for row, item in zip(rows, items, strict=True)
        ]
    # Rows beyond the far end of the window were fetched (has_more); rows beyond a cursor we
    # started from are assumed to exist, as the Relay specification allows.
    return Page(
        items=items,
        keys=keys,
        codec=codec,
        kind=ordering.kind,
        has_next_page=(has_more and not request.backward) or request.before is not None,
        has_previous_page=(has_more and request.backward) or request.after is not None,
    )


async def count_rows(session: AsyncSession, statement: Select[Any]) -> int:
    count = await session.scalar(
        select(func.count()).select_from(statement.order_by(None).subquery())
    )
    return int(count or 0)


def _dump(kind: KeyKind, value: Any) -> Any:
    if kind == "relevance":
        score, then = value
        return [score, then.isoformat()]
    return value.isoformat() if kind == "datetime" else value


def _load(kind: KeyKind, value: Any) -> Any:
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "int":
        return int(value)
    if kind == "relevance":
        score, then = value
        if not isinstance(score, float | int):
            raise TypeError(score)
        return float(score), datetime.fromisoformat(then)
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _default(value: Any) -> Any:
    if isinstance(value, Sequence | frozenset | set):
        return sorted(value)
    raise TypeError(type(value))
