"""Static analysis of an operation before it runs: depth, aliases, root fields and cost.

Cost estimates how many objects a query can return, the way GitHub's node limit does: a
connection field multiplies everything below it by its page size (`first`/`last`, or the
default), `nodes(ids:)` by the number of ids, and every object field counts one. Scalars are
free. Fragments are analysed once each and scaled, so a "fragment bomb" that spreads the same
fragment many times costs its true size without the analysis itself exploding.
"""

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)
from graphql.language import DocumentNode

from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

ParentType = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
INTROSPECTION_ROOTS = {"__schema", "__type"}
MAX_INTROSPECTION_DEPTH = 16  # graphql-core's full introspection query needs 15


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_root_fields: int = 10
    max_cost: int = 5_000


@dataclass(frozen=True)
class Analysis:
    depth: int
    aliases: int
    root_fields: int
    cost: int
    # `__schema`/`__type` answer from the schema, not the database, but a response can still be
    # made huge with aliases: they are allowed once per request, without aliases inside.
    introspection_roots: int = 0
    introspection_aliases: int = 0
    introspection_depth: int = 0

    def violation(self, limits: Limits) -> str | None:
        """The first limit this operation exceeds, as a message for the client."""
        if self.introspection_roots > 1:
            return "Ask for `__schema` or `__type` at most once per request."
        if self.introspection_aliases:
            return "Aliases are not allowed inside `__schema` and `__type`."
        if self.introspection_depth > MAX_INTROSPECTION_DEPTH:
            return f"Introspection may nest at most {MAX_INTROSPECTION_DEPTH} levels."
        if self.depth > limits.max_depth:
            return f"Query depth {self.depth} exceeds the limit of {limits.max_depth}."
        if self.aliases > limits.max_aliases:
            return f"Query uses {self.aliases} aliases; the limit is {limits.max_aliases}."
        if self.root_fields > limits.max_root_fields:
            return (
                f"Query asks for {self.root_fields} root fields; "
                f"the limit is {limits.max_root_fields}."
            )
        if self.cost > limits.max_cost:
            return (
                f"Query cost {self.cost} exceeds the limit of {limits.max_cost}; "
                "ask for smaller pages or fewer nested connections."
            )
        return None


@dataclass(frozen=True)
class _Stats:
    depth: int = 0
    aliases: int = 0
    cost: int = 0
    fields: int = 0  # top-level fields, counted only for the operation's own selection set

    def __add__(self, other: "_Stats") -> "_Stats":
        return _Stats(
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            self.cost + other.cost,
            self.fields + other.fields,
        )


def analyze(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> Analysis | None:
    """Analyse the operation that will run; None if the document names no such operation
    (execution reports that error itself). The document must already be validated."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [op for op in operations if op.name and op.name.value == operation_name]
    if len(operations) != 1:
        return None
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    values = _with_defaults(operation, variables or {})
    walker = _Walker(schema, fragments, values)
    stats = walker.selection_set(operation.selection_set, root)
    return Analysis(
        depth=stats.depth,
        aliases=stats.aliases,
        root_fields=stats.fields,
        cost=stats.cost,
        introspection_roots=walker.introspection_roots,
        introspection_aliases=walker.introspection.aliases,
        introspection_depth=walker.introspection.depth,
    )


def _with_defaults(operation: OperationDefinitionNode, variables: dict[str, Any]) -> dict[str, Any]:
    """The variables the operation will run with: sent values, else declared defaults."""
    values = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    return values


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.memo: dict[str, _Stats] = {}
        self.introspection_roots = 0
        self.introspection = _Stats()
        self._shape_memo: dict[str, _Stats] = {}

    def selection_set(self, selection_set: SelectionSetNode, parent: ParentType) -> _Stats:
        total = _Stats()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, inner or parent)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> _Stats:
        if name not in self.memo:
            definition = self.fragments[name]
            parent = self._type(definition.type_condition.name.value)
            self.memo[name] = (
                self.selection_set(definition.selection_set, parent) if parent else _Stats()
            )
        return self.memo[name]

    def field(self, node: FieldNode, parent: ParentType) -> _Stats:
        aliases = 1 if node.alias else 0
        name = node.name.value
        if name in INTROSPECTION_ROOTS:
            self.introspection_roots += 1
            if node.selection_set is not None:
                inner = self._shape(node.selection_set)
                self.introspection += _Stats(depth=inner.depth + 1, aliases=inner.aliases)
            return _Stats(depth=1, aliases=aliases, fields=1)
        definition = None if isinstance(parent, GraphQLUnionType) else parent.fields.get(name)
        if definition is None or node.selection_set is None:  # scalars, enums, __typename
            return _Stats(depth=1, aliases=aliases, fields=1)
        named = get_named_type(definition.type)
        assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        child = self.selection_set(node.selection_set, named)
        multiplier = self._multiplier(node, definition.args)
        return _Stats(
            depth=child.depth + 1,
            aliases=aliases + child.aliases,
            cost=multiplier * (1 + child.cost),
            fields=1,
        )

    def _shape(self, selection_set: SelectionSetNode) -> _Stats:
        """Depth and aliases of a selection, without types (used inside introspection)."""
        total = _Stats()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = self._shape(selection.selection_set) if selection.selection_set else None
                total += _Stats(
                    depth=(inner.depth if inner else 0) + 1,
                    aliases=(1 if selection.alias else 0) + (inner.aliases if inner else 0),
                )
            elif isinstance(selection, InlineFragmentNode):
                total += self._shape(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in self._shape_memo:
                    self._shape_memo[name] = self._shape(self.fragments[name].selection_set)
                total += self._shape_memo[name]
        return total

    def _multiplier(self, node: FieldNode, arguments: dict[str, Any]) -> int:
        values = {arg.name.value: self._value(arg.value) for arg in node.arguments or ()}
        if "first" in arguments or "last" in arguments:
            size = values.get("first") or values.get("last") or DEFAULT_PAGE_SIZE
            if not isinstance(size, int):
                return DEFAULT_PAGE_SIZE
            # Sizes outside 1..MAX_PAGE_SIZE are refused by the field with a precise message.
            return min(max(1, size), MAX_PAGE_SIZE)
        ids = values.get("ids")
        if isinstance(ids, list):
            return max(1, len(ids))
        return 1

    def _value(self, value: Any) -> Any:
        try:
            return value_from_ast_untyped(value, self.variables)
        except (TypeError, ValueError):
            return None

    def _type(self, name: str) -> ParentType | None:
        found = self.schema.get_type(name)
        return (
            found
            if isinstance(found, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
            else None
        )


def brace_nesting(query: str) -> int:
    """How deeply `{`, `(` and `[` nest in a document, ignoring strings and comments.

    Checked before parsing: graphql-core's parser recurses once per level, so a document of
    thousands of opening braces would exhaust Python's stack before any limit applied."""
    deepest = depth = 0
    index, length = 0, len(query)
    while index < length:
        char = query[index]
        if char == "#":
            newline = query.find("\n", index)
            index = length if newline == -1 else newline
        elif char == '"':
            if query.startswith('"""', index):
                end = query.find('"""', index + 3)
                while end != -1 and query[end - 1] == "\\":  # \""" is an escaped quote
                    end = query.find('"""', end + 3)
                index = length if end == -1 else end + 2
            else:
                index += 1
                while index < length and query[index] not in '"\n':
                    index += 2 if query[index] == "\\" else 1
        elif char in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})]":
            depth -= 1
        index += 1
    return deepest
