"""Importing Ghost and WordPress exports (every file in tests/fixtures/imports), on both backends,
checked against the files and read back through the API as readers and editors see it."""

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select, update

from app.imports import UnreadableExport
from app.imports.runner import import_into
from app.imports.values import moment
from models import Author, ContentEvent, EditorRole, Post, Tag, TagVisibility
from resolvers.imports import ImportReport
from tests.api.conftest import GraphQLClient, serve
from tests.api.editors import Editor, count_rows, make_editor
from tests.conftest import Database

FIXTURES = Path(__file__).parents[1] / "fixtures" / "imports"
GHOST_FILES = ["ghost/valid.json", "ghost/v4_export.json", "ghost/v5_lexical.json"]
SITE = "https://old.example.com"

EVERY_POST = """
query($first: Int!) {
  posts(first: $first, filter: {status: [DRAFT, SCHEDULED, PUBLISHED]}) {
    totalCount
    edges { node {
      title slug status publishedAt summary excerpt body html featured language canonicalUrl
      metaTitle metaDescription featureImage { url alt }
      authors { name slug bio avatarUrl website }
      tags { name slug visibility description }
    } }
  }
}"""
READERS_SEE = "{ posts(first: 50) { edges { node { slug tags { slug } } } } }"


@pytest.fixture
async def client(scratch_db: Database) -> AsyncIterator[GraphQLClient]:
    async for client in serve(scratch_db):
        yield client


@pytest.fixture
async def admin(client: GraphQLClient, scratch_db: Database) -> Editor:
    return await make_editor(client, scratch_db, EditorRole.ADMIN, "admin")


async def run(database: Database, source: str, name: str, **options: Any) -> ImportReport:
    return await import_into(database.engine, source, FIXTURES / name, **options)


async def every_post(admin: Editor) -> dict[str, dict[str, Any]]:
    posts = (await admin.data(EVERY_POST, {"first": 100}))["posts"]
    return {edge["node"]["slug"]: edge["node"] for edge in posts["edges"]}


def ghost_expected(name: str) -> list[dict[str, Any]]:
    """What each post of a Ghost export should become, read from the file itself."""
    data = json.loads((FIXTURES / name).read_text())["db"][0]["data"]
    users = {user["id"]: user["slug"] for user in data["users"]}
    tags = {tag["id"]: tag["name"] for tag in data["tags"]}
    internal = {tag["name"] for tag in data["tags"] if tag.get("visibility") == "internal"}

    def ordered(table: str, post_id: str, key: str, names: dict[str, str]) -> list[str]:
        links = [row for row in data.get(table, []) if row["post_id"] == post_id]
        return [names[row[key]] for row in sorted(links, key=lambda row: row["sort_order"])]

    expected = []
    for post in data["posts"]:
        if post.get("type") == "page" or post.get("page") in (1, True, "1"):
            continue
        public = post.get("visibility", "public") == "public"
        status = {"published": "PUBLISHED", "scheduled": "SCHEDULED"}.get(post["status"], "DRAFT")
        authors = ordered("posts_authors", post["id"], "author_id", users)
        if not authors and post.get("author_id"):  # Ghost 1 has one author, on the post
            authors = [users[post["author_id"]]]
        expected.append(
            {
                "slug": post["slug"],
                "title": post["title"],
                "status": status if public else "DRAFT",
                "publishedAt": moment(post["published_at"]),
                "authors": authors,
                # Internal tags are Ghost's and Quire's own: never listed on a post.
                "tags": [
                    name
                    for name in ordered("posts_tags", post["id"], "tag_id", tags)
                    if name not in internal
                ],
            }
        )
    return expected


@pytest.mark.parametrize("name", GHOST_FILES)
async def test_a_ghost_export_becomes_the_posts_authors_and_tags_it_holds(
    scratch_db: Database, admin: Editor, name: str
) -> None:
    report = await run(scratch_db, "ghost", name, site_url=SITE)
    assert not report.problems, report.problems
    expected = ghost_expected(name)
    posts = await every_post(admin)
    assert sorted(posts) == sorted(post["slug"] for post in expected)
    for want in expected:
        got = posts[want["slug"]]
        assert got["title"] == want["title"]
        assert got["status"] == want["status"], want["slug"]
        published = got["publishedAt"] and datetime.fromisoformat(got["publishedAt"])
        assert published == want["publishedAt"], want["slug"]
        assert [author["slug"] for author in got["authors"]] == want["authors"]
        assert [tag["name"] for tag in got["tags"]] == want["tags"]
    assert report.counts["post"]["created"] == len(expected)


