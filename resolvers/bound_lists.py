"""Lists of values bound as one parameter, so a statement built once takes any number of them:
`= ANY(:name)` with an array on PostgreSQL (the same SQL text whatever the length, nothing
re-rendered per call), an expanding `IN` on SQLite, which has no arrays."""

from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def among(column: Any, name: str, dialect: str) -> ColumnElement[bool]:
    """`column` is one of the values bound to `name` (a list) at execution."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(bindparam(name, expanding=True))  # type: ignore[no-any-return]
