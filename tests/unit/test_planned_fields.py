"""Every field of the types the compiled reads plan is planned, or left to Strawberry on
purpose: a field the planner cannot answer fails here instead of falling back silently."""

import pytest
from graphql import GraphQLObjectType, get_named_type

from schema import build_schema
from schema.compiled import LEFT_TO_STRAWBERRY, CompiledReads
from schema.strawberry_internals import graphql_schema

SCHEMA = build_schema()
PLANS = CompiledReads(SCHEMA)
# Where each planned type is reached from a page of posts.
PATHS = {
    "Post": "posts(first: 1) { nodes { %s } }",
    "Image": "posts(first: 1) { nodes { featureImage { %s } } }",
    "Author": "posts(first: 1) { nodes { authors { %s } } }",
    "Tag": "posts(first: 1) { nodes { primaryTag { %s } } }",
}


def _selection(type_name: str, field_name: str) -> str:
    type_ = graphql_schema(SCHEMA).get_type(type_name)
    assert isinstance(type_, GraphQLObjectType)
    named = get_named_type(type_.fields[field_name].type)
    return f"{field_name} {{ __typename }}" if isinstance(named, GraphQLObjectType) else field_name


@pytest.mark.parametrize(
    ("type_name", "field_name"),
    [
        (type_name, field_name)
        for type_name in PATHS
        for field_name in graphql_schema(SCHEMA).get_type(type_name).fields  # type: ignore[union-attr]
        if field_name not in LEFT_TO_STRAWBERRY.get(type_name, ())
    ],
)
def test_every_field_of_a_planned_type_is_planned(type_name: str, field_name: str) -> None:
    query = "{ %s }" % (PATHS[type_name] % _selection(type_name, field_name))
    assert PLANS.plan(query, None) is not None, f"{type_name}.{field_name} is not planned"


def test_the_fields_left_to_strawberry_exist() -> None:
    for type_name, names in LEFT_TO_STRAWBERRY.items():
        type_ = graphql_schema(SCHEMA).get_type(type_name)
        assert isinstance(type_, GraphQLObjectType)
        assert names <= set(type_.fields), type_name