async def test_ghost_4_keeps_paid_posts_from_readers_and_leaves_pages_out(
    scratch_db: Database, client: GraphQLClient, admin: Editor
) -> None:
    report = await run(scratch_db, "ghost", "ghost/v4_export.json", site_url=SITE)
    assert [note.message for note in report.skipped] == ["a page (Quire has posts only)"] * 4
    assert [(note.source_id, note.message) for note in report.adjusted] == [
        ("605ac141a2d5a6aa9e101ec1", "for paid readers in Ghost: a draft here")
    ]
    readers = (await client.data(READERS_SEE))["posts"]["edges"]
    assert "sell" not in {edge["node"]["slug"] for edge in readers}
    assert len(readers) == 6
    posts = await every_post(admin)
    assert posts["sell"]["status"] == "DRAFT"
    # Ghost's own rendering, made Markdown: its cards' images and links survive.
    assert "![" in posts["integrations"]["body"] and "<" not in posts["integrations"]["body"]
    assert posts["integrations"]["featureImage"]["url"].startswith("https://static.ghost.org/")
    assert posts["integrations"]["summary"] == (
        "Work with all your favorite apps and tools or create your own custom integrations "
        "using the Ghost API."
    )


async def test_ghost_5_lexical_bodies_statuses_and_meta(
    scratch_db: Database, client: GraphQLClient, admin: Editor
) -> None:
    report = await run(scratch_db, "ghost", "ghost/v5_lexical.json", site_url=SITE)
    assert {(n.source_id, n.message) for n in report.adjusted} == {
        ("p5", "for members readers in Ghost: a draft here"),
        ("p7", "sent by email only in Ghost: a draft here"),
    }
    posts = await every_post(admin)
    kafka = posts["moving-to-kafka"]
    body = kafka["body"]
    assert "Moving a queue to **Kafka** took a quarter." in body
    assert "## What we measured" in body
    assert "- Lag at the [99th percentile](https://example.com/p99)" in body
    assert "```sql\nSELECT 1;\n```" in body
    assert f"![Lag over a week]({SITE}/content/images/2026/01/lag.png)" in body
    assert "Raw **HTML** card" in body and "alert" not in body and "<script" not in kafka["html"]
    assert "> Measure first." in body
    assert kafka["featureImage"] == {
        "url": f"{SITE}/content/images/2026/01/cover.png",
        "alt": "A cover",
    }
    assert (kafka["metaTitle"], kafka["metaDescription"]) == ("Kafka move", "A quarter of work.")
    assert kafka["summary"] == "How and why we moved." and kafka["featured"] is True
    assert [a["slug"] for a in kafka["authors"]] == ["ana", "bo"]
    assert kafka["authors"][0]["avatarUrl"] == f"{SITE}/content/images/ana.jpg"
    assert [t["slug"] for t in kafka["tags"]] == ["infrastructure", "data"]
    async with scratch_db.engine.connect() as connection:
        internal = await connection.scalar(
            select(Tag.visibility).where(Tag.slug == "hash-featured-home")
        )
    assert internal is TagVisibility.INTERNAL
    # Ghost's html wins over its editor document when both are there.
    assert "Ghost's *own* html wins." in posts["rendered"]["body"]
    assert "```python\nprint(1)\n```" in posts["rendered"]["body"]
    assert posts["next-quarter"]["status"] == "SCHEDULED"
    readers = {
        e["node"]["slug"]: e["node"] for e in (await client.data(READERS_SEE))["posts"]["edges"]
    }
    assert set(readers) == {"moving-to-kafka", "rendered"}
    assert [tag["slug"] for tag in readers["moving-to-kafka"]["tags"]] == ["infrastructure", "data"]
    found = await client.data('{ posts(search: "kafka") { edges { node { slug } } } }')
    assert [edge["node"]["slug"] for edge in found["posts"]["edges"]] == ["moving-to-kafka"]


async def test_relative_urls_are_left_out_without_the_old_sites_address(
    scratch_db: Database, admin: Editor
) -> None:
    report = await run(scratch_db, "ghost", "ghost/valid.json")
    assert not report.problems
    assert any("relative" in note.message for note in report.adjusted)
    author = (await every_post(admin))["themes"]["authors"][0]
    assert author["avatarUrl"] is None and author["website"] == "http://joebloggsbrother.com"


