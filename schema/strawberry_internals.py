"""The private parts of Strawberry that Quire relies on, and nothing else: each has no public
equivalent in the pinned release. `tests/unit/test_strawberry_internals.py` fails on an upgrade
that changes any of them, before anything else breaks in a less legible way.
"""

from typing import Any

from graphql import GraphQLResolveInfo, GraphQLSchema
from strawberry import Schema
from strawberry.types import ExecutionContext, Info
from strawberry.types.arguments import convert_arguments as _convert_arguments


def graphql_schema(schema: Schema) -> GraphQLSchema:
    """graphql-core's schema behind a Strawberry schema (validation, planning, analysis)."""
    found: GraphQLSchema = schema._schema
    return found


def sent_operation_name(context: ExecutionContext) -> str | None:
    """The operation name the client sent. The public `operation_name` falls back to the
    document's first operation, which would hide a document of several unnamed ones."""
    return context._provided_operation_name


def resolve_info(info: Info[Any, Any]) -> GraphQLResolveInfo[Any]:
    """graphql-core's info (Strawberry's own subclass of it): the field's nodes and the
    document's fragments, which a lookahead must walk itself (`Info.selected_fields` expands
    every fragment, exponentially)."""
    return info._raw_info


def convert_arguments(raw: dict[str, Any], field: Any, schema: Schema) -> dict[str, Any]:
    """A field's arguments as Strawberry hands them to its resolver (inputs as their classes,
    enums as members), for the compiled reads that call resolvers' helpers themselves."""
    converted: dict[str, Any] = _convert_arguments(
        raw,
        field.arguments,
        scalar_registry=schema.schema_converter.scalar_registry,
        config=schema.config,
    )
    return converted
