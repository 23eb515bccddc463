"""Request-wide checks that run before validation."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    specified_rules,
    validate,
)
from graphql.language import DocumentNode
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from resolvers.context import Quota, RequestState
from schema.document import Document, Documents, is_unsafe_text
from schema.limits import Limits
from schema.strawberry_internals import graphql_schema, sent_operation_name


def request_document(context: ExecutionContext, documents: Documents) -> Document:
    """The document the endpoint looked up for this request, else (a direct `execute`) the
    one cache's."""
    state = getattr(context.context, "request", None)
    document = getattr(state, "document", None)
    if isinstance(document, Document) and document.text == context.query:
        return document
    return documents.get(context.query or "")


class ParsedDocument(SchemaExtension):
    """Hands Strawberry the request's document as parsed once (see `schema.document`).

    A document that does not parse is left to Strawberry, which parses it again and reports
    the syntax error through the normal error path (with `max_tokens` applied)."""

    def __init__(self, *, documents: Documents) -> None:
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.documents.max_tokens
        if context.query:
            context.graphql_document = request_document(context, self.documents).node
        yield


class RejectUnsafeStrings(SchemaExtension):
    """Refuse NUL characters and unpaired surrogates anywhere in the request's strings.

    Neither can be stored (PostgreSQL rejects NUL, no database encodes a lone surrogate), so
    they are the client's mistake and get a BAD_USER_INPUT instead of a database error.
    """

    def __init__(self, *, documents: Documents) -> None:
        self.documents = documents

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and (
            request_document(context, self.documents).unsafe_literals
            or has_unsafe_value(context.variables)
        ):
            context.pre_execution_errors = [
                GraphQLError(
                    "Strings must be valid Unicode text without NUL characters, and variables "
                    f"may nest at most {MAX_VARIABLE_NESTING} levels.",
                    extensions={"code": "BAD_USER_INPUT"},
                )
            ]
        yield


MAX_VARIABLE_NESTING = 32


def has_unsafe_value(value: Any) -> bool:
    """True for unsafe text anywhere in `value`, or nesting deeper than any input type allows.
    Iterative, so a variable nested thousands deep cannot exhaust the stack."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_VARIABLE_NESTING:
            return True
        if isinstance(item, str):
            if is_unsafe_text(item):
                return True
        elif isinstance(item, dict):
            pending.extend((key, depth + 1) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
    return False


class Guard:
    """Validation (with a cache), the query limits and the rate limit: what every operation
    passes before any resolver runs, whichever executor runs it (see schema.compiled)."""

    def __init__(self, *, rules: "ValidationRules", limits: Limits, quota: Quota | None) -> None:
        self.rules = rules
        self.limits = limits
        self.quota = quota

    async def check(
        self,
        state: RequestState,
        schema: GraphQLSchema,
        document: Document,
        *,
        operation_name: str | None,
        variables: dict[str, Any] | None,
    ) -> list[GraphQLError]:
        """The errors that stop the operation (none: it may run, and its cost is charged). The
        document must have parsed."""
        errors = document.validate(lambda node: self.rules.validate(schema, node))
        if errors:
            await self._charge(state, 1)
            return errors
        if operation_name is None and len(document.operations) > 1:
            return [
                GraphQLError(
                    "The document has several operations; name one with `operationName`.",
                    extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
                )
            ]
        analysis = document.analysis(schema, operation_name, variables)
        if analysis is None:
            return []  # execution reports the unknown operation name
        if (message := analysis.violation(self.limits)) is not None:
            await self._charge(state, 1)
            return [GraphQLError(message, extensions={"code": "QUERY_TOO_COMPLEX"})]
        state.cost = analysis.cost
        if not await self._charge(state, analysis.cost):
            return [
                GraphQLError(
                    "Rate limit exceeded; retry after the time in the Retry-After header.",
                    extensions={"code": "THROTTLED"},
                )
            ]
        return []

    async def _charge(self, state: RequestState, cost: int) -> bool:
        """Take `cost` from the client's budget, once per request: a request that another
        executor checked first and handed over keeps that decision."""
        if self.quota is None:
            return True
        if not state.charged:
            state.charged = True
            state.rate = await self.quota.take(state.client_key, cost)
            state.throttled = not state.rate.allowed
        return not state.throttled

    def results(self, state: RequestState | None) -> dict[str, Any]:
        """The response extensions: the accepted operation's cost."""
        if state is None or state.cost is None:
            return {}
        return {"cost": {"requested": state.cost, "limit": self.limits.max_cost}}


class QueryGuard(SchemaExtension):
    """Runs the Guard before any resolver, and reports the accepted query's cost in the
    response extensions."""

    def __init__(self, *, guard: Guard, documents: Documents) -> None:
        self.guard = guard
        self.documents = documents

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = await self.guard.check(
                context.context.request,
                graphql_schema(context.schema),
                request_document(context, self.documents),
                operation_name=sent_operation_name(context),
                variables=context.variables,
            )
        yield

    def get_results(self) -> dict[str, Any]:
        return self.guard.results(getattr(self.execution_context.context, "request", None))


class ValidationRules:
    """graphql-core validation with Quire's rule set (each document is validated once: see
    `Document.validate`)."""

    def __init__(self, *, introspection: bool) -> None:
        self.introspection = introspection
        self.rules = list(specified_rules)
        if not introspection:
            self.rules.append(NoSchemaIntrospectionCustomRule)

    def validate(self, schema: GraphQLSchema, document: DocumentNode) -> list[GraphQLError]:
        # Without introspection, "Did you mean ...?" would leak the schema field by field.
        return validate(schema, document, self.rules, hide_suggestions=not self.introspection)


class ReleaseReader(SchemaExtension):
    """Gives the request's read session back to the pool once the operation has run."""

    async def on_execute(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.execution_context.context.finish()
