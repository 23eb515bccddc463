"""Persisted queries: Apollo's APQ round trip over POST and GET, hash checks, sharing through
Redis, and the allowlist mode fed by `quire persisted-queries manifest`."""

import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.persisted_queries import build_manifest
from tests.api.conftest import GraphQLClient, serve
from tests.api.redis_server import REDIS_URL
from tests.conftest import Database

QUERY = "query Latest { posts(first: 2) { nodes { title } } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()


def persisted(sha256: str = HASH, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256}}


async def send(client: GraphQLClient, **payload: Any) -> tuple[int, dict[str, Any]]:
    response = await client.http.post("/graphql", json=payload)
    return response.status_code, response.json()


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def test_the_apq_round_trip_over_post_and_get(demo_db: Database) -> None:
    async for client in serve(demo_db):
        status, body = await send(client, extensions=persisted())
        assert status == 200
        assert body == {
            "errors": [
                {
                    "message": "PersistedQueryNotFound",
                    "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
                }
            ]
        }

        status, body = await send(client, query=QUERY, extensions=persisted())
        assert status == 200 and len(body["data"]["posts"]["nodes"]) == 2
        expected = body["data"]

        status, body = await send(client, extensions=persisted())
        assert (status, body["data"]) == (200, expected)

        response = await client.http.get(
            "/graphql", params={"extensions": orjson.dumps(persisted()).decode()}
        )
        assert response.status_code == 200
        assert response.json()["data"] == expected
        assert response.headers["etag"]


async def test_a_hash_that_is_not_the_querys_is_refused_and_not_registered(
    client: GraphQLClient,
) -> None:
    other = "0" * 64
    status, body = await send(client, query=QUERY, extensions=persisted(other))
    assert status == 400
    assert code(body) == "PERSISTED_QUERY_HASH_MISMATCH"
    status, body = await send(client, extensions=persisted(other))
    assert (status, code(body)) == (200, "PERSISTED_QUERY_NOT_FOUND")


@pytest.mark.parametrize(
    ("extensions", "expected"),
    [
        (persisted(version=2), "PERSISTED_QUERY_VERSION_NOT_SUPPORTED"),
        (persisted("not-a-hash"), "BAD_REQUEST"),
        ({"persistedQuery": "abc"}, "BAD_REQUEST"),
    ],
)
async def test_malformed_persisted_query_extensions_are_refused(
    client: GraphQLClient, extensions: dict[str, Any], expected: str
) -> None:
    status, body = await send(client, query=QUERY, extensions=extensions)
    assert (status, code(body)) == (400, expected)


async def test_a_persisted_mutation_still_cannot_run_over_get(client: GraphQLClient) -> None:
    mutation = "mutation Out { logout { ok } }"
    sha256 = hashlib.sha256(mutation.encode()).hexdigest()
    await send(client, query=mutation, extensions=persisted(sha256))
    response = await client.http.get(
        "/graphql", params={"extensions": orjson.dumps(persisted(sha256)).decode()}
    )
    assert response.status_code == 405


async def test_registrations_are_shared_through_redis(demo_db: Database, redis_prefix: str) -> None:
    shared = {"redis_url": REDIS_URL, "redis_prefix": redis_prefix}
    async for worker_a in serve(demo_db, **shared):
        async for worker_b in serve(demo_db, **shared):
            status, _ = await send(worker_a, query=QUERY, extensions=persisted())
            assert status == 200
            status, body = await send(worker_b, extensions=persisted())
            assert status == 200 and len(body["data"]["posts"]["nodes"]) == 2


async def test_with_persisted_queries_off_a_bare_hash_is_not_supported(
    demo_db: Database,
) -> None:
    async for client in serve(demo_db, persisted_queries="off"):
        status, body = await send(client, query=QUERY, extensions=persisted())
        assert status == 200 and body["data"]
        status, body = await send(client, extensions=persisted())
        assert (status, code(body)) == (200, "PERSISTED_QUERY_NOT_SUPPORTED")


async def test_the_allowlist_runs_listed_documents_and_refuses_the_rest(
    demo_db: Database, tmp_path: Path
) -> None:
    document = tmp_path / "latest.graphql"
    document.write_text(QUERY)
    result = CliRunner().invoke(cli, ["persisted-queries", "manifest", str(document)])
    assert result.exit_code == 0, result.output
    manifest = orjson.loads(result.stdout)
    assert manifest["format"] == "apollo-persisted-query-manifest"
    assert manifest["operations"] == [
        {"id": HASH, "name": "Latest", "type": "query", "body": QUERY}
    ]
    path = tmp_path / "manifest.json"
    path.write_text(result.stdout)

    async for client in serve(
        demo_db, persisted_queries="allowlist", persisted_queries_file=str(path)
    ):
        status, body = await send(client, extensions=persisted())
        assert status == 200 and len(body["data"]["posts"]["nodes"]) == 2
        status, body = await send(client, query=QUERY)
        assert status == 200 and body["data"]

        other = "{ posts(first: 1) { totalCount } }"
        other_hash = hashlib.sha256(other.encode()).hexdigest()
        for payload in (
            {"query": other},
            {"query": other, "extensions": persisted(other_hash)},
            {"extensions": persisted(other_hash)},  # registering above did not happen
            {"query": "{ __schema { types { name } } }"},
        ):
            status, body = await send(client, **payload)
            assert (status, code(body)) == (400, "PERSISTED_QUERY_NOT_ALLOWED"), payload
            assert "data" not in body


def test_a_manifest_needs_one_named_operation_per_document(tmp_path: Path) -> None:
    two = "query A { __typename } query B { __typename }"
    for text in (two, "{ __typename }"):
        with pytest.raises(ValueError, match=r"two\.graphql must hold exactly one named operation"):
            build_manifest([("two.graphql", text)])
    document = tmp_path / "two.graphql"
    document.write_text(two)
    result = CliRunner().invoke(cli, ["persisted-queries", "manifest", str(document)])
    assert result.exit_code != 0
    assert result.stdout == ""


def test_an_allowlist_without_a_valid_manifest_refuses_to_start(tmp_path: Path) -> None:
    from app.main import create_app
    from app.settings import Settings

    with pytest.raises(ValueError, match="QUIRE_PERSISTED_QUERIES_FILE"):
        Settings(persisted_queries="allowlist", _env_file=None)
    tampered = tmp_path / "manifest.json"
    operation = {"id": "0" * 64, "name": "Latest", "type": "query", "body": QUERY}
    tampered.write_bytes(
        orjson.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [operation]}
        )
    )
    settings = Settings(
        persisted_queries="allowlist",
        persisted_queries_file=tampered,
        _env_file=None,
    )
    with pytest.raises(ValueError, match="SHA-256"):
        create_app(settings)
