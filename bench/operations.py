"""The canonical operations (`operations/*.graphql`) and the variables each run gives them."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench.client import graphql

OPERATIONS_DIR = Path(__file__).resolve().parent / "operations"


@dataclass(frozen=True)
class Operation:
    name: str
    title: str
    document: str  # file name in operations/, without .graphql
    expect: tuple[str, ...]  # path in `data` to a value that must be non-empty
    floor: str | None = None  # floor route giving this operation's ratio
    floor_serves_it: bool = False  # the floor answers this very page (else a reference ratio)

    @property
    def query(self) -> str:
        return (OPERATIONS_DIR / f"{self.document}.graphql").read_text()


NODES = ("posts", "nodes")

OPERATIONS = (
    Operation("home", "Home page", "home", NODES, floor="home", floor_serves_it=True),
    Operation("page2", "Page 2 (cursor)", "next_page", NODES, floor="home"),
    Operation("deep", "Page 50 (cursor)", "next_page", NODES, floor="home"),
    Operation("tag", "Tag page", "tag", NODES, floor="tag", floor_serves_it=True),
    Operation("tag10", "Tag page, 10th tag", "tag", NODES, floor="tag"),
    Operation("tag400", "Tag page, 400th tag", "tag", NODES, floor="tag"),
    Operation("author", "Author page", "author", NODES, floor="tag"),
    Operation("author_tail", "Author page, long tail", "author", NODES, floor="tag"),
    Operation("post", "Post page", "post", ("post",), floor="post", floor_serves_it=True),
    Operation("facets", "Home + totalCount + facets", "home_facets", NODES),
    Operation("facets2", "Facets, two conditions, disjunctive", "facets_filtered", NODES),
    Operation("text", "Text filter", "text_search", NODES),
    Operation("search", "Search, selective words", "search", ("posts", "edges")),
    Operation("search_common", "Search, a common word", "search", ("posts", "edges")),
    Operation("sync", "Sync poll, nothing new", "sync_poll", ("sync", "cursor")),
)
FLOOR_ROUTES = ("home", "tag", "post")


@dataclass
class Parameters:
    """What the dataset offers the operations, found through Quire's API before the load."""

    tag: str
    tag_posts: int
    author: str
    author_posts: int
    ranked_tags: dict[int, tuple[str, int]]  # rank (1 = most used) -> slug, published posts
    tail_author: tuple[int, str, int]  # rank, slug, published posts
    post_slug: str
    text: str
    search: str
    common_word: str
    deep_page: int  # the page number the "deep" operation actually reaches
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)


def request_body(operation: Operation, parameters: Parameters) -> bytes:
    """The exact JSON body sent for `operation` (to Quire and, for its routes, to the floor)."""
    payload: dict[str, Any] = {"query": operation.query}
    variables = parameters.variables.get(operation.name)
    if variables:
        payload["variables"] = variables
    return orjson.dumps(payload)


def discover(
    graphql_url: str, *, text: str, search: str, common_word: str, deep_page: int
) -> Parameters:
    """Pick the popular tag and author, a translated post, and walk the cursors to page N."""
    data = graphql(
        graphql_url,
        """{
          tags(first: 1, orderBy: {field: POST_COUNT}) { nodes { slug postCount } }
          authors(first: 1, orderBy: {field: POST_COUNT}) { nodes { slug postCount } }
          posts(first: 1, filter: {languages: ["es"]}) {
            nodes { translations { slug language } }
          }
        }""",
    )
    tag = data["tags"]["nodes"][0]
    author = data["authors"]["nodes"][0]
    post_slug = _translated_post(graphql_url, data["posts"]["nodes"])
    ranked_tags = _ranked(graphql_url, "tags", (10, 400))
    tail_rank = max(1, round(_count(graphql_url, "authors") * 0.85))
    tail = _ranked(graphql_url, "authors", (tail_rank,))[tail_rank]
    after_page2, reached = _walk(graphql_url, 2)
    after_deep, deep_reached = _walk(graphql_url, deep_page)
    if reached < 2:
        raise RuntimeError("the dataset has a single page of posts; load more posts")
    return Parameters(
        tag=tag["slug"],
        tag_posts=tag["postCount"],
        author=author["slug"],
        author_posts=author["postCount"],
        ranked_tags=ranked_tags,
        tail_author=(tail_rank, *tail),
        post_slug=post_slug,
        text=text,
        search=search,
        common_word=common_word,
        deep_page=deep_reached,
        variables={
            "page2": {"after": after_page2},
            "deep": {"after": after_deep},
            "tag": {"tag": tag["slug"]},
            "tag10": {"tag": ranked_tags[10][0]},
            "tag400": {"tag": ranked_tags[400][0]},
            "author": {"author": author["slug"]},
            "author_tail": {"author": tail[0]},
            "post": {"slug": post_slug},
            "text": {"text": text},
            "facets2": {"tag": tag["slug"]},
            "search": {"search": search},
            "search_common": {"search": common_word + " "},
            "sync": {"after": _synced(graphql_url)},
        },
    )


def _ranked(graphql_url: str, kind: str, ranks: tuple[int, ...]) -> dict[int, tuple[str, int]]:
    """Slug and published posts of the tags or authors at these ranks by posts (the last one
    when there are fewer), walking the list a hundred at a time."""
    query = (
        f"query($after: String) {{ {kind}(first: 100, after: $after, "
        "orderBy: {field: POST_COUNT}) { nodes { slug postCount } "
        "pageInfo { hasNextPage endCursor } } }"
    )
    found: list[tuple[str, int]] = []
    after = None
    while len(found) < max(ranks):
        page = graphql(graphql_url, query, {"after": after})[kind]
        found += [(node["slug"], node["postCount"]) for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return {rank: found[min(rank, len(found)) - 1] for rank in ranks}


def _count(graphql_url: str, kind: str) -> int:
    """How many tags or authors there are."""
    total: int = graphql(graphql_url, f"{{ {kind}(first: 1) {{ totalCount }} }}")[kind][
        "totalCount"
    ]
    return total


def _synced(graphql_url: str) -> str:
    """The cursor of an app that has synced the tags and is up to date."""
    query = (
        "query($after: String) { sync(after: $after, first: 100, types: [TAG]) { cursor hasMore } }"
    )
    page = graphql(graphql_url, query, {"after": None})["sync"]
    while page["hasMore"]:
        page = graphql(graphql_url, query, {"after": page["cursor"]})["sync"]
    cursor: str = page["cursor"]
    return cursor


def _translated_post(graphql_url: str, spanish: list[dict[str, Any]]) -> str:
    """An English post that has a translation, so the post page fetches one; else the newest."""
    for node in spanish:
        for translation in node["translations"]:
            if translation["language"] == "en":
                slug: str = translation["slug"]
                return slug
    newest = graphql(graphql_url, "{ posts(first: 1) { nodes { slug } } }")
    fallback: str = newest["posts"]["nodes"][0]["slug"]
    return fallback


def _walk(graphql_url: str, page: int) -> tuple[str | None, int]:
    """The `after` cursor that opens page `page` of the home list, and the page it opens (the
    last one when the list is shorter)."""
    home = (OPERATIONS_DIR / "home.graphql").read_text()
    next_page = (OPERATIONS_DIR / "next_page.graphql").read_text()
    info = graphql(graphql_url, home)["posts"]["pageInfo"]
    after, reached = None, 1
    while reached < page and info["hasNextPage"]:
        after, reached = info["endCursor"], reached + 1
        if reached < page:
            info = graphql(graphql_url, next_page, {"after": after})["posts"]["pageInfo"]
    return after, reached
