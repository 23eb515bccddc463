"""Compiled read plans answer exactly what Strawberry answers.

Every request here goes to two apps over the same database and clock, one with compiled reads
(the default) and one with `compiled_reads=False`; status, headers that matter and body must be
byte for byte the same. Documents in the planned subset must really be planned (else the
comparison proves nothing), and the rest must fall back without a trace.
"""

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from app.demo import load_demo
from models import EditorRole
from resolvers.fields import AUTHOR, IMAGE, POST, TAG, Fields
from schema.compiled import MAX_PLANNED_SELECTIONS, CompiledReads
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import make_editor
from tests.conftest import DEMO_POSTS, DEMO_SEED, Database

NOW = datetime.now(UTC)

# Every field of the descriptions, so a field added there is compared here too.
POST_SCALARS = [f.name for f in POST if not isinstance(f.type, Fields)] + ["__typename"]
IMAGE_FIELDS = " ".join(f.name for f in IMAGE) + " __typename"
AUTHOR_FIELDS = " ".join(f.name for f in AUTHOR) + " __typename"
TAG_FIELDS = " ".join(f.name for f in TAG) + " __typename"
EVERYTHING = f"""
  {" ".join(POST_SCALARS)}
  featureImage {{ {IMAGE_FIELDS} }}
  authors {{ {AUTHOR_FIELDS} }}
  tags {{ {TAG_FIELDS} }}
  primaryAuthor {{ {AUTHOR_FIELDS} }}
  primaryTag {{ {TAG_FIELDS} }}
  translations {{ id language title slug status authors {{ name }} tags {{ slug }} }}
"""

