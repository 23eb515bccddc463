"""Strawberry types' stored fields, declared from their one description (`resolvers.fields`).

`@stored(FIELDS)` under `@strawberry.type` adds to the class, for each field of the
description that the class does not declare itself: its annotation (the models' enums become
GraphQL's) and a `strawberry.field` with the description's text; fields that depend on the
request's clock become resolvers. `from_model` then builds the object from any row that carries
the columns.
"""

import inspect
import types
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Self, TypeVar, Union, get_args

import strawberry
from strawberry.types.private import StrawberryPrivate

from resolvers.fields import Field, Fields, GlobalId
from schema.context import Info
from schema.enums import GRAPHQL_ENUMS

T = TypeVar("T")

_DECLARED: dict[str, type["StoredType"]] = {}
"""The Strawberry type of each description, for the fields that hold an object."""


class StoredType:
    """What `@stored` gives a class: its description, the row it was built from, and
    `from_model`."""

    stored_fields: ClassVar[Fields]
    row: Any

    @classmethod
    def from_model(cls, model: Any, **extra: Any) -> Self:
        return cls(**values(cls.stored_fields, model) | {"row": model} | extra)


def values(fields: Fields, row: Any) -> dict[str, Any]:
    """The keyword arguments of a stored type's constructor for `row`."""
    found: dict[str, Any] = {}
    for entry in fields:
        if entry.live:
            continue  # a resolver (see `_resolver`)
        value = entry.get(row)
        if isinstance(entry.type, Fields) and value is not None:
            value = _DECLARED[entry.type.type_name].from_model(value)
        found[entry.python_name] = value
    return found


def stored(fields: Fields) -> Callable[[type[T]], type[T]]:
    def declare(cls: type[T]) -> type[T]:
        annotations = dict(inspect.get_annotations(cls))
        annotations["row"] = Annotated[Any, StrawberryPrivate()]  # strawberry.Private[Any]
        for entry in fields:
            if entry.python_name in annotations or entry.python_name in cls.__dict__:
                continue  # declared by the class itself (a Node's id)
            if entry.live:
                setattr(cls, entry.python_name, _resolver(entry))
                continue
            annotations[entry.python_name] = graphql_type(entry.type)
            setattr(cls, entry.python_name, strawberry.field(description=entry.description))
        cls.__annotations__ = annotations
        cls.stored_fields = fields  # type: ignore[attr-defined]
        _DECLARED[fields.type_name] = cls  # type: ignore[assignment]
        return cls

    return declare


def graphql_type(python_type: Any) -> Any:
    """The annotation Strawberry reads for a value of `python_type`."""
    if isinstance(python_type, Fields):
        return _DECLARED[python_type.type_name] | None
    if isinstance(python_type, types.UnionType):
        members = tuple(graphql_type(member) for member in get_args(python_type))
        return Union[members]  # noqa: UP007  # built from a tuple
    if python_type is GlobalId:
        return strawberry.ID
    return GRAPHQL_ENUMS.get(python_type, python_type)


def _resolver(entry: Field) -> Any:
    get = entry.get

    def resolve(root: Any, info: Info) -> Any:
        return get(root.row, info.context.now)

    resolve.__annotations__ = {"root": Any, "info": Info, "return": graphql_type(entry.type)}
    return strawberry.field(resolver=resolve, description=entry.description)
