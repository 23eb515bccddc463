"""Full-text search through `posts(search:)`, as a frontend's search box uses it, on both
backends with the same expectations: stemming per language, accents, phrases, exclusion, prefix,
ranking, keyset pages, highlights' ranges, visibility, and an index that follows every write."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models import EditorRole
from tests.api.conftest import GraphQLClient
from tests.api.editors import CREATE_POST, Editor, make_editor, publish
from tests.api.mutations import (
    CREATE_AUTHOR,
    CREATE_TAG,
    DELETE_POST,
    PUBLISH_POST,
    UNPUBLISH_POST,
    UPDATE_AUTHOR,
    UPDATE_POST,
    UPDATE_TAG,
    succeed,
)
from tests.conftest import Database

SEARCH = """
query($search: String!, $first: Int, $after: String, $filter: PostFilter, $order: PostOrder) {
  posts(search: $search, first: $first, after: $after, filter: $filter, orderBy: $order) {
    totalCount
    pageInfo { endCursor hasNextPage }
    edges {
      score
      node { id title }
      highlights {
        title { text matches { start length } }
        summary { text matches { start length } }
        snippet { text matches { start length } }
      }
    }
  }
}"""

BACKWARDS = """query($search: String!, $before: String) {
  posts(search: $search, last: 1, before: $before) {
    pageInfo { startCursor hasPreviousPage } edges { node { id } }
  }
}"""

NOW = datetime.now(UTC)


class Blog:
    def __init__(self, client: GraphQLClient, admin: Editor) -> None:
        self.client = client
        self.admin = admin
        self.ids: dict[str, str] = {}

    async def add(self, key: str, title: str, *, days_ago: int = 1, **fields: Any) -> None:
        post = await publish(self.admin, title, at=NOW - timedelta(days=days_ago), **fields)
        self.ids[key] = post["id"]

    async def update(self, key: str, values: dict[str, Any]) -> None:
        """Change a post through `updatePost`, at its current version."""
        current = await self.admin.data(f'{{ post(id: "{self.ids[key]}") {{ version }} }}')
        variables = {"id": self.ids[key], "version": current["post"]["version"], "input": values}
        await succeed(self.admin, UPDATE_POST, variables)

    async def search(self, text: str, **variables: Any) -> dict[str, Any]:
        body = await self.client.post(SEARCH, {"search": text, **variables})
        assert "errors" not in body, body["errors"]
        found: dict[str, Any] = body["data"]["posts"]
        return found

    async def titles(self, text: str, **variables: Any) -> list[str]:
        return [edge["node"]["title"] for edge in (await self.search(text, **variables))["edges"]]

    async def found(self, text: str) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        edges = (await self.search(text, first=100))["edges"]
        return {by_id.get(edge["node"]["id"], edge["node"]["title"]) for edge in edges}


@pytest.fixture
async def blog(scratch_client: GraphQLClient, scratch_db: Database) -> Blog:
    admin = await make_editor(scratch_client, scratch_db, EditorRole.ADMIN, "searcher")
    made = Blog(scratch_client, admin)
    await made.add(
        "running",
        "Running Kafka at scale",
        summary="How we run our brokers",
        body="We moved every broker. Streams of events flow through the cluster.",
        days_ago=3,
    )
    await made.add(
        "beam",
        "A guide to Beam",
        body="Kafka appears in the body only. Running pipelines is easy.",
        days_ago=2,
    )
    await made.add(
        "migraciones",
        "Migraciones de bases de datos",
        body="Cómo hicimos la migración sin parar el servicio.",
        language="es",
    )
    return made


async def test_every_word_matches_stemmed_in_the_posts_own_language(blog: Blog) -> None:
    assert await blog.found("running kafka") == {"running", "beam"}
    assert await blog.found("kafka beam") == {"beam"}
    assert await blog.found("runs ") == {"running", "beam"}  # "runs", "run", "running": run
    assert await blog.found("migracion") == {"migraciones"}  # no accent finds the accented
    assert await blog.found("MIGRACIONES ") == {"migraciones"}
    assert await blog.found("servicios ") == {"migraciones"}  # Spanish plural, Spanish stem
    assert await blog.found("nothing-like-this") == set()


async def test_phrases_exclusions_and_the_last_word_as_a_prefix(blog: Blog) -> None:
    assert await blog.found('"at scale"') == {"running"}
    assert await blog.found('"scale at"') == set()
    assert await blog.found("kafka -beam") == {"running"}
    assert await blog.found('kafka -"guide to"') == {"running"}
    assert await blog.found("kaf") == {"running", "beam"}  # typing
    assert await blog.found("kaf ") == set()  # a finished word matches whole words only
    assert await blog.found("migra") == {"migraciones"}


async def test_title_ranks_above_body_and_pages_follow_the_ranking(blog: Blog) -> None:
    await blog.add("twin", "Running Kafka at scale", summary="How we run our brokers", days_ago=1)
    found = await blog.search("kafka", first=10)
    titles = [edge["node"]["id"] for edge in found["edges"]]
    # The title matches first, the newer of two equal ones first; the body-only match last.
    assert titles == [blog.ids["twin"], blog.ids["running"], blog.ids["beam"]]
    scores = [edge["score"] for edge in found["edges"]]
    assert scores == sorted(scores, reverse=True) and scores[1] > scores[2]
    # Page by page, the same order, exactly.
    paged, after = [], None
    while True:
        page = await blog.search("kafka", first=1, after=after)
        paged += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == titles
    # And backwards from the end, pages of one.
    backwards, before = [], None
    while True:
        body = await blog.client.post(BACKWARDS, {"search": "kafka", "before": before})
        page = body["data"]["posts"]
        backwards = [edge["node"]["id"] for edge in page["edges"]] + backwards
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert backwards == titles
    # Any other order on request; no score then.
    newest = await blog.search("kafka", order={"field": "PUBLISHED_AT"})
    by_date = [blog.ids["twin"], blog.ids["beam"], blog.ids["running"]]
    assert [edge["node"]["id"] for edge in newest["edges"]] == by_date
    assert {edge["score"] for edge in newest["edges"]} == {None}


async def test_highlights_give_plain_text_and_utf16_ranges(blog: Blog) -> None:
    await blog.add("emoji", "🎉 Kafka and kafka", body="A long body. " * 40 + "Kafka near the end.")
    edges = {e["node"]["id"]: e for e in (await blog.search("kafka", first=10))["edges"]}
    running = edges[blog.ids["running"]]["highlights"]
    assert running["title"] == {
        "text": "Running Kafka at scale",
        "matches": [{"start": 8, "length": 5}],
    }
    assert running["summary"] == {"text": "How we run our brokers", "matches": []}
    emoji = edges[blog.ids["emoji"]]["highlights"]
    # The emoji is two UTF-16 code units: JavaScript's "🎉 Kafka".indexOf("Kafka") is 3.
    assert emoji["title"]["matches"] == [{"start": 3, "length": 5}, {"start": 13, "length": 5}]
    snippet = emoji["snippet"]
    assert snippet["text"].startswith("…") and "Kafka near the end." in snippet["text"]
    start, length = snippet["matches"][0]["start"], snippet["matches"][0]["length"]
    assert snippet["text"][start : start + length] == "Kafka"
    stemmed = (await blog.search("run", first=10))["edges"]
    title = next(e for e in stemmed if e["node"]["id"] == blog.ids["running"])["highlights"]
    assert title["title"]["matches"] == [{"start": 0, "length": 7}]  # "Running"


async def test_drafts_scheduled_posts_and_internal_tags_never_match_for_readers(
    blog: Blog,
) -> None:
    draft = await blog.admin.run(CREATE_POST, {"input": {"title": "Secret kafka plans"}})
    await blog.add("later", "Kafka tomorrow", days_ago=-1)  # scheduled
    tag = await succeed(
        blog.admin, CREATE_TAG, {"input": {"name": "Zebrafish", "visibility": "INTERNAL"}}
    )
    await blog.update("beam", {"tagIds": [tag["tag"]["id"]]})
    assert await blog.found("kafka") == {"running", "beam"}
    found = await blog.search("kafka")
    assert found["totalCount"] == 2
    assert await blog.found("zebrafish") == set()
    assert await blog.found("secret") == set()
    # An editor asks for drafts and finds them.
    drafts = await blog.admin.data(
        'query { posts(search: "secret", filter: {status: [DRAFT]}) { nodes { id } } }'
    )
    assert drafts["posts"]["nodes"] == [{"id": draft["post"]["id"]}]


async def test_the_total_follows_publishing_unpublishing_and_the_clock(blog: Blog) -> None:
    """A reader's total is counted in the index table (its copy of each post's status and
    date): it must move with the post, and with time for a scheduled post."""
    assert (await blog.search("kafka"))["totalCount"] == 2
    created = await succeed(
        blog.admin, CREATE_POST, {"input": {"title": "Kafka notes", "body": "streams"}}
    )
    post = created["post"]
    published = await succeed(
        blog.admin, PUBLISH_POST, {"id": post["id"], "version": post["version"]}
    )
    assert (await blog.search("kafka"))["totalCount"] == 3
    await succeed(
        blog.admin,
        UNPUBLISH_POST,
        {"id": post["id"], "version": published["post"]["version"]},
    )
    assert (await blog.search("kafka"))["totalCount"] == 2
    # Scheduled a second from now: counted once its instant has passed.
    current = await blog.admin.data(f'{{ post(id: "{post["id"]}") {{ version }} }}')
    at = datetime.now(UTC) + timedelta(seconds=1)
    await succeed(
        blog.admin,
        PUBLISH_POST,
        {"id": post["id"], "version": current["post"]["version"], "at": at.isoformat()},
    )
    assert (await blog.search("kafka"))["totalCount"] == 2
    await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()) + 0.05)
    after = await blog.search("kafka")
    assert after["totalCount"] == 3
    assert len(after["edges"]) == 3


async def test_the_index_follows_every_write(blog: Blog) -> None:
    await blog.update("running", {"title": "Operating brokers"})
    assert await blog.found("operating") == {"running"}
    assert await blog.found("kafka") == {"beam"}  # the old title's word is gone
    # A tag's name and an author's name are words of their posts.
    tag = await succeed(blog.admin, CREATE_TAG, {"input": {"name": "Zeppelin"}})
    await blog.update("running", {"tagIds": [tag["tag"]["id"]]})
    assert await blog.found("zeppelin") == {"running"}
    await succeed(
        blog.admin,
        UPDATE_TAG,
        {"id": tag["tag"]["id"], "version": tag["tag"]["version"], "input": {"name": "Dirigibles"}},
    )
    assert await blog.found("dirigible") == {"running"}  # a plural's stem
    assert await blog.found("zeppelin") == set()
    author = await succeed(blog.admin, CREATE_AUTHOR, {"input": {"name": "Ada Quill"}})
    await blog.update("running", {"authorIds": [author["author"]["id"]]})
    assert await blog.found("quill") == {"running"}
    await succeed(
        blog.admin,
        UPDATE_AUTHOR,
        {
            "id": author["author"]["id"],
            "version": author["author"]["version"],
            "input": {"name": "Ada Lovelace"},
        },
    )
    assert await blog.found("lovelace") == {"running"}
    assert await blog.found("quill") == set()
    running = await blog.admin.data(f'{{ post(id: "{blog.ids["running"]}") {{ version }} }}')
    await succeed(
        blog.admin, DELETE_POST, {"id": blog.ids["running"], "version": running["post"]["version"]}
    )
    assert await blog.found("lovelace") == set()


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("   ", "at least one word"),
        ("-kafka", "at least one word"),
        ("%%%", "at least one word"),
        ("x" * 201, "200 characters"),
        (" ".join(["word"] * 17), "16 words"),
    ],
)
async def test_a_search_with_nothing_to_find_is_a_field_error(
    client: GraphQLClient, search: str, message: str
) -> None:
    error = await client.error(SEARCH, {"search": search})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "search"}
    assert message in error["message"]


async def test_relevance_needs_a_search(client: GraphQLClient) -> None:
    error = await client.error("{ posts(orderBy: {field: RELEVANCE}) { nodes { id } } }")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "orderBy"}


async def test_the_text_filter_takes_wildcards_literally(blog: Blog) -> None:
    await blog.add("percent", "Discounts of 100% off", body="Use snake_case names.")
    query = "query($text: String!) { posts(filter: {text: $text}) { nodes { title } } }"
    for text, expected in (
        ("100%", ["Discounts of 100% off"]),
        ("%", ["Discounts of 100% off"]),
        ("e_c", ["Discounts of 100% off"]),
        ("e%c", []),
    ):
        found = await blog.client.data(query, {"text": text})
        assert [n["title"] for n in found["posts"]["nodes"]] == expected, text


SUGGEST = "query($q: String!) { posts(search: $q) { totalCount searchSuggestion } }"


async def test_did_you_mean_names_a_word_one_edit_away_that_live_posts_have(blog: Blog) -> None:
    await blog.admin.run(CREATE_POST, {"input": {"title": "Zookeeper internals"}})  # a draft

    async def suggested(text: str) -> str | None:
        found = await blog.client.data(SUGGEST, {"q": text})
        value: str | None = found["posts"]["searchSuggestion"]
        return value

    assert await suggested("Kafak brokers") == "kafka brokers"  # swapped letters
    assert await suggested("brokrs") == "brokers"  # a letter left out
    assert await suggested("migracioness") == "migraciones"  # one too many, accents aside
    assert await suggested("kafka") is None  # found as it is
    assert await suggested("kafk ") is None  # under five letters
    assert await suggested("zookeepr") is None  # only a draft has it
    assert await suggested("qwertyuiop") is None  # nothing near
