"""Request-wide checks that run before validation."""

from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    StringValueNode,
    Visitor,
    parse,
    specified_rules,
    validate,
    visit,
)
from graphql.language import DocumentNode
from strawberry.extensions import SchemaExtension

from resolvers.context import Quota, RequestState
from schema.limits import Analysis, Limits, analyze
from schema.strawberry_internals import graphql_schema, sent_operation_name

MAX_CACHED_QUERY = 8_000  # characters; real queries are far smaller, padded ones aren't kept
MAX_CACHED_VARIABLES = 2_000  # bytes of JSON
MAX_CACHED_ANALYSES = 1_024  # keys hold the query text: at most ~10 MB


@lru_cache(maxsize=1024)
def _cached_parse(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


def parse_document(query: str, max_tokens: int) -> DocumentNode:
    if len(query) > MAX_CACHED_QUERY:
        return parse(query, max_tokens=max_tokens)
    return _cached_parse(query, max_tokens)


class CachedParse(SchemaExtension):
    """Parses each distinct query text once, refusing documents over `max_tokens` tokens.

    A document that fails to parse is left to Strawberry, which reports the syntax error
    through the normal error path (an exception raised here would skip ErrorCodes).
    """

    def __init__(self, *, max_tokens: int) -> None:
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        if context.query:
            with suppress(GraphQLError):
                context.graphql_document = parse_document(context.query, self.max_tokens)
        yield


class RejectUnsafeStrings(SchemaExtension):
    """Refuse NUL characters and unpaired surrogates anywhere in the request's strings.

    Neither can be stored (PostgreSQL rejects NUL, no database encodes a lone surrogate), so
    they are the client's mistake and get a BAD_USER_INPUT instead of a database error.
    """

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and (
            has_unsafe_literals(context.query, context.graphql_document)
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


def is_unsafe_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


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


def has_unsafe_literals(query: str | None, document: DocumentNode) -> bool:
    """Whether a string literal of the document is unsafe: once per distinct query text (the
    walk over the document costs more than the rest of a cached request's checks)."""
    if query is None or len(query) > MAX_CACHED_QUERY:
        return _unsafe_literal(document)
    return _unsafe_literal_in(query)


@lru_cache(maxsize=1024)
def _unsafe_literal_in(query: str) -> bool:
    # Keyed by the text alone (hashing the document would walk it): parsed again on a miss.
    return _unsafe_literal(parse(query, no_location=True))


def _unsafe_literal(document: Any) -> bool:
    found = False

    class Finder(Visitor):
        def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
            nonlocal found
            found = found or is_unsafe_text(node.value)

    visit(document, Finder())
    return found


class Guard:
    """Validation (with a cache), the query limits and the rate limit: what every operation
    passes before any resolver runs, whichever executor runs it (see schema.compiled)."""

    def __init__(self, *, rules: "ValidationRules", limits: Limits, quota: Quota | None) -> None:
        self.rules = rules
        self.limits = limits
        self.quota = quota
        self._analyses: OrderedDict[tuple[str, str | None, bytes], Analysis | None] = OrderedDict()

    async def check(
        self,
        state: RequestState,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        *,
        operation_name: str | None,
        variables: dict[str, Any] | None,
    ) -> list[GraphQLError]:
        """The errors that stop the operation (none: it may run, and its cost is charged)."""
        errors = self.rules.validate(schema, query, document)
        if errors:
            await self._charge(state, 1)
            return errors
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is None and len(operations) > 1:
            return [
                GraphQLError(
                    "The document has several operations; name one with `operationName`.",
                    extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
                )
            ]
        analysis = self._analysis(schema, query, document, operation_name, variables)
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

    def _analysis(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        operation_name: str | None,
        variables: dict[str, Any] | None,
    ) -> Analysis | None:
        """`analyze`, remembered for the same text, operation and variables (a page's cost
        depends on its variables, as `first: $n`)."""
        try:
            values = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            values = None
        if values is None or len(query) > MAX_CACHED_QUERY or len(values) > MAX_CACHED_VARIABLES:
            return analyze(schema, document, operation_name, variables)
        key = (query, operation_name, values)
        if key in self._analyses:
            self._analyses.move_to_end(key)
            return self._analyses[key]
        analysis = self._analyses[key] = analyze(schema, document, operation_name, variables)
        if len(self._analyses) > MAX_CACHED_ANALYSES:
            self._analyses.popitem(last=False)
        return analysis

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

    def __init__(self, *, guard: Guard) -> None:
        self.guard = guard

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = await self.guard.check(
                context.context.request,
                graphql_schema(context.schema),
                context.query or "",
                context.graphql_document,
                operation_name=sent_operation_name(context),
                variables=context.variables,
            )
        yield

    def get_results(self) -> dict[str, Any]:
        return self.guard.results(getattr(self.execution_context.context, "request", None))


class ValidationRules:
    """graphql-core validation with Quire's rule set, cached by query text (the same text
    always validates the same way against one schema)."""

    def __init__(self, *, introspection: bool, cache_size: int = 1024) -> None:
        self.introspection = introspection
        self.rules = list(specified_rules)
        if not introspection:
            self.rules.append(NoSchemaIntrospectionCustomRule)
        self.cache_size = cache_size
        self._cache: OrderedDict[str, list[GraphQLError]] = OrderedDict()

    def validate(
        self, schema: GraphQLSchema, query: str, document: DocumentNode
    ) -> list[GraphQLError]:
        if query in self._cache:
            self._cache.move_to_end(query)
            return self._cache[query]
        # Without introspection, "Did you mean ...?" would leak the schema field by field.
        errors = validate(schema, document, self.rules, hide_suggestions=not self.introspection)
        if len(query) > MAX_CACHED_QUERY:
            return errors
        self._cache[query] = errors
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return errors


class ReleaseReader(SchemaExtension):
    """Gives the request's read session back to the pool once the operation has run."""

    async def on_execute(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.execution_context.context.finish()
