"""Compiled reads: the queries frontends send on every page view, planned once per document and
answered without graphql-core's field-by-field execution.

graphql-core resolves and completes every field of every object on its own: a page of 20 posts
with bylines and tags is about 400 field executions, and the profile of the benchmark's home page
put 45% of the request's CPU there. A plan knows, from the first sight of a document, which
columns, relations (bylines and tags) and counts it needs; it fetches them through the same
resolvers the schema uses (`schema.post.post_listing`, `resolvers.posts`, the request's
loaders), with the same SQL statements, and builds the response's dictionaries directly, each
value serialised by the schema's own scalar or enum type.

Planned: query operations whose every field lies in this subset (anything else, at any depth,
makes the whole document go through Strawberry):
- `Query`: `posts(...)`, `post(id | slug)`, `__typename`;
- `PostConnection`: `nodes`, `edges { cursor node score highlights }`, `pageInfo`,
  `totalCount`, and `facets(disjunctive:)` with its `levels`, `languages`, `includesCode`,
  `tags` and `authors`;
- `Post`: its stored fields, `status`, `featureImage`, `authors`, `tags`, `primaryAuthor`,
  `primaryTag`, `translations`; `Author` and `Tag`: their stored fields;
- fragments and inline fragments (flattened at planning, within a budget so a fragment bomb is
  not expanded); no directives, no introspection.

A request is also handed to Strawberry when anything about it is not plainly valid: unsafe
strings, validation, limits, rate limit, variables, arguments, cursors, a preview token. So every
error is reported by one code path; the guard's rate-limit charge is taken once either way.
`tests/api/test_compiled_reads.py` runs documents through both executors and compares the
answers byte for byte.
"""

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter, itemgetter
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from strawberry.types import ExecutionResult

from models import PostLevel
from resolvers import posts
from resolvers.context import Context
from resolvers.errors import QuireError
from resolvers.fields import AUTHOR, POST, TAG, Fields, global_id, snake
from resolvers.fields import Field as StoredField
from resolvers.loaders import PostRelations
from resolvers.lru import LRU
from resolvers.pagination import Page
from resolvers.posts import PostFacet
from resolvers.search_text import SearchQuery
from schema import QuireSchema
from schema.connection import PAGE_INFO_FIELDS as PAGE_INFO
from schema.document import Document
from schema.errors import error_code, is_database_error, masked
from schema.extensions import has_unsafe_value
from schema.node import parse_id
from schema.post import FACET_FIELDS, MAX_FACET_LIMIT, facet_values, post_listing
from schema.query import _one_of
from schema.search import HIGHLIGHT_COLUMNS, HIGHLIGHTED
from schema.strawberry_internals import convert_arguments, graphql_schema

logger = logging.getLogger("quire.compiled")

MAX_PLANNED_SELECTIONS = 2_000
"""Selections visited while planning one document; beyond it the document is left to
Strawberry (real documents visit a few dozen; a fragment bomb would visit billions)."""
MAX_CONVERTED_ARGUMENTS = 1_024
"""Converted arguments kept, for all plans together (per root field and variables' values)."""
MAX_COERCED_VARIABLES = 16
"""Coerced variables kept per plan (per distinct values sent)."""
MAX_CONVERTED_KEY_CHARS = 512
"""Variables whose strings are longer in all are converted every time (memory stays small)."""
MAX_PLANNED_DEPTH = 16
"""Translations of translations...: a fragment spread within itself would recurse forever (it
is refused by validation, which runs after planning)."""

LEFT_TO_STRAWBERRY = {
    "Post": frozenset({"revisions", "publication"}),
    "Author": frozenset({"postCount", "posts"}),
    "Tag": frozenset({"postCount", "posts"}),
}
"""Fields of the planned types that are left to Strawberry on purpose: nested connections,
counts and editors' history, and a post's publication (only sites that gather several blogs
have any; a DataLoader reads them). Every other field must be planned (a test fails
otherwise)."""

Field = tuple[str, Callable[..., Any], Callable[[Any], Any] | None, bool]
"""(response key, get, serialize, get takes the run too): `get(obj)` or `get(obj, run)` is
the value before the schema's type serialises it; None for `serialize` where that is the value
itself."""
Builder = Callable[[Any, "Run | None"], dict[str, Any]]


