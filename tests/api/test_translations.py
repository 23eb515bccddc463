"""Translation links over HTTP: linking, unlinking, one post per language, permissions and
versions."""

from typing import Any

import pytest
from sqlalchemy import select

from app.database import create_session_factory
from models import Post, PostRevision
from tests.api.conftest import GraphQLClient
from tests.api.editors import Editor, count_rows, make_team
from tests.conftest import Database

ERRORS = "errors { field code message currentVersion }"
CREATE = f"""
mutation($input: CreatePostInput!) {{
  createPost(input: $input) {{ post {{ id version }} {ERRORS} }}
}}"""
PUBLISH = f"""
mutation($id: ID!, $version: Int!) {{
  publishPost(id: $id, version: $version) {{ post {{ id version }} {ERRORS} }}
}}"""
LINK = f"""
mutation($id: ID!, $version: Int!, $of: ID!) {{
  linkTranslation(id: $id, version: $version, translationOf: $of) {{
    post {{ id version language }} {ERRORS}
  }}
}}"""
UNLINK = f"""
mutation($id: ID!, $version: Int!) {{
  unlinkTranslation(id: $id, version: $version) {{ post {{ id version }} {ERRORS} }}
}}"""
TRANSLATIONS = "query($id: ID!) { post(id: $id) { language translations { id language } } }"
MISSING_POST = "UG9zdDo5OTk="  # Post:999


@pytest.fixture
async def team(scratch_client: GraphQLClient, scratch_db: Database) -> dict[str, Editor]:
    return await make_team(scratch_client, scratch_db)


async def _draft(editor: Editor, language: str, title: str | None = None) -> dict[str, Any]:
    title = title or f"Post in {language}"
    result = await editor.run(CREATE, {"input": {"title": title, "language": language}})
    assert result["errors"] == []
    return dict(result["post"])


async def _translations(client: GraphQLClient, post_id: str) -> list[str]:
    data = await client.data(TRANSLATIONS, {"id": post_id})
    return [t["language"] for t in data["post"]["translations"]]


async def _groups(database: Database) -> dict[str, str | None]:
    async with create_session_factory(database.engine)() as session:
        rows = await session.execute(select(Post.language, Post.translation_group))
        return {language: group for language, group in rows.all()}


async def _versions(database: Database) -> dict[str, int]:
    async with create_session_factory(database.engine)() as session:
        rows = await session.execute(select(Post.language, Post.version))
        return {language: version for language, version in rows.all()}