PLANNED: list[tuple[str, dict[str, Any]]] = [
    # The benchmark's pages.
    (
        """query HomePage { posts(first: 20) { nodes { id title slug excerpt publishedAt
        readingTime authors { name slug } tags { name slug } } pageInfo { hasNextPage
        endCursor } } }""",
        {},
    ),
    (
        """query TagPage($tag: String!) { posts(first: 20, filter: { tags: { anyOf: [$tag] } })
        { nodes { id title authors { name slug } tags { name slug } }
          pageInfo { hasNextPage endCursor } } }""",
        {"tag": "infrastructure"},
    ),
    (
        """query AuthorPage($author: String!) {
          posts(first: 20, filter: { authors: { anyOf: [$author] } }) {
            nodes { id title authors { name slug } } pageInfo { hasNextPage endCursor } } }""",
        {"author": "__first_author__"},
    ),
    (
        """query PostPage($slug: String!) { post(slug: $slug) { id title slug html publishedAt
        readingTime language authors { name slug } tags { name slug }
        translations { language title slug } } }""",
        {"slug": "__translated_slug__"},
    ),
    (
        """query TextSearch($text: String!) { posts(first: 20, filter: { text: $text }) {
        nodes { id title } pageInfo { hasNextPage endCursor } } }""",
        {"text": "the"},
    ),
    # Every planned field at once, through nodes and through edges.
    (f"{{ posts(first: 30) {{ nodes {{ {EVERYTHING} }} }} }}", {}),
    (
        f"""{{ posts(first: 7, orderBy: {{ field: TITLE }}) {{
          __typename totalCount
          edges {{ __typename cursor node {{ {EVERYTHING} }} }}
          pageInfo {{ __typename hasNextPage hasPreviousPage startCursor endCursor }} }} }}""",
        {},
    ),
    (f'{{ post(slug: "__translated_slug__") {{ {EVERYTHING} }} }}', {}),
    # Aliases, repeated fields, fragments (named, inline, on the Node interface), __typename.
    (
        """
        query Aliased { __typename
          first: posts(first: 3) { items: nodes { key: id heading: title ...Card
            ... on Post { slug authors { name } } ... { excerpt } ...NodeId } }
          again: posts(first: 2, orderBy: { field: READING_TIME, direction: DESC }) {
            count: totalCount nodes { readingTime title title } } }
        fragment Card on Post { title authors { slug } tags { name } primaryTag { slug } }
        fragment NodeId on Node { id }
        """,
        {},
    ),
    # Paging both ways, with cursors from the server.
    ("{ posts(last: 5) { nodes { id } pageInfo { hasNextPage hasPreviousPage } } }", {}),
    (
        """query($after: String) { posts(first: 4, after: $after) { nodes { id }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }""",
        {"after": "__cursor__"},
    ),
    (
        """query($before: String) { posts(last: 4, before: $before) { nodes { id title }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }""",
        {"before": "__cursor__"},
    ),
    # Filters and orders.
    (
        """{ posts(first: 50, filter: { levels: [BEGINNER, ADVANCED], includesCode: true },
        orderBy: { field: UPDATED_AT, direction: ASC }) { totalCount nodes { id level } } }""",
        {},
    ),
    (
        """{ posts(first: 10, filter: { or: [{ featured: true }, { languages: ["es"] }],
        not: { tags: { anyOf: ["monetization"] } } }) { totalCount nodes { id featured } } }""",
        {},
    ),
    ("{ posts { totalCount } }", {}),
    # Filter menus: every facet with every field, limits, chosen values, disjunctive counts.
    (
        """{ posts(first: 1) { nodes { id } facets { __typename }
        f: facets(disjunctive: true) { __typename } } }""",
        {},
    ),
    # A chosen value beyond the limit is listed with its count, after the first ones.
    (
        """{ posts(first: 1, filter: { tags: { anyOf: ["__rare_tag__"] } }) { nodes { id }
        facets(disjunctive: true) { tags(limit: 2) { tag { slug } count } } } }""",
        {},
    ),
    (
        """{ posts(first: 1, filter: { authors: { anyOf: ["__rare_author__"] },
        levels: [ADVANCED] }) { totalCount facets(disjunctive: true) {
        authors(limit: 1) { author { slug } count } levels(limit: 1) { level count } } } }""",
        {},
    ),
    (
        f"""{{ posts(first: 3) {{ totalCount nodes {{ id }} facets {{ __typename
        levels {{ level count __typename }} languages {{ language count }}
        includesCode {{ includesCode count }} tags {{ tag {{ {TAG_FIELDS} }} count }}
        authors(limit: 3) {{ author {{ {AUTHOR_FIELDS} }} count __typename }} }} }} }}""",
        {},
    ),
    (
        """query($d: Boolean, $n: Int) { posts(first: 2,
        filter: { levels: [BEGINNER], tags: { anyOf: ["infrastructure"] } }) {
          totalCount
          menu: facets(disjunctive: $d) {
            levels { level count } tags(limit: $n) { tag { slug } count } }
          plain: facets { languages { language count } levels { level count } }
          nodes { title } } }""",
        {"d": True, "n": 1},
    ),
    (
        """{ posts(filter: { text: "kafka", includesCode: false }) { totalCount
        facets(disjunctive: true) { includesCode { includesCode count } } } }""",
        {},
    ),
    ('{ posts(filter: { text: "no such words anywhere" }) { nodes { id } totalCount } }', {}),
    # Known slugs and no post to show: an empty page, no error.
    (
        """{ posts(filter: { tags: { anyOf: ["infrastructure"] }, text: "no such words" })
        { nodes { id } pageInfo { hasNextPage } } }""",
        {},
    ),
    # Searches: the benchmark's search box, scores and highlights through edges (aliased,
    # twice, with __typename), another order, backwards, nothing found, a filter beside.
    (
        """query Search($search: String!) { posts(first: 20, search: $search) { totalCount
        edges { score node { id title slug publishedAt readingTime authors { name slug }
          tags { name slug } }
          highlights { title { text matches { start length } }
            snippet { text matches { start length } } } }
        pageInfo { hasNextPage endCursor } } }""",
        {"search": "kafka stream"},
    ),
    (
        """{ posts(first: 5, search: "migración") { edges { __typename cursor s: score score
        highlights { __typename title { __typename text } summary { text matches {
          __typename length start } } snippet { matches { start } }
          again: snippet { text } } } } }""",
        {},
    ),
    (
        """query SearchByDate { posts(last: 3, search: "data", orderBy: { field: PUBLISHED_AT })
        { edges { score
        highlights { title { text matches { start length } } } node { id } } } }""",
        {},
    ),
    (
        """{ posts(first: 4, search: "no such wordss") { totalCount edges { score
        highlights { title { text } } } } }""",
        {},
    ),
    (
        """{ posts(first: 4, search: "kafka", filter: { levels: [ADVANCED] }) { totalCount
        edges { score highlights { summary { text matches { start length } } } } } }""",
        {},
    ),
    ("{ posts(first: 3) { edges { score highlights { title { text } } } } }", {}),
    # Lookups: by id, by slug, missing ones.
    ('{ post(id: "__post_id__") { id slug } }', {}),
    ('{ a: post(slug: "no-such-post") { id } b: post(slug: "__translated_slug__") { id } }', {}),
]