class Unsupported(Exception):
    """The document leaves the planned subset."""


class Fallback(Exception):
    """This request must run through Strawberry, which reports what is wrong with it."""


@dataclass
class Run:
    """One request's execution of a plan."""

    ctx: Context
    variables: VariableValues
    relation_columns: frozenset[str]
    relations: dict[int, PostRelations] = field(default_factory=dict)
    translations: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)

    async def ensure_relations(self, post_ids: list[int]) -> None:
        missing = [post_id for post_id in dict.fromkeys(post_ids) if post_id not in self.relations]
        if missing:
            found = await self.ctx.loaders.relations_for(missing, self.relation_columns)
            self.relations.update(zip(missing, found, strict=True))


@dataclass
class PostPlan:
    """A selection on Post: its fields in response order and what they need fetched."""

    fields: list[Field]
    columns: set[str]
    relations: bool = False
    translations: list["PostPlan"] = field(default_factory=list)

    async def build(self, items: list[Any], run: Run) -> list[dict[str, Any]]:
        ids = [item.id for item in items]
        if self.relations and ids:
            await run.ensure_relations(ids)
        for plan in self.translations:
            found = await run.ctx.loaders.translations_by_post.load_many(ids) if ids else []
            built = iter(await plan.build([post for group in found for post in group], run))
            for post_id, group in zip(ids, found, strict=True):
                run.translations[(id(plan), post_id)] = [next(built) for _ in group]
        build = self.builder
        return [build(item, run) for item in items]

    @cached_property
    def builder(self) -> Builder:
        return _builder(self.fields)  # made at first use, when planning has ended


@dataclass
class ConnectionPlan:
    """A selection on PostConnection."""

    fields: list[tuple[str, str, Any]]
    """(response key, what: nodes | edges | pageInfo | totalCount | typename, its sub-plan)."""
    nodes: list[PostPlan]
    needs_page: bool
    needs_count: bool
    facets: list["FacetsPlan"] = field(default_factory=list)
    columns: set[str] = field(default_factory=set)
    """The post columns its edges read beyond its nodes' (a search's highlights)."""

    async def _summaries(self, run: Run, query: posts.PostQuery) -> dict[int, dict[str, Any]]:
        """The counts asked for, by plan (id; 0 for totalCount), with one statement for the
        total and the facets not asked for disjunctively, and one per disjunctive `facets`, as
        Strawberry's execution counts them."""
        apart = [plan for plan in self.facets if plan.disjunctive(run)]
        together = [plan for plan in self.facets if plan not in apart]
        parts = frozenset(part for plan in together for part in plan.parts)
        if self.needs_count:
            parts |= {posts.SUMMARY_TOTAL}
        limits = _limits(together, run)
        summary = await posts.summarize(run.ctx, query=query, parts=parts, limits=limits)
        found = {id(plan): summary for plan in together} | {0: summary}
        for plan in apart:
            found[id(plan)] = await posts.summarize(
                run.ctx,
                query=query,
                parts=plan.parts,
                disjunctive=True,
                limits=_limits([plan], run),
            )
        return found

    async def build(self, run: Run, query: posts.PostQuery, request: Any) -> dict[str, Any]:
        page = None
        built: dict[int, list[dict[str, Any]]] = {}
        if self.needs_page:
            searched = self.columns if query.search is not None else set()  # else no highlights
            columns = searched.union(*(plan.columns for plan in self.nodes))
            page = await posts.list_post_rows(
                run.ctx, query=query, page=request, columns=columns, slugs_in_page=True
            )
            for plan in self.nodes:
                built[id(plan)] = await plan.build(page.items, run)
        summaries = await self._summaries(run, query) if self.needs_count or self.facets else {}
        result: dict[str, Any] = {}
        for key, what, sub in self.fields:
            if what == "nodes":
                result[key] = built[id(sub)]
            elif what == "edges":
                assert page is not None
                result[key] = sub.edges(page, built, query)
            elif what == "pageInfo":
                assert page is not None
                result[key] = sub.page_info(page)
            elif what == "totalCount":
                result[key] = summaries[0][posts.SUMMARY_TOTAL]
            elif what == "facets":
                result[key] = await sub.build(run, query, summaries[id(sub)])
            else:
                result[key] = sub
        return result


