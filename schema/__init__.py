"""The GraphQL surface. Declares types and delegates to `resolvers`; never opens a session."""

from pathlib import Path

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.errors import ErrorCodes
from schema.query import Query

SDL_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        extensions=[ErrorCodes],
        config=StrawberryConfig(auto_camel_case=True),
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
