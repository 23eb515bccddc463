"""SQL statements per request are fixed, whatever the page size (no N+1)."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.api.conftest import GraphQLClient, serve
from tests.conftest import Database

HOME = """
query($n: Int!) {
  posts(first: $n) {
    edges { cursor node { id title slug excerpt publishedAt readingTime
      authors { name slug } tags { name slug } primaryAuthor { name } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture(scope="module", params=[True, False], ids=["compiled", "strawberry"])
async def client(demo_db: Database, request: pytest.FixtureRequest) -> AsyncIterator[GraphQLClient]:
    """The demo blog without the response cache, which would answer repeats with no SQL; with
    compiled reads (the default) and without: what Strawberry executes keeps its counts too."""
    async for client in serve(demo_db, response_cache=False, compiled_reads=request.param):
        yield client


@pytest.mark.parametrize("size", [1, 20, 100])
async def test_home_page_costs_two_statements_at_any_page_size(
    client: GraphQLClient,
    count_statements,
    size: int,  # type: ignore[no-untyped-def]
) -> None:
    counter = count_statements(client)
    data = await client.data(HOME, {"n": size})
    assert len(data["posts"]["edges"]) == size
    # The page, then the bylines and tags of all its posts together.
    assert counter.count == 2, counter.statements
    assert all(edge["node"]["authors"] for edge in data["posts"]["edges"])


async def test_total_count_alone_is_one_count_statement(
    client: GraphQLClient, count_statements
) -> None:  # type: ignore[no-untyped-def]
    counter = count_statements(client)
    await client.data("{ posts { totalCount } }")
    assert counter.count == 1, counter.statements


async def test_a_page_with_total_and_every_facet_is_three_statements(
    client: GraphQLClient, count_statements
) -> None:  # type: ignore[no-untyped-def]
    counter = count_statements(client)
    data = await client.data(
        """{ posts(first: 20) {
          totalCount
          facets { levels { level count } languages { language count }
            includesCode { includesCode count } tags { tag { slug } count }
            authors { author { name } count } }
          nodes { title authors { name } tags { slug } } } }"""
    )
    # The page, its bylines and tags, then the total and every facet in one UNION, from the
    # maintained counts: the posts are read only to see whether a scheduled one came due.
    assert counter.count == 3, counter.statements
    summary = [statement for statement in counter.statements if "post_counts" in statement]
    assert len(summary) == 1 and summary[0].count("FROM posts") == 1, counter.statements
    facets = data["posts"]["facets"]
    assert sum(f["count"] for f in facets["levels"]) == data["posts"]["totalCount"]
    assert all(facets[name] for name in ("languages", "includesCode", "tags", "authors"))


SEARCH_BOX = """query($filter: PostFilter) { posts(first: 5, search: "kafka", filter: $filter) {
  totalCount
  edges { score node { title authors { name } tags { slug } }
    highlights { title { text matches { start length } } } } } }"""


@pytest.mark.parametrize("asked", [None, {}], ids=["no filter", "an empty filter"])
async def test_a_search_box_counts_its_matches_with_its_page(
    client: GraphQLClient,
    demo_db: Database,
    count_statements,  # type: ignore[no-untyped-def]
    asked: dict[str, Any] | None,
) -> None:
    counter = count_statements(client)
    data = await client.data(SEARCH_BOX, {"filter": asked})
    found = data["posts"]
    assert found["totalCount"] > len(found["edges"]) > 0
    # The ranked page, which carries the total, then its bylines and tags (compiled reads;
    # Strawberry may ask for the total before the page, and count it apart).
    if client.app.state.compiled_reads is not None:
        assert counter.count == 2, counter.statements
    else:
        assert counter.count == 3, counter.statements
    if demo_db.backend == "sqlite":  # matches checked live in the index, not the posts' rows
        assert "INDEXED BY ix_post_search_state" in counter.statements[0], counter.statements


async def test_a_filter_menu_with_two_conditions_reads_the_counts_not_the_posts(
    client: GraphQLClient, count_statements
) -> None:  # type: ignore[no-untyped-def]
    tag = (await client.data("{ tags(first: 1) { nodes { slug } } }"))["tags"]["nodes"][0]
    counter = count_statements(client)
    data = await client.data(
        """query($tag: String!) {
          posts(first: 5, filter: {levels: [BEGINNER, INTERMEDIATE], tags: {anyOf: [$tag]}}) {
            totalCount
            facets(disjunctive: true) { levels { level count } languages { language count }
              includesCode { includesCode count } tags(limit: 5) { tag { slug } count } }
            nodes { title } } }""",
        {"tag": tag["slug"]},
    )
    assert data["posts"]["totalCount"] > 0
    summary = [statement for statement in counter.statements if "post_counts" in statement]
    # The summary's only read of the posts is the lookup of a scheduled post come due; the
    # other statements are the page and lookups of the chosen slugs.
    assert len(summary) == 1 and summary[0].count("FROM posts") == 1, summary
    assert sum("FROM posts" in statement for statement in counter.statements) == 2


async def test_author_list_with_post_counts_is_two_statements(
    client: GraphQLClient, count_statements
) -> None:  # type: ignore[no-untyped-def]
    counter = count_statements(client)
    data = await client.data("{ authors(first: 30) { nodes { name postCount } } }")
    assert len(data["authors"]["nodes"]) == 30
    assert counter.count == 2, counter.statements


async def test_post_page_with_translations_is_three_statements(
    client: GraphQLClient, count_statements
) -> None:  # type: ignore[no-untyped-def]
    slug = (
        await client.data('{ posts(first: 1, filter: { languages: ["es"] }) { nodes { slug } } }')
    )["posts"]["nodes"][0]["slug"]
    counter = count_statements(client)
    await client.data(
        "query($s: String!) { post(slug: $s) "
        "{ html authors { name } tags { name } translations { slug } } }",
        {"s": slug},
    )
    assert counter.count == 3, counter.statements


async def test_tag_page_is_at_most_three_statements(
    client: GraphQLClient, count_statements
) -> None:  # type: ignore[no-untyped-def]
    tag = (await client.data("{ tags(first: 1) { nodes { slug } } }"))["tags"]["nodes"][0]["slug"]
    counter = count_statements(client)
    data = await client.data(
        "query($t: String!) { posts(first: 20, filter: { tags: { anyOf: [$t] } }) "
        "{ nodes { title authors { name } tags { slug } } } }",
        {"t": tag},
    )
    assert data["posts"]["nodes"]
    assert all(tag in [t["slug"] for t in node["tags"]] for node in data["posts"]["nodes"])
    if client.app.state.compiled_reads is not None:
        # The page (which checks the slug), the bylines and tags.
        assert counter.count == 2, counter.statements
    else:
        # The slug check, the page, the bylines and tags.
        assert counter.count == 3, counter.statements


async def test_nodes_batches_all_ids_into_one_statement_per_type(
    client: GraphQLClient,
    count_statements,  # type: ignore[no-untyped-def]
) -> None:
    ids = [
        n["id"]
        for n in (await client.data("{ posts(first: 20) { nodes { id } } }"))["posts"]["nodes"]
    ]
    counter = count_statements(client)
    data = await client.data("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert [node["id"] for node in data["nodes"]] == ids
    assert counter.count == 1, counter.statements


@pytest.mark.parametrize(
    "selection",
    [
        "nodes { ...Byline }",
        "edges { node { ... on Post { authors { name } tags { slug } } } }",
        "nodes { primaryAuthor { name } primaryTag { slug } }",
    ],
)
async def test_bylines_asked_through_fragments_come_with_the_page(
    client: GraphQLClient,
    count_statements,
    monkeypatch: pytest.MonkeyPatch,
    selection: str,  # type: ignore[no-untyped-def]
) -> None:
    from schema.post import Post

    loaded_per_post = []
    links = Post._relations

    def counted(self: Post, *args: Any) -> Any:
        if self.relations is None:
            loaded_per_post.append(self.id)
        return links(self, *args)

    monkeypatch.setattr(Post, "_relations", counted)
    counter = count_statements(client)
    fragment = "fragment Byline on Post { authors { name } tags { slug } }"
    query = f"{{ posts(first: 20) {{ {selection} }} }}"
    data = await client.data(f"{query} {fragment}" if "...Byline" in selection else query)
    assert str(data).count("'name'") >= 20  # every post has a byline
    assert counter.count == 2, counter.statements
    assert loaded_per_post == []  # fetched with the page, not through the loader per post


async def test_a_page_without_bylines_does_not_fetch_them(
    client: GraphQLClient, count_statements
) -> None:  # type: ignore[no-untyped-def]
    counter = count_statements(client)
    await client.data("{ posts(first: 20) { nodes { title } } }")
    assert counter.count == 1, counter.statements


async def test_bylines_fetched_with_the_page_are_answered_without_a_load_per_post(
    demo_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Strawberry's path: compiled reads build no Post objects."""
    from schema.post import Post

    calls = {"prefetched": 0, "loaded": 0}
    links = Post._relations

    def counted(self: Post, *args: Any) -> Any:
        calls["prefetched" if self.relations is not None else "loaded"] += 1
        return links(self, *args)

    monkeypatch.setattr(Post, "_relations", counted)
    async for client in serve(demo_db, response_cache=False, compiled_reads=False):
        await _read_bylines_twice(client, calls)


async def _read_bylines_twice(client: GraphQLClient, calls: dict[str, int]) -> None:
    await client.data("{ posts(first: 10) { nodes { authors { name } tags { slug } } } }")
    assert calls == {"prefetched": 20, "loaded": 0}
    first = (await client.data("{ posts(first: 1) { nodes { slug } } }"))["posts"]["nodes"][0]
    await client.data(
        "query($slug: String!) { post(slug: $slug) { authors { name } tags { slug } } }", first
    )
    assert calls == {"prefetched": 20, "loaded": 2}  # a single post loads its own


MUTATIONS = {
    "create": "mutation($input: CreatePostInput!) { createPost(input: $input) { post { id version } errors { code } } }",  # noqa: E501
    "update": 'mutation($id: ID!, $v: Int!) { updatePost(id: $id, version: $v, input: { title: "B" }) { post { id version } errors { code } } }',  # noqa: E501
    "publish": "mutation($id: ID!, $v: Int!) { publishPost(id: $id, version: $v) { post { id version } errors { code } } }",  # noqa: E501
    "unpublish": "mutation($id: ID!, $v: Int!) { unpublishPost(id: $id, version: $v) { post { id version } errors { code } } }",  # noqa: E501
    "delete": "mutation($id: ID!, $v: Int!) { deletePost(id: $id, version: $v) { deletedId errors { code } } }",  # noqa: E501
}


async def test_a_post_mutation_costs_one_statement_for_its_events(
    scratch_client: GraphQLClient, scratch_db: Database, count_statements: Any
) -> None:
    """Before the event log these were 9, 5, 5, 5 and 3: one statement more each, the event's
    INSERT (on PostgreSQL with its lock taken in the same statement). Writing a post's text
    costs three more, its search index entry (resolvers.search): the post's text, its tags' and
    authors' names, the entry; deleting it one more on SQLite, whose FTS5 index has no foreign
    key to drop the entry with the post. Publishing and unpublishing cost three more, the
    maintained counts (resolvers.post_counts): the post's facts now and as counted, the counts'
    changes, what is remembered of the post; creating or deleting a draft one, the read that
    finds it is not counted; editing a field no count reads (the title here) none."""
    from tests.api.editors import make_team

    editor = (await make_team(scratch_client, scratch_db))["editor"]
    counter = count_statements(scratch_client)
    counts = {}
    post = (await editor.run(MUTATIONS["create"], {"input": {"title": "A", "tagIds": []}}))["post"]
    counts["create"] = counter.count
    for name in ("update", "publish", "unpublish", "delete"):
        counter.statements.clear()
        result = await editor.run(MUTATIONS[name], {"id": post["id"], "v": post["version"]})
        assert result["errors"] == [], result
        post = result.get("post") or post
        counts[name] = counter.count
    deleted = 5 if scratch_db.backend == "postgresql" else 6
    assert counts == {"create": 14, "update": 9, "publish": 9, "unpublish": 9, "delete": deleted}