async def test_a_wordpress_export_becomes_its_posts_with_categories_before_tags(
    scratch_db: Database, admin: Editor
) -> None:
    path = FIXTURES / "wordpress" / "valid-wxr-1.1.xml"
    report = await run(scratch_db, "wordpress", "wordpress/valid-wxr-1.1.xml")
    assert not report.problems
    assert {(n.kind, n.message) for n in report.skipped} == {
        ("post", "a page (Quire has posts only)"),
        ("term", "taxonomy 'post_tax' is not imported"),
    }
    assert report.counts["author"]["created"] == 2
    posts = await every_post(admin)
    items = [
        item
        for item in ElementTree.parse(path).getroot().iter("item")
        if item.findtext("{http://wordpress.org/export/1.1/}post_type") == "post"
    ]
    assert len(posts) == len(items) == 1
    hello = posts["hello-world"]
    assert hello["title"] == "Hello world!" and hello["status"] == "PUBLISHED"
    assert hello["publishedAt"] == "2010-10-16T20:53:18+00:00"
    assert [a["name"] for a in hello["authors"]] == ["John Doe"]
    assert [t["name"] for t in hello["tags"]] == ["alpha", "Clippable"]
    assert hello["tags"][0]["description"] == "The alpha category"
    assert hello["body"].startswith("Welcome to WordPress.")


async def test_wordpress_statuses_slugs_images_and_gutenberg_blocks(
    scratch_db: Database, admin: Editor
) -> None:
    report = await run(scratch_db, "wordpress", "wordpress/blog-wxr-1.2.xml")
    assert not report.problems
    assert {(n.source_id, n.message) for n in report.skipped} == {
        ("36", "status 'trash' is not imported"),
        ("nav_menu:main", "taxonomy 'nav_menu' is not imported"),
    }
    posts = await every_post(admin)
    assert {slug: post["status"] for slug, post in posts.items()} == {
        "migracion-de-datos": "PUBLISHED",
        "plan": "SCHEDULED",
        "borrador": "DRAFT",
        "privado": "DRAFT",
        "con-clave": "DRAFT",
    }
    post = posts["migracion-de-datos"]
    assert post["language"] == "es-ES" and post["featured"] is True
    assert post["publishedAt"] == "2026-03-03T09:15:00+00:00"
    assert [t["name"] for t in post["tags"]] == ["Infraestructura", "Bases de datos", "PostgreSQL"]
    assert post["featureImage"] == {
        "url": "https://blog.example.com/wp-content/uploads/2026/03/grafico.png",
        "alt": "Gráfico de latencia",
    }
    assert post["summary"] == "Una noche, cero pérdidas."
    assert post["metaDescription"] == "Cómo migramos sin perder datos."
    body = post["body"]
    assert "Movimos **todo** en una noche." in body and "## Lo que aprendimos" in body
    assert "Primera línea  \nsegunda línea" in body and "wp:" not in body
    assert posts["plan"]["publishedAt"] == "2031-02-01T09:00:00+00:00"


async def test_importing_the_same_file_again_changes_nothing_and_tells_nobody(
    scratch_db: Database, admin: Editor, tmp_path: Path
) -> None:
    await run(scratch_db, "ghost", "ghost/v5_lexical.json", site_url=SITE)
    before = await every_post(admin)
    events = await count_rows(scratch_db, ContentEvent)
    again = await run(scratch_db, "ghost", "ghost/v5_lexical.json", site_url=SITE)
    assert {kind: dict(counts) for kind, counts in again.counts.items()} == {
        "site": {"kept": 1},  # set by the first import: Quire's own from then on
        "author": {"unchanged": 2},
        "tag": {"unchanged": 3},
        "post": {"unchanged": 6},
    }
    assert await every_post(admin) == before
    assert await count_rows(scratch_db, ContentEvent) == events
    # An edited file updates what changed, once, and says so in its event.
    export = json.loads((FIXTURES / "ghost" / "v5_lexical.json").read_text())
    export["db"][0]["data"]["posts"][1]["title"] = "Rendered by Ghost, retitled"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(export))
    report = await import_into(scratch_db.engine, "ghost", edited, site_url=SITE)
    assert report.counts["post"] == {"updated": 1, "unchanged": 5}
    assert (await every_post(admin))["rendered"]["title"] == "Rendered by Ghost, retitled"
    async with scratch_db.engine.connect() as connection:
        last = (
            await connection.execute(
                select(ContentEvent.type, ContentEvent.data).order_by(ContentEvent.id.desc())
            )
        ).first()
    assert last is not None and last.type == "post.updated"
    assert last.data["changedFields"] == ["title"]


