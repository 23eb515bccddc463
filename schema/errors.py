"""Every error a client sees carries `extensions.code`; unexpected ones are masked and logged."""

import logging

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from resolvers.errors import QuireError

logger = logging.getLogger("quire.errors")

INTERNAL_MESSAGE = "Internal server error."


def error_code(error: GraphQLError) -> str | None:
    """The code for an error the client caused, or None when the error must be masked."""
    original = error.original_error
    if isinstance(original, QuireError):
        return original.code
    if original is None or isinstance(original, GraphQLError):
        # Raised by graphql-core itself (syntax, validation or variable coercion) or by one of
        # Quire's extensions, which set the code themselves.
        if error.extensions and "code" in error.extensions:
            return str(error.extensions["code"])
        if error.message.startswith("Syntax Error"):
            return "GRAPHQL_PARSE_FAILED"
        if error.message.startswith("Variable "):
            return "BAD_USER_INPUT"
        return "GRAPHQL_VALIDATION_FAILED"
    return None


class ErrorCodes(MaskErrors):
    """Adds `extensions.code` to expected errors and replaces unexpected ones with a generic one."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in errors:
            code = error_code(error)
            if code is None:
                logger.error("unexpected error at %s", error.path, exc_info=error.original_error)
                processed.append(
                    GraphQLError(
                        INTERNAL_MESSAGE,
                        nodes=error.nodes,
                        path=error.path,
                        extensions={"code": "INTERNAL_SERVER_ERROR"},
                    )
                )
                continue
            extensions = {**(error.extensions or {}), "code": code}
            original = error.original_error
            if isinstance(original, QuireError) and original.field:
                extensions["field"] = original.field
            processed.append(
                GraphQLError(
                    error.message,
                    nodes=error.nodes,
                    source=error.source,
                    positions=error.positions,
                    path=error.path,
                    original_error=None,
                    extensions=extensions,
                )
            )
        return processed