@dataclass
class FacetListPlan:
    """A facet's list (`levels(limit:)`, `tags(limit:)`...) in a `facets` selection."""

    facet: PostFacet
    definition: GraphQLField
    node: FieldNode
    entry: Builder
    """An entry's dictionary, from its (value, count) pair."""

    def limit(self, run: Run) -> int | None:
        limit: int | None = get_argument_values(self.definition, self.node, run.variables).get(
            "limit"
        )
        if limit is not None and not 1 <= limit <= MAX_FACET_LIMIT:
            raise Fallback  # Strawberry reports it
        return limit

    async def build(self, run: Run, query: posts.PostQuery, counts: Any) -> list[dict[str, Any]]:
        listed = await facet_values(run.ctx, query, self.facet, counts, self.limit(run))
        return [self.entry(pair, None) for pair in listed]


def _limits(plans: list["FacetsPlan"], run: Run) -> dict[str, int]:
    """How many values of each facet these selections show at most (none: a list shows all)."""
    limits: dict[str, int | None] = {}
    for plan in plans:
        for _, sub in plan.entries:
            if isinstance(sub, FacetListPlan):
                part, limit = sub.facet.value, sub.limit(run)
                known = limits.get(part, 0)
                limits[part] = None if limit is None or known is None else max(known, limit)
    return {part: limit for part, limit in limits.items() if limit is not None}


