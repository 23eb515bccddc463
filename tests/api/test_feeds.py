"""Atom feeds and the sitemap, fetched over HTTP and parsed back (feedparser, ElementTree), checked
against what the GraphQL API tells an anonymous reader."""

from collections.abc import AsyncIterator
from typing import Any
from xml.etree import ElementTree

import feedparser
import pytest

from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import Editor, make_team
from tests.api.mutations import CREATE_POST, PUBLISH_POST
from tests.conftest import Database

SITE_URL = "https://engineering.example.org"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
LATEST = """query($filter: PostFilter) {
  posts(first: 20, filter: $filter) { totalCount nodes { slug title authors { name } } }
}"""


async def fetch(client: GraphQLClient, path: str, **headers: str) -> Any:
    return await client.http.get(path, headers=headers)


async def feed(client: GraphQLClient, path: str) -> Any:
    response = await fetch(client, path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return parsed


def slugs(parsed: Any) -> list[str]:
    return [entry.link.removeprefix(SITE_URL + "/").strip("/") for entry in parsed.entries]


async def latest(client: GraphQLClient, **filter: Any) -> list[str]:
    data = await client.data(LATEST, {"filter": filter or None})
    return [node["slug"] for node in data["posts"]["nodes"]]


async def test_the_posts_feed_is_the_latest_posts_readers_see(client: GraphQLClient) -> None:
    parsed = await feed(client, "/feeds/posts.atom")
    assert parsed.feed.title == "Quire Engineering"
    assert parsed.feed.link == SITE_URL
    assert slugs(parsed) == await latest(client)
    first = parsed.entries[0]
    node = (await client.data(LATEST))["posts"]["nodes"][0]
    assert first.title == node["title"]
    assert [author.name for author in first.authors] == [a["name"] for a in node["authors"]]
    assert first.content[0].type == "text/html" and first.content[0].value.startswith("<")
    assert first.published_parsed is not None and first.updated_parsed is not None


@pytest.mark.parametrize(
    ("path", "filter"),
    [
        ("/feeds/languages/es.atom", {"languages": ["es"]}),
        ("/feeds/tags/infrastructure.atom", {"tags": {"anyOf": ["infrastructure"]}}),
    ],
)
async def test_a_language_or_tag_feed_lists_that_list(
    client: GraphQLClient, path: str, filter: dict[str, Any]
) -> None:
    parsed = await feed(client, path)
    assert slugs(parsed) == await latest(client, **filter)
    assert slugs(parsed)


async def test_an_author_feed_lists_their_posts(client: GraphQLClient) -> None:
    author = (await client.data("{ authors(first: 1) { nodes { slug name } } }"))["authors"]
    slug = author["nodes"][0]["slug"]
    parsed = await feed(client, f"/feeds/authors/{slug}.atom")
    assert parsed.feed.title == f"{author['nodes'][0]['name']} · Quire Engineering"
    assert slugs(parsed) == await latest(client, authors={"anyOf": [slug]})


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/feeds/tags/no-such-tag.atom", "tags"),
        ("/feeds/tags/Bad%20Slug.atom", "tags"),
        ("/feeds/authors/nobody.atom", "authors"),
        ("/feeds/languages/not_a_language!.atom", "posts"),
        ("/sitemaps/posts-99.xml", "posts"),
        ("/sitemaps/posts-0.xml", "posts"),
        ("/sitemaps/editors.xml", "posts"),
    ],
)
async def test_what_does_not_exist_is_a_plain_404_a_cdn_purges_when_it_would_exist(
    client: GraphQLClient, path: str, key: str
) -> None:
    """A CDN keeps a 404 like the feed it stands for (Fastly and Varnish cache 404s by
    default), so it names the key whose events could make it exist: a tag's feed asked for
    before the tag is created is purged when it is."""
    response = await fetch(client, path)
    assert response.status_code == 404
    assert response.text == "Not found.\n"
    assert response.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert response.headers["surrogate-key"] == key


async def test_the_sitemap_lists_every_live_post_tag_and_author(client: GraphQLClient) -> None:
    index = ElementTree.fromstring((await fetch(client, "/sitemap.xml")).content)
    files = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    assert files == [
        "http://testserver/sitemaps/posts-1.xml",
        "http://testserver/sitemaps/tags.xml",
        "http://testserver/sitemaps/authors.xml",
    ]
    posts = ElementTree.fromstring((await fetch(client, "/sitemaps/posts-1.xml")).content)
    urls = [loc.text for loc in posts.iter(f"{SITEMAP}loc")]
    total = (await client.data(LATEST))["posts"]["totalCount"]
    assert len(urls) == total and len(set(urls)) == total
    assert all(url and url.startswith(SITE_URL + "/") for url in urls)
    tags = ElementTree.fromstring((await fetch(client, "/sitemaps/tags.xml")).content)
    tag_urls = {loc.text for loc in tags.iter(f"{SITEMAP}loc")}
    public = (await client.data("{ tags(first: 100) { nodes { slug postCount } } }"))["tags"]
    assert tag_urls == {
        f"{SITE_URL}/tag/{node['slug']}/" for node in public["nodes"] if node["postCount"]
    }


@pytest.fixture
async def team(scratch_client: GraphQLClient, scratch_db: Database) -> dict[str, Editor]:
    return await make_team(scratch_client, scratch_db)


async def test_a_feed_never_shows_a_draft_and_shows_a_publish_at_once(
    team: dict[str, Editor], scratch_client: GraphQLClient
) -> None:
    editor = team["editor"]
    draft = (await editor.run(CREATE_POST, {"input": {"title": "Not yet"}}))["post"]
    empty = await feed(scratch_client, "/feeds/posts.atom")
    assert empty.entries == []
    first = await fetch(scratch_client, "/feeds/posts.atom")
    assert "posts" in first.headers["surrogate-key"].split()
    etag = first.headers["etag"]
    unchanged = await fetch(scratch_client, "/feeds/posts.atom", **{"if-none-match": etag})
    assert unchanged.status_code == 304
    published = await editor.run(PUBLISH_POST, {"id": draft["id"], "version": draft["version"]})
    assert published["errors"] == []
    after = await feed(scratch_client, "/feeds/posts.atom")
    assert [entry.title for entry in after.entries] == ["Not yet"]
    # No site address yet: links are made under this server's.
    assert after.entries[0].link == "http://testserver/not-yet/"
    changed = await fetch(scratch_client, "/feeds/posts.atom", **{"if-none-match": etag})
    assert changed.status_code == 200


@pytest.fixture
async def no_feeds(scratch_db: Database) -> AsyncIterator[GraphQLClient]:
    async for client in serve(scratch_db, feeds=False):
        yield client


async def test_feeds_can_be_switched_off(no_feeds: GraphQLClient) -> None:
    for path in ("/feeds/posts.atom", "/sitemap.xml"):
        assert (await fetch(no_feeds, path)).status_code == 404
