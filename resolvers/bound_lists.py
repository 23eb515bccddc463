"""Lists of values in statements built once.

`among`: a list bound per call as one parameter, so the statement takes any number of values:
`= ANY(:name)` with an array on PostgreSQL (the same SQL text whatever the length, nothing
re-rendered per call), an expanding `IN` on SQLite, which has no arrays.

`one_of`: a list fixed when the statement is built (a filter's slugs or levels), as one
comparison per value: no expanding parameter, so the statement's SQL is final once compiled
and it can run prepared on the driver (resolvers.direct_reads)."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, false, or_
from sqlalchemy.dialects.postgresql import ARRAY


def among(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """`column` is one of the values bound to `name` (a list) at execution."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]


def one_of(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column` equals one of `values` (few: a filter's list)."""
    comparisons = [column == value for value in values]
    if not comparisons:
        return false()
    return comparisons[0] if len(comparisons) == 1 else or_(*comparisons)
