"""Lists of values in statements built once.

`among`: a list bound per call as one parameter, so the statement takes any number of values
with the same SQL text (nothing re-rendered per call, and it can run prepared on the driver,
see resolvers.direct_reads): `= ANY(:name)` with an array on PostgreSQL; on SQLite, which has
no arrays, `IN (SELECT value FROM json_each(:name))` with the list as JSON text.

`one_of`: a list fixed when the statement is built (a filter's slugs or levels), as one
comparison per value: no expanding parameter, so the statement's SQL is final once compiled
and it can run prepared on the driver (resolvers.direct_reads)."""

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Dialect, String, any_, bindparam, false, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeDecorator


def among(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """`column` is one of the values bound to `name` (a list) at execution."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    values = func.json_each(bindparam(name, type_=JSONList())).table_valued("value")
    return column.in_(select(values.c.value))  # type: ignore[no-any-return]


class JSONList(TypeDecorator[list[Any]]):
    """A list bound as JSON text (SQLite's json_each reads it)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: list[Any] | None, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(list(value))


def one_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column` equals one of `values` (few: a filter's list)."""
    comparisons = [column == value for value in values]
    if not comparisons:
        return false()
    return comparisons[0] if len(comparisons) == 1 else or_(*comparisons)