@dataclass
class FacetsPlan:
    """A selection on PostFacets: its lists in response order."""

    definition: GraphQLField
    node: FieldNode
    entries: list[tuple[str, FacetListPlan | str]]
    """(response key, the list's plan, or the type name for __typename)."""

    @cached_property
    def parts(self) -> frozenset[str]:
        return frozenset(
            sub.facet.value for _, sub in self.entries if isinstance(sub, FacetListPlan)
        )

    def disjunctive(self, run: Run) -> bool:
        arguments = get_argument_values(self.definition, self.node, run.variables)
        return arguments.get("disjunctive") is True

    async def build(
        self, run: Run, query: posts.PostQuery, summary: dict[str, Any]
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, sub in self.entries:
            if isinstance(sub, FacetListPlan):
                result[key] = await sub.build(run, query, summary[sub.facet.value])
            else:
                result[key] = sub
        return result


@dataclass
class HighlightsPlan:
    """A selection on PostHighlights: (response key, the part of HIGHLIGHTED or __typename,
    the builder of its HighlightedText)."""

    entries: list[tuple[str, str, Builder | None]]

    def build(self, item: Any, search: SearchQuery | None) -> dict[str, Any] | None:
        if search is None:
            return None
        result: dict[str, Any] = {}
        for key, part, build in self.entries:
            if build is None:
                result[key] = "PostHighlights"
            else:
                found = HIGHLIGHTED[part](item, search)
                result[key] = None if found is None else build(found, None)
        return result


@dataclass
class EdgePlan:
    fields: list[tuple[str, str, Any]]

    def edges(
        self, page: Page[Any], built: dict[int, list[dict[str, Any]]], query: posts.PostQuery
    ) -> list[dict[str, Any]]:
        edges: list[dict[str, Any]] = [{} for _ in page.items]
        for key, what, sub in self.fields:
            if what == "node":
                for edge, node in zip(edges, built[id(sub)], strict=True):
                    edge[key] = node
            elif what == "cursor":
                for edge, cursor in zip(edges, page.cursors, strict=True):
                    edge[key] = cursor
            elif what == "score":  # the relevance a search's page is ordered by; else null
                relevance = query.order_by is posts.PostOrderField.RELEVANCE
                for edge, (sort_key, _) in zip(edges, page.keys, strict=True):
                    edge[key] = sub(sort_key[0]) if relevance else None
            elif what == "highlights":
                for edge, item in zip(edges, page.items, strict=True):
                    edge[key] = sub.build(item, query.search)
            else:
                for edge in edges:
                    edge[key] = sub
        return edges


@dataclass
class PageInfoPlan:
    fields: list[tuple[str, str]]
    """(response key, the Page's attribute of that PageInfo field, or __typename)."""

    def page_info(self, page: Page[Any]) -> dict[str, Any]:
        # Cursors are signed only when asked for: they are properties of the page.
        return {
            key: "PageInfo" if name == "__typename" else getattr(page, name)
            for key, name in self.fields
        }


RootField = Callable[[Run], Awaitable[Any]]


@dataclass(frozen=True)
class Root:
    key: str
    run: RootField
    node: FieldNode
    non_null: bool


@dataclass(frozen=True)
class OperationPlan:
    operation: OperationDefinitionNode
    roots: list[Root]
    relation_columns: frozenset[str]
    """The columns of authors and tags any of its fields read."""
    coerced: LRU[tuple[Any, ...], VariableValues] = field(
        default_factory=lambda: LRU(MAX_COERCED_VARIABLES)
    )
    """Its variables as coerced, by the values sent (short plain scalars only)."""

    def variables(self, schema: GraphQLSchema, sent: dict[str, Any] | None) -> Any:
        """The coerced variables, or graphql-core's errors (a list)."""
        key = _scalars_key(sent or {})
        found = None if key is None else self.coerced.get(key)
        if found is not None:
            return found
        coerced = get_variable_values(schema, self.operation.variable_definitions or (), sent or {})
        if key is not None and not isinstance(coerced, list):
            self.coerced.put(key, coerced)
        return coerced


IDENTITY_SCALARS = {"String", "Int", "Boolean", "ID"}
"""Scalars whose serialisation returns values of their own Python type unchanged."""


def _builder(fields: list[Field]) -> Builder:
    """A function building one object's response dictionary from `fields`, generated once per
    plan as a single dictionary display (a loop over the fields, per object and per request,
    cost twice as much). Keys and functions are passed as names; no text from the document
    enters the generated source."""
    namespace: dict[str, Any] = {}
    entries = []
    for index, (key, get, serialize, with_run) in enumerate(fields):
        namespace[f"k{index}"], namespace[f"g{index}"] = key, get
        value = f"g{index}(obj, run)" if with_run else f"g{index}(obj)"
        if serialize is not None:
            namespace[f"s{index}"] = serialize
            value = f"(None if (v := {value}) is None else s{index}(v))"
        entries.append(f"k{index}: {value}")
    source = f"def build(obj, run):\n    return {{{', '.join(entries)}}}\n"
    exec(compile(source, "<compiled read plan>", "exec"), namespace)
    build: Builder = namespace["build"]
    return build


def _serializer(type_: Any) -> Callable[[Any], Any] | None:
    leaf: Any = get_named_type(type_)
    return None if leaf.name in IDENTITY_SCALARS else leaf.serialize


def _global_id(type_name: str) -> Callable[[Any], str]:
    return lambda obj: global_id(type_name, obj.id)


def _constant(result: str) -> Callable[[Any], Any]:
    return lambda _obj: result


def _live(get: Callable[[Any, Any], Any]) -> Callable[[Any, "Run"], Any]:
    return lambda obj, run: get(obj, run.ctx.now)


def _present(get: Callable[[Any], Any], build: Builder) -> Callable[[Any], Any]:
    """An object made of the row's columns, or None (`get` says which)."""
    return lambda obj: None if (value := get(obj)) is None else build(value, None)


class Planner:
    """Turns one operation of a document into a plan, or raises Unsupported."""

    def __init__(
        self,
        quire: QuireSchema,
        document: DocumentNode,
        converted: LRU[tuple[Any, ...], dict[str, Any]] | None = None,
    ) -> None:
        self.converted = LRU(MAX_CONVERTED_ARGUMENTS) if converted is None else converted
        self.quire = quire
        self.schema: GraphQLSchema = graphql_schema(quire)
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.budget = MAX_PLANNED_SELECTIONS
        self.depth = 0
        self.relation_columns: set[str] = set()

    def _type(self, name: str) -> GraphQLObjectType:
        type_ = self.schema.get_type(name)
        assert isinstance(type_, GraphQLObjectType)
        return type_

    def collect(
        self, nodes: Iterable[FieldNode | OperationDefinitionNode], type_: GraphQLObjectType
    ) -> dict[str, list[FieldNode]]:
        """The fields selected on `type_` under `nodes`, by response key, in response order
        (as graphql-core collects them)."""
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def walk(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                self.budget -= 1
                if self.budget < 0 or selection.directives:
                    raise Unsupported
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self._applies(selection.type_condition, type_):
                        walk(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is None:
                        raise Unsupported
                    if name not in visited and self._applies(fragment.type_condition, type_):
                        visited.add(name)
                        walk(fragment.selection_set)

        for node in nodes:
            if node.selection_set is None:
                raise Unsupported
            walk(node.selection_set)
        return fields

    def _applies(self, condition: NamedTypeNode | None, type_: GraphQLObjectType) -> bool:
        if condition is None or condition.name.value == type_.name:
            return True
        return condition.name.value in {interface.name for interface in type_.interfaces}

    def _field(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> GraphQLField:
        found: GraphQLField | None = type_.fields.get(nodes[0].name.value)
        if found is None:
            raise Unsupported
        return found

    def operation(self, operation: OperationDefinitionNode) -> list[Root]:
        query = self.schema.query_type
        assert query is not None
        roots: list[Root] = []
        for key, nodes in self.collect([operation], query).items():
            name = nodes[0].name.value
            if name == "__typename":
                run, non_null = _root_constant("Query"), True
            elif name == "posts":
                run, non_null = self._posts_root(query, nodes), True
            elif name == "post":
                run, non_null = self._post_root(query, nodes), False
            else:
                raise Unsupported
            roots.append(Root(key=key, run=run, node=nodes[0], non_null=non_null))
        return roots

    def _posts_root(self, query: GraphQLObjectType, nodes: list[FieldNode]) -> RootField:
        definition = self._field(query, nodes)
        strawberry_field = definition.extensions["strawberry-definition"]
        connection = self.connection(nodes)
        quire = self.quire
        node = nodes[0]

        converted = self.converted
        field_token = object()  # this field of this plan, in the shared cache's keys

        def arguments_of(run: Run) -> dict[str, Any]:
            """The field's arguments as its resolver gets them; kept per variables' values
            (when they are short plain scalars), as a document's are the same every time. The
            resolver only reads them."""
            variables = _scalars_key(run.variables.coerced)
            key = None if variables is None else (field_token, variables)
            found = None if key is None else converted.get(key)
            if found is not None:
                return found
            raw = get_argument_values(definition, node, run.variables)
            arguments = convert_arguments(raw, strawberry_field, quire)
            if key is not None:
                converted.put(key, arguments)
            return arguments

        async def run_posts(run: Run) -> Any:
            arguments = arguments_of(run)
            listing = {"filter": None, "order_by": None, "first": None, "after": None}
            listing |= {"last": None, "before": None, **arguments}
            # With a page to fetch, the page's statement checks the filter's slugs.
            query, request = await post_listing(
                run.ctx, **listing, slugs_in_page=connection.needs_page
            )
            return await connection.build(run, query, request)

        return run_posts

    def _post_root(self, query: GraphQLObjectType, nodes: list[FieldNode]) -> RootField:
        definition = self._field(query, nodes)
        plan = self.post(nodes)
        node = nodes[0]

        async def run_post(run: Run) -> Any:
            raw = get_argument_values(definition, node, run.variables)
            if raw.get("previewToken") is not None:
                raise Fallback  # previews are rare, and their errors have their own words
            post_id, slug = raw.get("id"), raw.get("slug")
            _one_of(post_id, slug)
            row_id = parse_id(post_id, expected="Post")[1] if post_id is not None else None
            row = await posts.get_post(run.ctx, post_id=row_id, slug=slug, columns=plan.columns)
            return None if row is None else (await plan.build([row], run))[0]

        return run_post

    def connection(self, nodes: list[FieldNode]) -> ConnectionPlan:
        type_ = self._type("PostConnection")
        fields: list[tuple[str, str, Any]] = []
        plans: list[PostPlan] = []
        needs_page = needs_count = False
        facets: list[FacetsPlan] = []
        columns: set[str] = set()
        for key, selected in self.collect(nodes, type_).items():
            name = selected[0].name.value
            if name == "nodes":
                plan = self.post(selected)
                plans.append(plan)
                fields.append((key, "nodes", plan))
                needs_page = True
            elif name == "edges":
                edge = self._edge(selected, plans, columns)
                fields.append((key, "edges", edge))
                needs_page = True
            elif name == "pageInfo":
                info_fields = [
                    (info_key, snake(info_nodes[0].name.value))
                    for info_key, info_nodes in self.collect(
                        selected, self._type("PageInfo")
                    ).items()
                ]
                for _, info_name in info_fields:
                    if info_name not in PAGE_INFO_FIELDS:
                        raise Unsupported
                fields.append((key, "pageInfo", PageInfoPlan(fields=info_fields)))
                needs_page = True
            elif name == "totalCount":
                fields.append((key, "totalCount", None))
                needs_count = True
            elif name == "facets":
                facets_plan = self.facets(type_, selected)
                facets.append(facets_plan)
                fields.append((key, "facets", facets_plan))
            elif name == "__typename":
                fields.append((key, "typename", type_.name))
            else:
                raise Unsupported
        return ConnectionPlan(
            fields=fields,
            nodes=plans,
            needs_page=needs_page,
            needs_count=needs_count,
            facets=facets,
            columns=columns,
        )

    def facets(self, connection: GraphQLObjectType, nodes: list[FieldNode]) -> FacetsPlan:
        type_ = self._type("PostFacets")
        entries: list[tuple[str, FacetListPlan | str]] = []
        for key, selected in self.collect(nodes, type_).items():
            name = selected[0].name.value
            if name == "__typename":
                entries.append((key, type_.name))
            elif name in FACET_FIELDS:
                entries.append((key, self._facet_list(type_, FACET_FIELDS[name], selected)))
            else:
                raise Unsupported  # publications: sites that gather several blogs
        return FacetsPlan(self._field(connection, nodes), nodes[0], entries)

    def _facet_list(
        self, facets: GraphQLObjectType, facet: PostFacet, nodes: list[FieldNode]
    ) -> FacetListPlan:
        definition = self._field(facets, nodes)
        type_ = get_named_type(definition.type)
        assert isinstance(type_, GraphQLObjectType)
        fields: list[Field] = []
        for key, selected in self.collect(nodes, type_).items():
            name = selected[0].name.value
            if name == "__typename":
                fields.append((key, _constant(type_.name), None, False))
            elif name == "count":
                fields.append((key, itemgetter(1), None, False))
            elif name in ("tag", "author"):
                build = self._object(TAG if name == "tag" else AUTHOR, selected)
                fields.append((key, _present(itemgetter(0), build), None, False))
            elif name in FACET_VALUE_FIELDS:
                serialize = _serializer(self._field(type_, selected).type)
                fields.append((key, FACET_VALUE_FIELDS[name], serialize, False))
            else:
                raise Unsupported
        return FacetListPlan(facet, definition, nodes[0], _builder(fields))

    def _edge(self, nodes: list[FieldNode], plans: list[PostPlan], columns: set[str]) -> EdgePlan:
        type_ = self._type("PostEdge")
        fields: list[tuple[str, str, Any]] = []
        for key, selected in self.collect(nodes, type_).items():
            name = selected[0].name.value
            if name == "node":
                plan = self.post(selected)
                plans.append(plan)
                fields.append((key, "node", plan))
            elif name == "cursor":
                fields.append((key, "cursor", None))
            elif name == "score":
                serialize = _serializer(self._field(type_, selected).type) or (lambda v: v)
                fields.append((key, "score", serialize))
            elif name == "highlights":
                fields.append((key, "highlights", self._highlights(selected)))
                columns |= HIGHLIGHT_COLUMNS
            elif name == "__typename":
                fields.append((key, "typename", type_.name))
            else:
                raise Unsupported
        return EdgePlan(fields=fields)

    def _highlights(self, nodes: list[FieldNode]) -> HighlightsPlan:
        type_ = self._type("PostHighlights")
        entries: list[tuple[str, str, Builder | None]] = []
        for key, selected in self.collect(nodes, type_).items():
            name = selected[0].name.value
            if name == "__typename":
                entries.append((key, name, None))
            elif name in HIGHLIGHTED:
                entries.append((key, name, self._highlighted_text(selected)))
            else:
                raise Unsupported
        return HighlightsPlan(entries)

    def _highlighted_text(self, nodes: list[FieldNode]) -> Builder:
        """A builder of a HighlightedText from a Highlighted (text, (start, length) pairs)."""
        type_ = self._type("HighlightedText")
        fields: list[Field] = []
        for key, selected in self.collect(nodes, type_).items():
            name = selected[0].name.value
            if name == "__typename":
                fields.append((key, _constant(type_.name), None, False))
            elif name == "text":
                fields.append((key, attrgetter("text"), None, False))
            elif name == "matches":
                fields.append((key, _ranges(self._text_range(selected)), None, False))
            else:
                raise Unsupported
        return _builder(fields)

    def _text_range(self, nodes: list[FieldNode]) -> Builder:
        """A builder of a TextRange from a (start, length) pair."""
        type_ = self._type("TextRange")
        fields: list[Field] = []
        for key, selected in self.collect(nodes, type_).items():
            name = selected[0].name.value
            if name == "__typename":
                fields.append((key, _constant(type_.name), None, False))
            elif name in ("start", "length"):
                fields.append((key, itemgetter(0 if name == "start" else 1), None, False))
            else:
                raise Unsupported
        return _builder(fields)

    def post(self, nodes: list[FieldNode]) -> PostPlan:
        type_ = self._type("Post")
        plan = PostPlan(fields=[], columns={"id"})
        for key, selected in self.collect(nodes, type_).items():
            name = selected[0].name.value
            if name in POST:
                plan.columns.update(POST[name].columns)
                plan.fields.append((key, *self._value(POST[name], type_, selected)))
            elif name == "__typename":
                plan.fields.append((key, _constant(type_.name), None, False))
            elif name in ("authors", "primaryAuthor", "tags", "primaryTag"):
                plan.relations = True
                plan.fields.append((key, self._relations(name, selected), None, True))
            elif name == "translations":
                self.depth += 1
                if self.depth > MAX_PLANNED_DEPTH:
                    raise Unsupported  # far deeper than the query limits let run anyway
                translated = self.post(selected)
                self.depth -= 1
                plan.translations.append(translated)
                plan.fields.append((key, _translations(translated), None, True))
            else:
                raise Unsupported
        return plan

    def _value(
        self, entry: StoredField, type_: GraphQLObjectType, nodes: list[FieldNode]
    ) -> tuple[Callable[..., Any], Callable[[Any], Any] | None, bool]:
        """How a stored field's value is got and serialised, and whether that needs the run."""
        if entry.node_id:
            return _global_id(type_.name), None, False
        if isinstance(entry.type, Fields):
            return _present(entry.get, self._object(entry.type, nodes)), None, False
        serialize = _serializer(self._field(type_, nodes).type)
        if entry.live:
            return _live(entry.get), serialize, True
        return entry.get, serialize, False

    def _relations(self, name: str, nodes: list[FieldNode]) -> Callable[[Any, Run], Any]:
        if name in ("authors", "primaryAuthor"):
            build = self._object(AUTHOR, nodes, related=True)
            if name == "authors":
                return lambda post, run: [
                    build(row, None) for row in run.relations[post.id].authors
                ]
            return lambda post, run: _first(build, run.relations[post.id].authors)
        build = self._object(TAG, nodes, related=True)
        if name == "tags":
            return lambda post, run: [build(row, None) for row in run.relations[post.id].tags]
        return lambda post, run: _first(build, run.relations[post.id].tags)

    def _object(self, stored: Fields, nodes: list[FieldNode], *, related: bool = False) -> Builder:
        """A builder for an object whose fields all come straight from one row (a relation row
        of the relations statement when `related`, which then selects the columns they read)."""
        type_ = self._type(stored.type_name)
        fields: list[Field] = []
        for key, selected in self.collect(nodes, type_).items():
            name = selected[0].name.value
            if name == "__typename":
                fields.append((key, _constant(type_.name), None, False))
            elif name in stored and not stored[name].live:
                fields.append((key, *self._value(stored[name], type_, selected)))
                if related and not stored[name].node_id:
                    self.relation_columns.update(stored[name].columns)
            else:
                raise Unsupported
        return _builder(fields)


PAGE_INFO_FIELDS = {*PAGE_INFO, "__typename"}
FACET_VALUE_FIELDS: dict[str, Callable[[Any], Any]] = {
    "level": lambda pair: PostLevel(pair[0]) if pair[0] else None,
    "language": itemgetter(0),
    "includesCode": lambda pair: bool(pair[0]),
}
"""A facet entry's value, from its (value, count) pair, as `schema.post.PostFacets` gives it."""


def _ranges(build: Builder) -> Callable[[Any], list[dict[str, Any]]]:
    """A HighlightedText's `matches`, from a Highlighted."""
    return lambda found: [build(pair, None) for pair in found.matches]


def _first(build: Builder, rows: list[Any]) -> dict[str, Any] | None:
    return build(rows[0], None) if rows else None


def _translations(plan: PostPlan) -> Callable[[Any, Run], Any]:
    return lambda post, run: run.translations[(id(plan), post.id)]


def _scalars_key(variables: dict[str, Any]) -> tuple[Any, ...] | None:
    """The variables' values as a key, when every one is a plain scalar (None otherwise).
    With their types: 1, 1.0 and True are equal keys otherwise."""
    key, chars = [], 0
    for name, value in sorted(variables.items()):
        if value is not None and type(value) not in (str, int, float, bool):
            return None
        chars += len(value) if type(value) is str else 0
        key.append((name, type(value), value))
    return tuple(key) if chars <= MAX_CONVERTED_KEY_CHARS else None


def _root_constant(result: Any) -> RootField:
    async def constant(_run: Run) -> Any:
        return result

    return constant


class CompiledReads:
    """Plans documents (kept on the `Document`, per operation) and runs them."""

    def __init__(self, schema: QuireSchema) -> None:
        self.schema = schema
        # The `posts` fields' converted arguments, for all plans (see Planner._posts_root).
        self._converted: LRU[tuple[Any, ...], dict[str, Any]] = LRU(MAX_CONVERTED_ARGUMENTS)

    def plan(self, document: Document | str, operation_name: str | None) -> OperationPlan | None:
        """The plan of an operation of a document (or of a text, through the one cache)."""
        if isinstance(document, str):
            document = self.schema.documents.get(document)
        plan: OperationPlan | None = document.plan(
            operation_name, lambda found: self._make_plan(found, operation_name)
        )
        return plan

    def _make_plan(self, document: Document, operation_name: str | None) -> OperationPlan | None:
        operation = document.operation(operation_name)
        if document.node is None or operation is None or document.unsafe_literals:
            return None
        if operation.operation != OperationType.QUERY:
            return None
        planner = Planner(self.schema, document.node, self._converted)
        try:
            roots = planner.operation(operation)
        except (Unsupported, RecursionError):  # a fragment spread within itself recurses
            return None
        return OperationPlan(
            operation=operation, roots=roots, relation_columns=frozenset(planner.relation_columns)
        )

    async def execute(
        self,
        ctx: Context,
        *,
        document: Document,
        operation_name: str | None,
        variables: dict[str, Any] | None,
    ) -> ExecutionResult | None:
        """The result, or None when Strawberry must run the request instead. Records which
        executor answers in `ctx.request.executor` (for the metrics and the access log)."""
        plan = self.plan(document, operation_name)
        ctx.request.executor = "strawberry" if plan is None else "fallback"
        if plan is None or (variables is not None and has_unsafe_value(variables)):
            return None
        schema = graphql_schema(self.schema)
        guard = self.schema.guard
        errors = await guard.check(
            ctx.request, schema, document, operation_name=operation_name, variables=variables
        )
        if errors:
            return None
        coerced = plan.variables(schema, variables)
        if isinstance(coerced, list):
            return None
        run = Run(ctx=ctx, variables=coerced, relation_columns=plan.relation_columns)
        data: dict[str, Any] = {}
        for root in plan.roots:
            try:
                data[root.key] = await root.run(run)
            except (QuireError, GraphQLError, Fallback):
                return None
            except Exception as error:
                if is_database_error(error) and len(plan.roots) == 1:
                    # Not run again by Strawberry: a timeout or an outage would last twice as
                    # long. Reported as Strawberry reports it (masked, with the request id).
                    return self._failed(ctx, root, error)
                logger.warning(
                    "A compiled read failed; running it through Strawberry", exc_info=True
                )
                return None
        ctx.request.executor = "compiled"
        return ExecutionResult(data=data, errors=None, extensions=guard.results(ctx.request))

    def _failed(self, ctx: Context, root: Root, error: Exception) -> ExecutionResult:
        located = GraphQLError(str(error), nodes=[root.node], path=[root.key], original_error=error)
        code = error_code(located) or "INTERNAL_SERVER_ERROR"
        ctx.request.executor = "compiled"
        return ExecutionResult(
            data=None if root.non_null else {root.key: None},
            errors=[masked(located, code, ctx.request.request_id)],
            extensions=self.schema.guard.results(ctx.request),
        )
