"""Publications over HTTP: a post's publisher shown beside it, filtered and faceted on, kept in
step when a publication changes; a single blog sees none of it."""

from typing import Any

import pytest
from sqlalchemy import select

from models import ContentEvent
from tests.api.conftest import GraphQLClient
from tests.api.editors import Editor, make_team
from tests.api.mutations import CREATE_POST, PUBLISH_POST
from tests.conftest import Database

ERRORS = "errors { field code message }"
CREATE = f"""mutation($input: CreatePublicationInput!) {{
  createPublication(input: $input) {{ publication {{ id slug version }} {ERRORS} }}
}}"""
UPDATE = f"""mutation($id: ID!, $version: Int!, $input: UpdatePublicationInput!) {{
  updatePublication(id: $id, version: $version, input: $input) {{
    publication {{ name version }} {ERRORS}
  }}
}}"""
DELETE = f"""mutation($id: ID!, $version: Int!) {{
  deletePublication(id: $id, version: $version) {{ deletedId {ERRORS} }}
}}"""
INDEX = """query($filter: PostFilter, $disjunctive: Boolean! = false) {
  posts(first: 20, filter: $filter) {
    totalCount
    nodes { title publication { name slug url logoUrl } }
    facets(disjunctive: $disjunctive) { publications { publication { slug } count } }
  }
}"""


@pytest.fixture
async def team(scratch_client: GraphQLClient, scratch_db: Database) -> dict[str, Editor]:
    return await make_team(scratch_client, scratch_db)


async def _post(editor: Editor, title: str, publication_id: str | None) -> str:
    created = await editor.run(
        CREATE_POST, {"input": {"title": title, "publicationId": publication_id}}
    )
    assert created["errors"] == [], created
    post = created["post"]
    published = await editor.run(PUBLISH_POST, {"id": post["id"], "version": post["version"]})
    assert published["errors"] == []
    return str(post["id"])


async def _publication(editor: Editor, **fields: Any) -> dict[str, Any]:
    created = await editor.run(CREATE, {"input": fields})
    assert created["errors"] == [], created
    publication: dict[str, Any] = created["publication"]
    return publication


async def test_a_single_blog_sees_no_publication(client: GraphQLClient) -> None:
    data = await client.data(INDEX)
    assert all(node["publication"] is None for node in data["posts"]["nodes"])
    assert data["posts"]["facets"]["publications"] == []
    assert (await client.data("{ publications { slug } }")) == {"publications": []}


async def test_an_index_shows_filters_and_counts_each_posts_publisher(
    team: dict[str, Editor], scratch_client: GraphQLClient
) -> None:
    editor = team["editor"]
    eng = await _publication(
        editor,
        name="Pinboard Engineering",
        url="https://eng.example.com",
        logoUrl="https://eng.example.com/logo.png",
    )
    data = await _publication(editor, name="Data Notes")
    for title in ("Sharding", "Caching", "Queues"):
        await _post(editor, title, eng["id"])
    await _post(editor, "Warehouses", data["id"])
    await _post(editor, "Our own post", None)

    everything = (await scratch_client.data(INDEX))["posts"]
    by_title = {node["title"]: node["publication"] for node in everything["nodes"]}
    assert by_title["Sharding"] == {
        "name": "Pinboard Engineering",
        "slug": "pinboard-engineering",
        "url": "https://eng.example.com",
        "logoUrl": "https://eng.example.com/logo.png",
    }
    assert by_title["Our own post"] is None
    assert everything["facets"]["publications"] == [
        {"publication": {"slug": "pinboard-engineering"}, "count": 3},
        {"publication": {"slug": "data-notes"}, "count": 1},
    ]
    chosen = {"publications": ["data-notes"]}
    narrowed = (await scratch_client.data(INDEX, {"filter": chosen}))["posts"]
    assert [node["title"] for node in narrowed["nodes"]] == ["Warehouses"]
    menu = (await scratch_client.data(INDEX, {"filter": chosen, "disjunctive": True}))["posts"]
    assert [f["count"] for f in menu["facets"]["publications"]] == [3, 1]
    unknown = await scratch_client.error(INDEX, {"filter": {"publications": ["nope"]}})
    assert unknown["extensions"]["code"] == "BAD_USER_INPUT" and "nope" in unknown["message"]
    listed = await scratch_client.data(
        '{ publications { name } publication(slug: "data-notes") { name } }'
    )
    assert listed == {
        "publications": [{"name": "Data Notes"}, {"name": "Pinboard Engineering"}],
        "publication": {"name": "Data Notes"},
    }


async def test_renaming_or_deleting_a_publication_tells_its_posts(
    team: dict[str, Editor], scratch_client: GraphQLClient, scratch_db: Database
) -> None:
    editor = team["editor"]
    eng = await _publication(editor, name="Eng")
    await _post(editor, "Sharding", eng["id"])
    before = (await scratch_client.data(INDEX))["posts"]["nodes"]  # cached, if a cache is on
    assert before[0]["publication"]["name"] == "Eng"
    renamed = await editor.run(
        UPDATE, {"id": eng["id"], "version": 1, "input": {"name": "Eng Blog"}}
    )
    assert renamed["errors"] == [] and renamed["publication"]["version"] == 2
    after = (await scratch_client.data(INDEX))["posts"]["nodes"]
    assert after[0]["publication"]["name"] == "Eng Blog"
    async with scratch_db.engine.connect() as connection:
        told = (
            await connection.execute(
                select(ContentEvent.type, ContentEvent.data)
                .order_by(ContentEvent.id.desc())
                .limit(2)
            )
        ).all()
    assert {(row.type, tuple(row.data["changedFields"])) for row in told} == {
        ("publication.updated", ("name",)),
        ("post.updated", ("publication",)),
    }
    stale = await editor.run(DELETE, {"id": eng["id"], "version": 1})
    assert [(e["field"], e["code"]) for e in stale["errors"]] == [("version", "CONFLICT")]
    deleted = await editor.run(DELETE, {"id": eng["id"], "version": 2})
    assert deleted["errors"] == []
    gone = (await scratch_client.data(INDEX))["posts"]
    assert gone["totalCount"] == 1 and gone["nodes"][0]["publication"] is None


async def test_publications_are_checked_and_kept_to_editors(team: dict[str, Editor]) -> None:
    bad = await team["editor"].run(CREATE, {"input": {"name": " ", "url": "javascript:x"}})
    assert sorted((e["field"], e["code"]) for e in bad["errors"]) == [
        ("name", "INVALID"),
        ("url", "INVALID"),
    ]
    refused = await team["author"].run(CREATE, {"input": {"name": "Mine"}})
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [(None, "FORBIDDEN")]
    missing = await team["editor"].run(
        CREATE_POST,
        {"input": {"title": "Lost", "publicationId": "UHVibGljYXRpb246OTk5"}},  # Publication:999
    )
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("publicationId", "NOT_FOUND")]