# Still answered, by Strawberry: the comparison shows the fallback is invisible.
NOT_PLANNED: list[tuple[str, dict[str, Any]]] = [
    ("{ posts(first: 2) { facets { publications { count } } } }", {}),
    ("{ posts(first: 2) { nodes { title @include(if: true) } } }", {}),
    ("{ posts(first: 2) { nodes { authors { postCount } } } }", {}),
    ("{ posts(first: 2) { nodes { revisions { totalCount } } } }", {}),
    ("{ tags(first: 2) { nodes { name } } }", {}),
    ('{ posts(search: "kafak") { searchSuggestion edges { score } } }', {}),
    ("{ __schema { queryType { name } } }", {}),
    ('mutation { login(email: "a@b.c", password: "x") { token } }', {}),
]

# Errors: the compiled path hands these to Strawberry, which reports them.
ERRORS: list[tuple[str, dict[str, Any]]] = [
    (
        """{ posts(filter: { tags: { anyOf: ["no-such-tag-at-all"] } }) {
        facets { tags(limit: 1) { tag { slug } count } } } }""",
        {},
    ),
    ("{ posts { facets { tags(limit: 0) { count } } } }", {}),
    ("query($n: Int) { posts { facets { levels(limit: $n) { count } } } }", {"n": 5000}),
    ("{ posts(first: 0) { nodes { id } } }", {}),
    ("{ posts(filter: { tags: { allOf: [] } }) { totalCount } }", {}),
    ("{ posts(first: 2, last: 2) { nodes { id } } }", {}),
    ('{ posts(after: "forged") { nodes { id } } }', {}),
    ('{ posts(filter: { tags: { anyOf: ["no-such-tag"] } }) { nodes { id } } }', {}),
    # A known slug next to an unknown one: the page must not show the known one's posts.
    (
        '{ posts(filter: { tags: { anyOf: ["infrastructure", "no-such-tag"] } }) '
        "{ nodes { id } } }",
        {},
    ),
    (
        '{ posts(filter: { or: [{ authors: { anyOf: ["__first_author__"] } }, '
        '{ authors: { allOf: ["nobody-at-all"] } }] }) { nodes { id } pageInfo { endCursor } } }',
        {},
    ),
    ('{ posts(filter: { tags: { anyOf: ["no-such-tag"] } }) { totalCount } }', {}),
    ("query($n: Int!) { posts(first: $n) { nodes { id } } }", {"n": "twenty"}),
    ("query($n: Int!) { posts(first: $n) { nodes { id } } }", {}),
    ('{ post(id: "not-an-id") { id } }', {}),
    ('{ post(id: "__post_id__", slug: "x") { id } }', {}),
    ('{ post(previewToken: "tampered") { id } }', {}),
    ("{ posts(first: 2) { nodes { nope } } }", {}),
    ('{ posts(filter: { text: "nul\\u0000" }) { nodes { id } } }', {}),
    ("query($t: String!) { posts(filter: { text: $t }) { nodes { id } } }", {"t": "a\x00b"}),
    ("{ posts(filter: { status: [DRAFT] }) { nodes { id } } }", {}),
    ('{ posts(search: "") { edges { score } } }', {}),
    ('{ posts(search: "kafka", after: "__cursor__") { edges { score } } }', {}),
    ("{ posts(first: 2) { edges { highlights { nope } } } }", {}),
    ("query A { posts { totalCount } } query B { posts { totalCount } }", {}),
]


@pytest.fixture(scope="module")
async def clients(demo_db: Database) -> AsyncIterator[tuple[GraphQLClient, GraphQLClient]]:
    async for compiled in serve(demo_db, response_cache=False, clock=lambda: NOW):
        async for plain in serve(
            demo_db, response_cache=False, compiled_reads=False, clock=lambda: NOW
        ):
            yield compiled, plain


@pytest.fixture(scope="module")
async def known(clients: tuple[GraphQLClient, GraphQLClient]) -> dict[str, str]:
    return await demo_values(clients[1])