async def test_linked_posts_list_each_other_once_published(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = team["editor"]
    en, es, fr = [await _draft(editor, lang) for lang in ("en", "es", "fr")]
    linked = await editor.run(LINK, {"id": es["id"], "version": 1, "of": en["id"]})
    assert linked["errors"] == []
    assert linked["post"]["version"] == 2
    # Joining a post that had a group: the three are one group.
    joined = await editor.run(LINK, {"id": fr["id"], "version": 1, "of": es["id"]})
    assert joined["errors"] == []
    # Linking writes only the post moved: the others keep their versions.
    assert await _versions(scratch_db) == {"en": 1, "es": 2, "fr": 2}
    assert await count_rows(scratch_db, PostRevision) == 5  # 3 creates + 2 links
    for post, version in ((en, 1), (es, 2), (fr, 2)):
        await editor.run(PUBLISH, {"id": post["id"], "version": version})
    assert await _translations(scratch_client, en["id"]) == ["es", "fr"]
    assert await _translations(scratch_client, es["id"]) == ["en", "fr"]
    assert await _translations(scratch_client, fr["id"]) == ["en", "es"]


async def test_a_translation_shows_only_once_it_is_published(
    team: dict[str, Editor], scratch_client: GraphQLClient
) -> None:
    editor = team["editor"]
    en, es = await _draft(editor, "en"), await _draft(editor, "es")
    await editor.run(LINK, {"id": es["id"], "version": 1, "of": en["id"]})
    await editor.run(PUBLISH, {"id": en["id"], "version": 1})
    assert await _translations(scratch_client, en["id"]) == []
    await editor.run(PUBLISH, {"id": es["id"], "version": 2})
    assert await _translations(scratch_client, en["id"]) == ["es"]


async def test_self_links_and_a_second_post_in_a_language_are_refused(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    en = await _draft(editor, "en")
    es = await _draft(editor, "es")
    other_en = await _draft(editor, "EN", "Another English post")
    refusals = [
        await editor.run(LINK, {"id": en["id"], "version": 1, "of": en["id"]}),
        await editor.run(LINK, {"id": other_en["id"], "version": 1, "of": en["id"]}),
    ]
    await editor.run(LINK, {"id": es["id"], "version": 1, "of": en["id"]})
    groups = await _groups(scratch_db)
    # The group now holds an English post, whichever member is named.
    refusals.append(await editor.run(LINK, {"id": other_en["id"], "version": 1, "of": es["id"]}))
    refusals.append(await editor.run(LINK, {"id": es["id"], "version": 2, "of": en["id"]}))
    for refused in refusals:
        assert refused["post"] is None
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [
            ("translationOf", "INVALID")
        ]
    assert await _groups(scratch_db) == groups
    assert groups["EN"] is None and groups["en"] == groups["es"] is not None
    assert await _versions(scratch_db) == {"en": 1, "es": 2, "EN": 1}


async def test_unlink_takes_the_post_out_of_its_group(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = team["editor"]
    en, es, fr = [await _draft(editor, lang) for lang in ("en", "es", "fr")]
    await editor.run(LINK, {"id": es["id"], "version": 1, "of": en["id"]})
    await editor.run(LINK, {"id": fr["id"], "version": 1, "of": en["id"]})
    unlinked = await editor.run(UNLINK, {"id": es["id"], "version": 2})
    assert unlinked["errors"] == [] and unlinked["post"]["version"] == 3
    for post, version in ((en, 1), (es, 3), (fr, 2)):
        await editor.run(PUBLISH, {"id": post["id"], "version": version})
    assert await _translations(scratch_client, en["id"]) == ["fr"]
    assert await _translations(scratch_client, es["id"]) == []
    again = await editor.run(UNLINK, {"id": es["id"], "version": 4})
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("id", "INVALID")]
    assert (await _versions(scratch_db))["es"] == 4


async def test_a_stale_version_conflicts_and_writes_nothing(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editor = team["editor"]
    en, es = await _draft(editor, "en"), await _draft(editor, "es")
    await editor.run(PUBLISH, {"id": es["id"], "version": 1})  # es is at version 2 now
    stale = await editor.run(LINK, {"id": es["id"], "version": 1, "of": en["id"]})
    assert [(e["field"], e["code"], e["currentVersion"]) for e in stale["errors"]] == [
        ("version", "CONFLICT", 2)
    ]
    # Not even the group the other post would have received is left behind.
    assert await _groups(scratch_db) == {"en": None, "es": None}
    assert await count_rows(scratch_db, PostRevision) == 3

    await editor.run(LINK, {"id": es["id"], "version": 2, "of": en["id"]})
    stale_unlink = await editor.run(UNLINK, {"id": es["id"], "version": 2})
    assert stale_unlink["errors"][0]["code"] == "CONFLICT"
    groups = await _groups(scratch_db)
    assert groups["es"] is not None and groups["es"] == groups["en"]


async def test_linking_needs_permission_on_the_moved_post_only(
    team: dict[str, Editor], scratch_db: Database
) -> None:
    editors_post = await _draft(team["editor"], "en")
    contributors_draft = await _draft(team["contributor"], "es")
    refused = await team["contributor"].run(
        LINK, {"id": editors_post["id"], "version": 1, "of": contributors_draft["id"]}
    )
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("id", "FORBIDDEN")]
    assert await _groups(scratch_db) == {"en": None, "es": None}
    missing = await team["contributor"].run(
        LINK, {"id": contributors_draft["id"], "version": 1, "of": MISSING_POST}
    )
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("translationOf", "NOT_FOUND")]
    allowed = await team["contributor"].run(
        LINK, {"id": contributors_draft["id"], "version": 1, "of": editors_post["id"]}
    )
    assert allowed["errors"] == []
    assert await _versions(scratch_db) == {"en": 1, "es": 2}
