"""The committed schema.graphql is the schema the code serves, and every part of it is described."""

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from schema import SDL_PATH, build_schema, export_sdl
from schema.strawberry_internals import graphql_schema


def test_committed_schema_graphql_is_up_to_date() -> None:
    assert SDL_PATH.read_text() == export_sdl(), (
        "schema.graphql is stale: run `uv run quire schema export` and commit the result"
    )


def test_every_type_field_and_argument_has_a_description() -> None:
    missing = []
    for name, type_ in graphql_schema(build_schema()).type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Boolean", "ID", "Float"}:
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing.extend(
                    f"{name}.{field_name}({arg})"
                    for arg, value in field.args.items()
                    if not value.description
                )
        elif isinstance(type_, GraphQLInputObjectType):
            missing.extend(f"{name}.{f}" for f, v in type_.fields.items() if not v.description)
        elif isinstance(type_, GraphQLEnumType):
            missing.extend(f"{name}.{v}" for v, d in type_.values.items() if not d.description)
    assert missing == []
