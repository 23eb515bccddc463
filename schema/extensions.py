"""Request-wide checks that run before validation."""

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, StringValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension


class RejectUnsafeStrings(SchemaExtension):
    """Refuse NUL characters and unpaired surrogates anywhere in the request's strings.

    Neither can be stored (PostgreSQL rejects NUL, no database encodes a lone surrogate), so
    they are the client's mistake and get a BAD_USER_INPUT instead of a database error.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and (
            _unsafe_literal(context.graphql_document) or _unsafe_value(context.variables)
        ):
            context.pre_execution_errors = [
                GraphQLError(
                    "Strings must be valid Unicode text without NUL characters.",
                    extensions={"code": "BAD_USER_INPUT"},
                )
            ]
        yield


def is_unsafe_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unsafe_value(value: Any) -> bool:
    if isinstance(value, str):
        return is_unsafe_text(value)
    if isinstance(value, dict):
        return any(_unsafe_value(k) or _unsafe_value(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unsafe_value(item) for item in value)
    return False


def _unsafe_literal(document: Any) -> bool:
    found = False

    class Finder(Visitor):
        def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
            nonlocal found
            found = found or is_unsafe_text(node.value)

    visit(document, Finder())
    return found