async def demo_values(client: GraphQLClient) -> dict[str, str]:
    """Values from the demo blog the documents refer to, by placeholder."""
    data = await client.data(
        """{ posts(first: 5) { nodes { id } pageInfo { endCursor } }
             es: posts(first: 1, filter: { languages: ["es"] }) { nodes { slug } }
             authors(first: 1) { nodes { slug } }
             rare: tags(last: 1, orderBy: {field: POST_COUNT}) { nodes { slug } }
             rareAuthor: authors(last: 1, orderBy: {field: POST_COUNT}) { nodes { slug } } }"""
    )
    return {
        "__post_id__": data["posts"]["nodes"][2]["id"],
        "__cursor__": data["posts"]["pageInfo"]["endCursor"],
        "__translated_slug__": data["es"]["nodes"][0]["slug"],
        "__first_author__": data["authors"]["nodes"][0]["slug"],
        "__rare_tag__": data["rare"]["nodes"][0]["slug"],
        "__rare_author__": data["rareAuthor"]["nodes"][0]["slug"],
    }


def _fill(value: Any, known: dict[str, str]) -> Any:
    if isinstance(value, str):
        for placeholder, real in known.items():
            value = value.replace(placeholder, real)
        return value
    if isinstance(value, dict):
        return {key: _fill(item, known) for key, item in value.items()}
    return value


async def answer_both(
    clients: tuple[GraphQLClient, GraphQLClient],
    query: str,
    variables: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> bytes:
    """The body both apps answer (asserted equal, with the status and cache headers)."""
    answers = []
    for client in clients:
        response = await client.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers or {}
        )
        answers.append(
            (response.status_code, response.headers.get("cache-control"), response.content)
        )
    assert answers[0] == answers[1], (query, variables)
    return answers[0][2]


def _plans(client: GraphQLClient) -> CompiledReads:
    compiled: CompiledReads = client.app.state.compiled_reads
    return compiled


@pytest.mark.parametrize(("query", "variables"), PLANNED)
async def test_planned_documents_answer_what_strawberry_answers(
    clients: tuple[GraphQLClient, GraphQLClient],
    known: dict[str, str],
    query: str,
    variables: dict[str, Any],
) -> None:
    query, variables = _fill(query, known), _fill(variables, known)
    assert _plans(clients[0]).plan(query, None) is not None, "the document must be planned"
    body = await answer_both(clients, query, variables)
    assert b'"errors"' not in body and b'"data":{' in body


@pytest.mark.parametrize(("query", "variables"), NOT_PLANNED)
async def test_other_documents_go_through_strawberry_unchanged(
    clients: tuple[GraphQLClient, GraphQLClient], query: str, variables: dict[str, Any]
) -> None:
    assert _plans(clients[0]).plan(query, None) is None
    await answer_both(clients, query, variables)


@pytest.mark.parametrize(("query", "variables"), ERRORS)
async def test_bad_requests_get_the_same_errors(
    clients: tuple[GraphQLClient, GraphQLClient],
    known: dict[str, str],
    query: str,
    variables: dict[str, Any],
) -> None:
    body = await answer_both(clients, _fill(query, known), _fill(variables, known))
    assert b'"errors"' in body


async def test_random_selections_answer_what_strawberry_answers(
    clients: tuple[GraphQLClient, GraphQLClient],
) -> None:
    rng = random.Random(20261124)
    for _ in range(40):
        fields = rng.sample(POST_SCALARS, rng.randint(1, 6))
        selection = " ".join(
            f"{rng.choice(['', 'x', 'y'])}{field}: {field}" if rng.random() < 0.3 else field
            for field in dict.fromkeys(fields)
        )
        if rng.random() < 0.5:
            selection += " authors { name slug } tags { slug name }"
        if rng.random() < 0.2:
            selection += " translations { id title }"
        order = rng.choice(["PUBLISHED_AT", "UPDATED_AT", "TITLE", "READING_TIME"])
        query = (
            f"{{ posts(first: {rng.randint(1, 40)}, orderBy: {{ field: {order} }}) "
            f"{{ nodes {{ {selection} }} pageInfo {{ endCursor hasNextPage }} }} }}"
        )
        assert _plans(clients[0]).plan(query, None) is not None, query
        await answer_both(clients, query, {})


