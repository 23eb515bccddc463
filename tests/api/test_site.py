"""The site's settings over HTTP: read by anyone, changed by admins with a version, every field
checked, the change told as an event and purged from caches."""

from typing import Any

import pytest
from sqlalchemy import select

from models import ContentEvent, EditorRole
from tests.api.conftest import GraphQLClient
from tests.api.editors import Editor, make_team
from tests.conftest import Database

SITE = """{ site { title description url logoUrl iconUrl accentColor languages
  navigation { label url } secondaryNavigation { label url } socialLinks { network url }
  version } }"""
UPDATE = """
mutation($version: Int!, $input: UpdateSiteInput!) {
  updateSite(version: $version, input: $input) {
    site {
      title url accentColor languages navigation { label url } socialLinks { network url }
      version
    }
    errors { field code message currentVersion }
  }
}"""
HEADER = {
    "title": "Quire Engineering",
    "description": "How we build the content platform.",
    "url": "https://engineering.example.org",
    "accentColor": "#E60023",
    "languages": ["en", "es"],
    "navigation": [
        {"label": "en Español", "url": "/es/"},
        {"label": "Infrastructure", "url": "/tag/infrastructure/"},
        {"label": "Careers", "url": "https://careers.example.org/"},
    ],
    "socialLinks": [{"network": "mastodon", "url": "https://hachyderm.io/@quire"}],
}


@pytest.fixture
async def team(scratch_client: GraphQLClient, scratch_db: Database) -> dict[str, Editor]:
    return await make_team(scratch_client, scratch_db)


async def test_a_new_site_has_a_name_a_language_and_no_links(
    scratch_client: GraphQLClient,
) -> None:
    site = (await scratch_client.data(SITE))["site"]
    assert site["title"] == "Quire" and site["languages"] == ["en"]
    assert site["navigation"] == site["secondaryNavigation"] == site["socialLinks"] == []
    assert site["version"] == 1


async def test_an_admin_sets_the_header_readers_see_and_the_change_is_told(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    before = (await scratch_client.data(SITE))["site"]  # cached, if a cache is on
    assert before["title"] == "Quire"
    written = await team["admin"].run(UPDATE, {"version": 1, "input": HEADER})
    assert written["errors"] == []
    assert written["site"]["version"] == 2
    site = (await scratch_client.data(SITE))["site"]
    for name, value in HEADER.items():
        assert site[name] == value, name
    assert site["secondaryNavigation"] == [] and site["logoUrl"] is None
    async with scratch_db.engine.connect() as connection:
        event = (
            await connection.execute(
                select(ContentEvent.type, ContentEvent.data).order_by(ContentEvent.id.desc())
            )
        ).first()
    assert event is not None and event.type == "site.updated"
    assert event.data["changedFields"] == sorted(
        ["accentColor", "description", "languages", "navigation", "socialLinks", "title", "url"]
    )
    assert event.data["cacheKeys"] == ["site"]
    cleared = await team["admin"].run(UPDATE, {"version": 2, "input": {"description": None}})
    assert cleared["errors"] == [] and cleared["site"]["title"] == "Quire Engineering"


async def test_every_bad_setting_is_named_and_nothing_changes(
    team: dict[str, Editor], scratch_client: GraphQLClient
) -> None:
    bad: dict[str, Any] = {
        "title": " ",
        "accentColor": "red",
        "url": "ftp://example.org",
        "languages": ["en", "not a language"],
        "navigation": [
            {"label": "Home", "url": "/"},
            {"label": "", "url": "javascript:alert(1)"},
            {"label": "Elsewhere", "url": "//evil.example.com"},
        ],
        "socialLinks": [{"network": "x", "url": "/relative"}],
    }
    refused = await team["admin"].run(UPDATE, {"version": 1, "input": bad})
    assert refused["site"] is None
    assert sorted((e["field"], e["code"]) for e in refused["errors"]) == [
        ("accentColor", "INVALID"),
        ("languages", "INVALID"),
        ("navigation[1].label", "INVALID"),
        ("navigation[1].url", "INVALID"),
        ("navigation[2].url", "INVALID"),
        ("socialLinks[0].url", "INVALID"),
        ("title", "INVALID"),
        ("url", "INVALID"),
    ]
    empty = await team["admin"].run(UPDATE, {"version": 1, "input": {"languages": []}})
    assert [(e["field"], e["code"]) for e in empty["errors"]] == [("languages", "INVALID")]
    site = (await scratch_client.data(SITE))["site"]
    assert (site["title"], site["version"]) == ("Quire", 1)


@pytest.mark.parametrize("role", ["contributor", "author", "editor"])
async def test_only_admins_change_the_site(team: dict[str, Editor], role: str) -> None:
    refused = await team[role].run(UPDATE, {"version": 1, "input": {"title": "Mine"}})
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(None, "FORBIDDEN")]


async def test_two_admins_cannot_overwrite_each_other_unseen(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    from tests.api.editors import make_editor

    other = await make_editor(scratch_client, scratch_db, EditorRole.ADMIN, "other-admin")
    first = await team["admin"].run(UPDATE, {"version": 1, "input": {"title": "First"}})
    assert first["errors"] == []
    second = await other.run(UPDATE, {"version": 1, "input": {"title": "Second"}})
    assert [(e["field"], e["code"], e["currentVersion"]) for e in second["errors"]] == [
        ("version", "CONFLICT", 2)
    ]
    assert (await scratch_client.data(SITE))["site"]["title"] == "First"


async def test_the_demo_blog_has_a_header_that_passes_every_check(client: GraphQLClient) -> None:
    from app.demo import SITE_SETTINGS
    from resolvers.site import problems

    assert problems(SITE_SETTINGS) == []
    site = (await client.data(SITE))["site"]
    assert site["title"] == "Quire Engineering" and site["languages"] == ["en", "es"]
    assert site["navigation"][0] == {"label": "en Español", "url": "/es/"}
