"""The GraphQL surface. Declares types and delegates to `resolvers`; never opens a session."""

from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig

from schema.errors import ErrorCodes
from schema.extensions import RejectUnsafeStrings
from schema.query import Query

SDL_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"


class QuireSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Strawberry would log every error with a traceback, the client's mistakes included;
        ErrorCodes logs the unexpected ones instead."""


def build_schema() -> strawberry.Schema:
    return QuireSchema(
        query=Query,
        extensions=[RejectUnsafeStrings, ErrorCodes],
        config=StrawberryConfig(auto_camel_case=True),
    )


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