async def test_an_import_tells_what_an_editor_publishing_would(scratch_db: Database) -> None:
    await run(scratch_db, "ghost", "ghost/v5_lexical.json", site_url=SITE)
    async with scratch_db.engine.connect() as connection:
        told = (
            await connection.execute(
                select(ContentEvent.type, Post.slug)
                .join(Post, Post.id == ContentEvent.object_id)
                .where(ContentEvent.object_type == "post")
                .order_by(ContentEvent.id)
            )
        ).all()
    assert [(type, slug) for type, slug in told if slug == "next-quarter"] == [
        ("post.created", "next-quarter"),
        ("post.scheduled", "next-quarter"),
    ]
    assert ("post.published", "moving-to-kafka") in told
    assert ("post.published", "half-written") not in told


async def test_a_bad_item_stops_the_whole_import_unless_told_to_skip_it(
    scratch_db: Database, admin: Editor
) -> None:
    report = await run(scratch_db, "ghost", "ghost/invalid_items.json")
    assert report.failed
    assert {(n.source_id, n.message) for n in report.problems} == {
        ("p1", "`title` is limited to 300 characters."),
        ("p2", "'yesterday-ish' is not a date"),
    }
    for model in (Post, Author, Tag, ContentEvent):
        assert await count_rows(scratch_db, model) == 0
    skipped = await run(scratch_db, "ghost", "ghost/invalid_items.json", skip_invalid=True)
    assert skipped.counts["post"] == {"created": 4, "invalid": 2}
    assert sorted(await every_post(admin)) == [
        "half-written",
        "members-notes",
        "newsletter-1",
        "next-quarter",
    ]


async def test_a_dry_run_reports_and_writes_nothing(scratch_db: Database) -> None:
    report = await run(scratch_db, "wordpress", "wordpress/blog-wxr-1.2.xml", dry_run=True)
    assert report.counts["post"]["created"] == 5
    for model in (Post, Author, Tag, ContentEvent):
        assert await count_rows(scratch_db, model) == 0


@pytest.mark.parametrize(
    ("source", "name", "message"),
    [
        ("ghost", "ghost/not_json.json", "not a Ghost export: the file is not JSON"),
        ("ghost", "ghost/not_ghost.json", "not a Ghost export"),
        ("ghost", "wordpress/valid-wxr-1.1.xml", "not a Ghost export: the file is not JSON"),
        ("wordpress", "wordpress/not-wordpress.xml", "not a WordPress export: it is not RSS"),
        ("wordpress", "wordpress/truncated.xml", "not a WordPress export: the XML is refused"),
        ("wordpress", "wordpress/entity-expansion.xml", "the XML is refused"),
        ("wordpress", "wordpress/external-entity.xml", "the XML is refused"),
        ("wordpress", "ghost/v4_export.json", "not a WordPress export"),
    ],
)
async def test_a_file_that_is_not_the_export_it_claims_is_refused_unwritten(
    scratch_db: Database, source: str, name: str, message: str
) -> None:
    with pytest.raises(UnreadableExport, match=message):
        await run(scratch_db, source, name)
    for model in (Post, Author, Tag, ContentEvent):
        assert await count_rows(scratch_db, model) == 0


async def test_existing_authors_and_tags_are_reused_and_taken_post_slugs_numbered(
    scratch_db: Database, admin: Editor
) -> None:
    await run(scratch_db, "ghost", "ghost/v5_lexical.json", site_url=SITE)
    async with scratch_db.engine.begin() as connection:
        await connection.execute(update(Post).values(slug=Post.slug + "-old"))
        await connection.execute(
            update(Post).where(Post.slug == "rendered-old").values(slug="rendered")
        )
        await connection.exec_driver_sql("DELETE FROM import_sources")
    report = await run(scratch_db, "ghost", "ghost/v5_lexical.json", site_url=SITE)
    assert report.counts["author"] == {"unchanged": 2} and report.counts["tag"] == {"unchanged": 3}
    assert ("p2", "slug 'rendered' is taken; it is 'rendered-2'") in {
        (n.source_id, n.message) for n in report.adjusted
    }
    assert await count_rows(scratch_db, Author) == 2
    async with scratch_db.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).where(Post.slug == "rendered-2")) == 1


