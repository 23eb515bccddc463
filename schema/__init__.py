"""The GraphQL surface. Declares types and delegates to `resolvers`; never opens a session."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from resolvers.context import Quota
from schema.document import Documents
from schema.errors import ErrorCodes
from schema.extensions import (
    Guard,
    ParsedDocument,
    QueryGuard,
    RejectUnsafeStrings,
    ReleaseReader,
    ValidationRules,
)
from schema.limits import Limits
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription

SDL_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"


class QuireSchema(strawberry.Schema):
    guard: Guard
    """The checks every operation passes, for executors other than Strawberry's own."""
    documents: Documents
    """The one cache of parsed documents, which every executor and the endpoint read."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Strawberry would log every error with a traceback, the client's mistakes included;
        ErrorCodes logs the unexpected ones instead."""


def build_schema(
    *,
    limits: Limits | None = None,
    introspection: bool = True,
    quota: Quota | None = None,
    max_tokens: int = 2_000,
) -> QuireSchema:
    """The schema with its guards: documents parsed once (with the token limit), validated
    and analysed once, query limits, rate limiting, input checks and error codes."""
    guard = Guard(
        rules=ValidationRules(introspection=introspection), limits=limits or Limits(), quota=quota
    )
    documents = Documents(max_tokens=max_tokens)
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        lambda: ParsedDocument(documents=documents),
        lambda: RejectUnsafeStrings(documents=documents),
        lambda: QueryGuard(guard=guard, documents=documents),
        ErrorCodes,
        ReleaseReader,
    ]
    schema = QuireSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
    )
    schema.guard = guard
    schema.documents = documents
    return schema


def export_sdl() -> str:
    return build_schema().as_str() + "\n"