async def test_walking_every_page_gives_the_same_pages(
    clients: tuple[GraphQLClient, GraphQLClient],
) -> None:
    query = """query($after: String) { posts(first: 13, after: $after) {
      edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""
    after, seen = None, 0
    while True:
        body = await answer_both(clients, query, {"after": after})
        page = (await clients[0].data(query, {"after": after}))["posts"]
        seen += len(page["edges"])
        assert body
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen >= DEMO_POSTS


async def test_a_fragment_bomb_is_not_planned(
    clients: tuple[GraphQLClient, GraphQLClient],
) -> None:
    # Each level doubles the selections under two aliases: 2^29 if expanded. The plan gives up
    # at its budget (quickly: this test would not end otherwise), and the guard refuses it.
    fragments = ["fragment F0 on Post { title }"]
    for level in range(1, 30):
        previous = f"F{level - 1}"
        fragments.append(
            f"fragment F{level} on Post {{ a: translations {{ ...{previous} }} "
            f"b: translations {{ ...{previous} }} }}"
        )
    query = "{ posts(first: 1) { nodes { ...F29 } } } " + " ".join(fragments)
    assert _plans(clients[0]).plan(query, None) is None
    body = await answer_both(clients, query, {})
    assert b"QUERY_TOO_COMPLEX" in body or b"GRAPHQL_VALIDATION_FAILED" in body


def test_a_fragment_spread_twice_is_planned_once(
    clients: tuple[GraphQLClient, GraphQLClient],
) -> None:
    fragments = ["fragment F0 on Post { title }"]
    for level in range(1, 30):
        fragments.append(f"fragment F{level} on Post {{ ...F{level - 1} ...F{level - 1} }}")
    query = "{ posts(first: 1) { nodes { ...F29 } } } " + " ".join(fragments)
    assert MAX_PLANNED_SELECTIONS < 2**29
    assert _plans(clients[0]).plan(query, None) is not None


@pytest.fixture
async def blog(scratch_db: Database) -> Database:
    await load_demo(scratch_db.engine, posts=30, seed=DEMO_SEED, now=NOW)
    return scratch_db


async def test_editors_get_what_strawberry_gives_them(blog: Database) -> None:
    async for compiled in serve(blog, response_cache=False, clock=lambda: NOW):
        async for plain in serve(
            blog, response_cache=False, compiled_reads=False, clock=lambda: NOW
        ):
            editor = await make_editor(compiled, blog, EditorRole.EDITOR, "ed")
            contributor = await make_editor(compiled, blog, EditorRole.CONTRIBUTOR, "co")
            drafts = """{ posts(first: 50, filter: { status: [DRAFT, SCHEDULED] }) {
              totalCount nodes { id status publishedAt } } }"""
            for viewer in (editor, contributor):
                body = await answer_both((compiled, plain), drafts, {}, viewer.headers)
                assert (b'"DRAFT"' in body) == (viewer is editor)


async def test_the_rate_limit_charges_a_request_once_whichever_path_runs_it(
    demo_db: Database,
) -> None:
    limits = {"rate_limit_enabled": True, "rate_limit_burst": 1000, "rate_limit_per_second": 0.01}
    async for client in serve(demo_db, response_cache=False, **limits):
        remaining, costs = [], []
        for query in (
            "{ posts(first: 30) { nodes { title } } }",  # planned
            '{ posts(first: 30, after: "forged") { nodes { title } } }',  # falls back
            "{ posts(first: 30) { nodes { title authors { postCount } } } }",  # not planned
        ):
            response = await client.http.post("/graphql", json={"query": query})
            remaining.append(int(response.headers["ratelimit-remaining"]))
            costs.append((response.json().get("extensions") or {}).get("cost", {}).get("requested"))
        planned_cost = costs[0]
        assert planned_cost and remaining[0] == 1000 - planned_cost
        assert remaining[1] == remaining[0] - planned_cost  # the same query's cost, once
        assert costs[2] and remaining[2] == remaining[1] - costs[2]


async def test_metrics_and_the_access_log_tell_which_executor_answered(
    demo_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    access = logging.getLogger("quire.access")  # "quire" does not propagate to pytest's handler
    async for client in serve(demo_db, response_cache=False):
        access.addHandler(caplog.handler)
        try:
            with caplog.at_level(logging.INFO, logger="quire.access"):
                for query in (
                    "{ posts(first: 2) { nodes { title } } }",  # planned and answered
                    "{ posts(first: 3) { nodes { title } } }",
                    '{ posts(after: "forged") { nodes { title } } }',  # planned, handed over
                    "{ tags { nodes { name } } }",  # no plan covers it
                ):
                    await client.http.post("/graphql", json={"query": query})
        finally:
            access.removeHandler(caplog.handler)
        text = (await client.http.get("/metrics")).text
        assert 'quire_executed_operations_total{executor="compiled"} 2.0' in text
        assert 'quire_executed_operations_total{executor="fallback"} 1.0' in text
        assert 'quire_executed_operations_total{executor="strawberry"} 1.0' in text
        logged = [r.fields["executor"] for r in caplog.records if r.name == "quire.access"]  # type: ignore[attr-defined]
        assert logged == ["compiled", "compiled", "fallback", "strawberry"]
