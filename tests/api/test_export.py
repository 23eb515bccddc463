"""`quire export` and its way back: the demo blog exported, restored into an empty database,
answers the README's example queries byte for byte as before; the Ghost format goes through
Quire's own Ghost importer with every post, byline and tag in place."""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from app.export import write_ghost, write_quire
from app.imports import UnreadableExport
from app.imports.quire import restore
from app.imports.runner import import_into
from tests.api.conftest import GraphQLClient, serve
from tests.api.test_readme_examples import EXAMPLES, example_variables
from tests.conftest import Database, create_database

SETTLED = datetime(2026, 12, 6, 12, tzinfo=UTC)
"""Both apps' clock, so that answers depending on the moment are the same."""


async def readme_answers(client: GraphQLClient) -> list[bytes]:
    answers = []
    for document in EXAMPLES:
        variables = await example_variables(client, document)
        response = await client.http.post(
            "/graphql", json={"query": document, "variables": variables}
        )
        assert response.status_code == 200 and "errors" not in response.json()
        answers.append(response.content)
    return answers


@pytest.fixture
async def empty(backend: str, tmp_path: Path) -> AsyncIterator[Database]:
    database, cleanup = await create_database(backend, tmp_path)
    yield database
    await cleanup()


async def test_an_export_restored_answers_the_readme_examples_byte_for_byte(
    demo_db: Database, empty: Database, tmp_path: Path
) -> None:
    path = tmp_path / "export.json"
    with path.open("wb") as out:
        count = await write_quire(demo_db.engine, out, revisions=True)
    document = json.loads(path.read_text())
    assert document["quire_export"]["version"] == 1
    assert len(document["posts"]) == count and count > 100
    report = await restore(empty.engine, path)
    assert not report.problems, report.problems
    assert report.counts["post"]["restored"] == count
    async for before in serve(demo_db, clock=lambda: SETTLED):
        async for after in serve(empty, clock=lambda: SETTLED):
            assert await readme_answers(after) == await readme_answers(before)
            site = "{ site { title navigation { label url } } }"
            assert await after.data(site) == await before.data(site)
            found = '{ posts(search: "kafka", first: 5) { totalCount nodes { slug } } }'
            assert await after.data(found) == await before.data(found)
    # A second export of the restored database is the same file but for its date.
    again = tmp_path / "again.json"
    with again.open("wb") as out:
        await write_quire(empty.engine, out, revisions=True)
    first, second = json.loads(path.read_text()), json.loads(again.read_text())
    first.pop("quire_export"), second.pop("quire_export")
    assert first == second


async def test_a_restore_refuses_a_database_with_content_and_a_file_that_is_not_one(
    demo_db: Database, empty: Database, tmp_path: Path
) -> None:
    path = tmp_path / "export.json"
    with path.open("wb") as out:
        await write_quire(demo_db.engine, out)
    with pytest.raises(UnreadableExport, match="restore into an empty database"):
        await restore(demo_db.engine, path)
    not_one = tmp_path / "other.json"
    not_one.write_text('{"posts": []}')
    with pytest.raises(UnreadableExport, match="not a Quire export"):
        await restore(empty.engine, not_one)


async def test_a_bad_post_in_an_export_restores_nothing(
    demo_db: Database, empty: Database, tmp_path: Path
) -> None:
    path = tmp_path / "export.json"
    with path.open("wb") as out:
        await write_quire(demo_db.engine, out)
    document = orjson.loads(path.read_bytes())
    document["posts"][3]["status"] = "deleted"
    document["posts"][5]["title"] = "x" * 400
    path.write_bytes(orjson.dumps(document))
    report = await restore(empty.engine, path)
    ids = {note.source_id for note in report.problems}
    assert ids == {str(document["posts"][3]["id"]), str(document["posts"][5]["id"])}
    async for client in serve(empty):
        assert (await client.data("{ posts { totalCount } }"))["posts"]["totalCount"] == 0


async def test_the_ghost_format_carries_every_post_byline_and_tag(
    demo_db: Database, empty: Database, tmp_path: Path
) -> None:
    path = tmp_path / "ghost.json"
    with path.open("wb") as out:
        count = await write_ghost(demo_db.engine, out)
    report = await import_into(empty.engine, "ghost", path)
    assert not report.problems, report.problems
    assert report.counts["post"]["created"] == count
    query = """{ posts(first: 100, orderBy: {field: TITLE}) { totalCount
      nodes { slug title publishedAt authors { slug } tags { slug } } } }"""
    async for before in serve(demo_db, clock=lambda: SETTLED):
        async for after in serve(empty, clock=lambda: SETTLED):
            assert await after.data(query) == await before.data(query)


async def test_publications_survive_the_round_trip(
    scratch_db: Database, empty: Database, tmp_path: Path
) -> None:
    fixtures = Path(__file__).parents[1] / "fixtures" / "imports"
    await import_into(
        scratch_db.engine, "ghost", fixtures / "ghost" / "v4_export.json", publication="ghost"
    )
    path = tmp_path / "export.json"
    with path.open("wb") as out:
        await write_quire(scratch_db.engine, out)
    assert not (await restore(empty.engine, path)).problems
    query = """{ publications { id slug name }
      posts(first: 20) { nodes { id publication { id slug } }
        facets { publications { publication { slug } count } } } }"""
    async for before in serve(scratch_db, clock=lambda: SETTLED):
        async for after in serve(empty, clock=lambda: SETTLED):
            assert await after.data(query) == await before.data(query)
            assert (await after.data(query))["publications"][0]["slug"] == "ghost"