async def test_two_wordpress_sites_with_the_same_post_ids_are_two_blogs(
    scratch_db: Database, admin: Editor, tmp_path: Path
) -> None:
    await run(scratch_db, "wordpress", "wordpress/valid-wxr-1.1.xml")
    other = tmp_path / "other.xml"
    text = (FIXTURES / "wordpress" / "valid-wxr-1.1.xml").read_text()
    other.write_text(text.replace("http://localhost/", "http://other.example.com/"))
    report = await import_into(scratch_db.engine, "wordpress", other)
    assert report.counts["post"] == {"created": 1}
    assert sorted(await every_post(admin)) == ["hello-world", "hello-world-2"]


SITE_QUERY = """{ site { title description url accentColor languages
  navigation { label url } secondaryNavigation { label url } socialLinks { network url } } }"""


async def test_the_old_sites_settings_come_along_until_quire_has_its_own(
    scratch_db: Database, client: GraphQLClient
) -> None:
    report = await run(scratch_db, "ghost", "ghost/v4_export.json", site_url=SITE)
    assert report.counts["site"] == {"updated": 1}
    site = (await client.data(SITE_QUERY))["site"]
    assert site["title"] == "Testing Export Fixtures"
    assert site["description"] == "Thoughts, stories and ideas."
    assert (site["url"], site["accentColor"], site["languages"]) == (SITE, "#FF1A75", ["en"])
    assert [item["url"] for item in site["navigation"]] == [
        "/",
        "/about/",
        "/tag/getting-started/",
        "/author/ghost/",
        "/portal/",
    ]
    assert site["secondaryNavigation"][2] == {"label": "Contribute →", "url": "/contribute/"}
    assert site["socialLinks"] == [
        {"network": "facebook", "url": "https://www.facebook.com/ghost"},
        {"network": "x", "url": "https://x.com/ghost"},
    ]
    # Once the site is Quire's own (here: set by the first import), later imports leave it.
    again = await run(scratch_db, "wordpress", "wordpress/blog-wxr-1.2.xml")
    assert again.counts["site"] == {"kept": 1}
    assert (await client.data(SITE_QUERY))["site"]["title"] == "Testing Export Fixtures"


async def test_an_aggregator_imports_each_blog_as_a_publication(
    scratch_db: Database, client: GraphQLClient
) -> None:
    ghost = await run(
        scratch_db, "ghost", "ghost/v4_export.json", site_url=SITE, publication="ghost-fixtures"
    )
    wordpress = await run(
        scratch_db, "wordpress", "wordpress/blog-wxr-1.2.xml", publication="example-eng"
    )
    assert ghost.counts["publication"] == {"created": 1} and "site" not in ghost.counts
    assert wordpress.counts["publication"] == {"created": 1}
    index = await client.data(
        """{ site { title version }
             publications { slug name url }
             posts(first: 50) { totalCount
               facets { publications { publication { slug } count } } } }"""
    )
    assert index["site"] == {"title": "Quire", "version": 1}
    assert index["publications"] == [
        {
            "slug": "example-eng",
            "name": "Engineering at Example",
            "url": "https://blog.example.com",
        },
        {"slug": "ghost-fixtures", "name": "Testing Export Fixtures", "url": SITE},
    ]
    assert index["posts"]["facets"]["publications"] == [
        {"publication": {"slug": "ghost-fixtures"}, "count": 6},
        {"publication": {"slug": "example-eng"}, "count": 1},
    ]
    again = await run(
        scratch_db, "ghost", "ghost/v4_export.json", site_url=SITE, publication="ghost-fixtures"
    )
    assert again.counts["post"] == {"unchanged": 7}


async def test_bodies_prepared_by_worker_processes_are_what_this_process_makes(
    scratch_db: Database, admin: Editor, empty_twin: Database
) -> None:
    """A big file's bodies are prepared by a pool of processes: the same posts, in order."""
    await run(scratch_db, "wordpress", "wordpress/blog-wxr-1.2.xml", workers=0)
    await import_into(
        empty_twin.engine, "wordpress", FIXTURES / "wordpress" / "blog-wxr-1.2.xml", workers=2
    )
    here = await every_post(admin)
    async for other in serve(empty_twin):
        twin_admin = await make_editor(other, empty_twin, EditorRole.ADMIN, "admin")
        assert await every_post(twin_admin) == here


@pytest.fixture
async def empty_twin(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    from tests.conftest import create_database

    database, cleanup = await create_database(backend, tmp_path)
    yield database
    await cleanup()
