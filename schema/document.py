"""A request's GraphQL document: parsed once per distinct text, with everything worked out from
it kept on the one object.

Every step that reads a document reads a `Document`: the response cache (its operations'
types, whether its answers may be cached, its normalised digest), the check for unsafe string
literals, validation, the query limits' analysis (per operation and variables) and the compiled
read plan (per operation). `Documents` is the one bounded cache of them, by text; the endpoint
looks a request's document up once and hands the object on (`RequestState.document`), so a
document too long to be kept is still parsed only once per request.

Parsing, the unsafe-literal check and the cacheability check are one walk; validation,
analysis and planning run at most once per document (analysis once per variables' values), on
first use.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from resolvers.lru import LRU
from schema.limits import Analysis, analyze, brace_nesting

MAX_KEPT_TEXT = 8_000
"""Characters; real queries are far smaller, padded ones are not kept."""
MAX_DOCUMENTS = 1_024
"""Documents kept per worker (their keys hold the texts: at most about 10 MB)."""
MAX_NESTING = 64
"""Brackets of any kind; far beyond any sensible query or filter. graphql-core's parser
recurses once per level, so deeper documents are refused before parsing."""
MAX_ANALYSES = 16
"""Analyses kept per document, by operation and variables' values."""
MAX_ANALYSED_VARIABLES = 2_000
"""Bytes of JSON; an analysis of larger variables is not kept."""
UNCACHEABLE_ARGUMENTS = frozenset({"previewToken"})
MAX_DIRECTIVES = 50
"""Directives in a document. Validation reports each repeated directive (graphql-cop's
"directive overloading"): a document with thousands would make thousands of errors."""
"""Arguments whose answers depend on a signed token that expires: a cached copy could outlive
it."""


def is_unsafe_text(text: str) -> bool:
    """NUL characters and unpaired surrogates can be stored nowhere: the client's mistake."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@dataclass(eq=False)
class Document:
    text: str
    node: DocumentNode | None
    """None when the text is not a document that can run (syntax, tokens, nesting): whoever
    executes it parses it again to report why."""
    too_deep: bool = False
    operations: dict[str | None, OperationDefinitionNode] = field(default_factory=dict)
    unsafe_literals: bool = False
    directives: int = 0
    cacheable: bool = False
    """Its answers may be kept by the response cache (no argument of `UNCACHEABLE_ARGUMENTS`)."""
    digest: bytes = b""
    """SHA-256 of the normalised document: texts that differ only in layout share it."""
    _validation: list[GraphQLError] | None = field(default=None, repr=False)
    _analyses: LRU[tuple[str | None, bytes], tuple[Analysis | None]] = field(
        default_factory=lambda: LRU(MAX_ANALYSES), repr=False
    )
    _plans: dict[str | None, Any] = field(default_factory=dict, repr=False)

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        """The operation that runs, or None when none would."""
        if name is not None:
            return self.operations.get(name)
        if len(self.operations) == 1:
            return next(iter(self.operations.values()))
        return None

    def operation_type(self, name: str | None) -> OperationType | None:
        operation = self.operation(name)
        return None if operation is None else operation.operation

    def validate(
        self, validate: Callable[[DocumentNode], list[GraphQLError]]
    ) -> list[GraphQLError]:
        """The validation errors, worked out once (one schema and rule set per `Documents`)."""
        assert self.node is not None
        if self._validation is None:
            self._validation = validate(self.node)
        return self._validation

    def analysis(
        self, schema: GraphQLSchema, operation_name: str | None, variables: dict[str, Any] | None
    ) -> Analysis | None:
        """`analyze`, kept per operation and variables (a page's cost depends on them, as
        `first: $n`). The document must be valid."""
        assert self.node is not None
        try:
            values = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            values = None
        if values is None or len(values) > MAX_ANALYSED_VARIABLES:
            return analyze(schema, self.node, operation_name, variables)
        key = (operation_name, values)
        found = self._analyses.get(key)
        if found is None:
            found = (analyze(schema, self.node, operation_name, variables),)
            self._analyses.put(key, found)
        return found[0]

    def plan(self, operation_name: str | None, make: Callable[["Document"], Any]) -> Any:
        """The compiled read plan of an operation (None: not planned), made once."""
        if operation_name not in self._plans:
            self._plans[operation_name] = make(self)
        return self._plans[operation_name]


def refusal(document: Document) -> str | None:
    """Why the document may not run whatever the schema says (QUERY_TOO_COMPLEX), if so."""
    if document.too_deep:
        return "The document nests too deeply."
    if document.directives > MAX_DIRECTIVES:
        return f"The document uses {document.directives} directives; at most {MAX_DIRECTIVES}."
    return None


class Documents:
    """The one cache of documents by text, the least recently used forgotten."""

    def __init__(self, *, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._kept: LRU[str, Document] = LRU(MAX_DOCUMENTS)

    def get(self, text: str) -> Document:
        found = self._kept.get(text)
        if found is None:
            found = read(text, max_tokens=self.max_tokens)
            if len(text) <= MAX_KEPT_TEXT:
                self._kept.put(text, found)
        return found


def read(text: str, *, max_tokens: int) -> Document:
    """Parse `text` and walk it once."""
    if brace_nesting(text) > MAX_NESTING:
        return Document(text=text, node=None, too_deep=True)
    try:
        node = parse(text, max_tokens=max_tokens)
    except GraphQLError:
        return Document(text=text, node=None)
    walk = _Walk()
    visit(node, walk)
    return Document(
        text=text,
        node=node,
        operations={
            (d.name.value if d.name else None): d
            for d in node.definitions
            if isinstance(d, OperationDefinitionNode)
        },
        unsafe_literals=walk.unsafe_literals,
        directives=walk.directives,
        cacheable=not walk.uncacheable,
        digest=hashlib.sha256(print_ast(node).encode()).digest(),
    )


class _Walk(Visitor):
    """What one pass over the document finds: unsafe string literals, arguments whose answers
    may not be cached, and how many directives it uses."""

    def __init__(self) -> None:
        super().__init__()
        self.unsafe_literals = False
        self.uncacheable = False
        self.directives = 0

    def enter_directive(self, *_args: Any) -> None:
        self.directives += 1

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        self.unsafe_literals = self.unsafe_literals or is_unsafe_text(node.value)

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self.uncacheable = self.uncacheable or node.name.value in UNCACHEABLE_ARGUMENTS
