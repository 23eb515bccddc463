"""Every error a client sees carries `extensions.code`; unexpected ones are masked and logged."""

import logging

from graphql import GraphQLError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from strawberry.extensions import MaskErrors

from resolvers.errors import QuireError, unavailable_sqlstate

logger = logging.getLogger("quire.errors")

INTERNAL_MESSAGE = "Internal server error."
UNAVAILABLE_MESSAGE = "The database is unavailable; try again in a moment."


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
    if _is_unavailable(original):
        return "SERVICE_UNAVAILABLE"
    return None


def _is_unavailable(error: BaseException) -> bool:
    """The database could not be reached or gave up (restart, failover, pool exhausted)."""
    if isinstance(error, DBAPIError) and (
        error.connection_invalidated
        or isinstance(error, OperationalError | InterfaceError)
        or unavailable_sqlstate(error.orig)
    ):
        return True
    return isinstance(error, SQLAlchemyTimeoutError | ConnectionError | OSError | TimeoutError)


class ErrorCodes(MaskErrors):
    """Adds `extensions.code` to expected errors and replaces unexpected ones with a generic one."""

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = []
        for error in errors:
            code = error_code(error)
            if code is None or code == "SERVICE_UNAVAILABLE":
                processed.append(self._masked(error, code or "INTERNAL_SERVER_ERROR"))
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

    def _masked(self, error: GraphQLError, code: str) -> GraphQLError:
        state = getattr(self.execution_context.context, "request", None)
        return masked(error, code, getattr(state, "request_id", "-"))


def masked(error: GraphQLError, code: str, request_id: str) -> GraphQLError:
    """A generic error carrying the request id, in place of `error` (which must not reach the
    client); the log gets the trace under that id."""
    logger.error(
        "%s at %s (request %s)",
        code.lower(),
        error.path,
        request_id,
        exc_info=error.original_error,
        extra={"fields": {"request_id": request_id, "code": code}},
    )
    message = UNAVAILABLE_MESSAGE if code == "SERVICE_UNAVAILABLE" else INTERNAL_MESSAGE
    return GraphQLError(
        message,
        nodes=error.nodes,
        path=error.path,
        extensions={"code": code, "requestId": request_id},
    )


def is_database_error(error: BaseException) -> bool:
    """An error of the database or of reaching it (as opposed to a bug or a client's mistake)."""
    return isinstance(error, DBAPIError) or _is_unavailable(error)
