"""Strawberry's private parts that `schema.strawberry_internals` wraps still behave as Quire
expects: an upgrade that changes one fails here, by name."""

from typing import Any

from graphql import GraphQLSchema, OperationType, parse

from schema import build_schema
from schema.inputs import PostFilter
from schema.strawberry_internals import (
    convert_arguments,
    graphql_schema,
    resolve_info,
    sent_operation_name,
)

SCHEMA = build_schema()


def test_the_graphql_schema_is_graphql_cores() -> None:
    found = graphql_schema(SCHEMA)
    assert isinstance(found, GraphQLSchema)
    assert found.query_type is not None and "posts" in found.query_type.fields


def test_the_sent_operation_name_is_what_the_client_sent() -> None:
    from strawberry.types import ExecutionContext

    document = "query A { __typename } query B { __typename }"
    operations = {OperationType.QUERY}
    unnamed = ExecutionContext(document, SCHEMA, operations, provided_operation_name=None)
    named = ExecutionContext(document, SCHEMA, operations, provided_operation_name="B")
    unnamed.graphql_document = named.graphql_document = parse(document)
    assert sent_operation_name(unnamed) is None
    assert unnamed.operation_name == "A"  # why the public property will not do
    assert sent_operation_name(named) == "B"


async def test_resolve_info_gives_the_field_nodes_and_fragments() -> None:
    seen: list[Any] = []

    import strawberry

    @strawberry.type
    class Query:
        @strawberry.field
        def probe(self, info: strawberry.Info) -> int:
            seen.append(resolve_info(info))
            return 1

    result = await strawberry.Schema(query=Query).execute(
        "query { ...F } fragment F on Query { probe }"
    )
    assert result.errors is None
    (raw,) = seen
    assert raw.field_nodes[0].name.value == "probe" and "F" in raw.fragments


def test_converted_arguments_are_the_resolvers_classes() -> None:
    query = graphql_schema(SCHEMA).query_type
    assert query is not None
    definition = query.fields["posts"].extensions["strawberry-definition"]
    converted = convert_arguments({"filter": {"featured": True}, "first": 3}, definition, SCHEMA)
    assert isinstance(converted["filter"], PostFilter)
    assert converted["filter"].featured is True and converted["first"] == 3
