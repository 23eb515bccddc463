"""Profile one canonical operation in-process, with no HTTP server or load driver in between.

    uv run --with pyinstrument python -m bench.profile home --posts 100000 --backend postgresql

Sends the operation's request through the ASGI app `--requests` times (after a warm-up) and
prints pyinstrument's call tree of where the CPU went, plus the mean time per request. Uses the
benchmark's datasets (run `python -m bench.run` once to load them).
"""

import argparse
import asyncio
import os
import time
from typing import Any

import httpx
import orjson
from asgi_lifespan import LifespanManager

from bench.dataset import prepare
from bench.operations import OPERATIONS, Operation


async def _variables(operation: Operation, data: Any) -> dict[str, Any]:
    """Variables like the benchmark's: the busiest tag and author, the next page, a post."""
    if operation.name in ("tag", "author"):
        plural = f"{operation.name}s"
        found = await data(
            f"{{ {plural}(first: 1, orderBy: {{field: POST_COUNT}}) {{ nodes {{ slug }} }} }}"
        )
        return {operation.name: found[plural]["nodes"][0]["slug"]}
    if operation.name in ("page2", "deep"):
        found = await data("{ posts(first: 20) { pageInfo { endCursor } } }")
        return {"after": found["posts"]["pageInfo"]["endCursor"]}
    if operation.name == "post":
        found = await data('{ posts(first: 1, filter: {languages: ["es"]}) { nodes { slug } } }')
        return {"slug": found["posts"]["nodes"][0]["slug"]}
    if operation.name == "text":
        return {"text": "kafka"}
    if operation.name == "search":
        return {"search": "kafka streams"}
    if operation.name == "search_common":
        return {"search": "index "}
    if operation.name == "facets2":
        found = await data("{ tags(first: 1, orderBy: {field: POST_COUNT}) { nodes { slug } } }")
        return {"tag": found["tags"]["nodes"][0]["slug"]}
    if operation.name == "sync":  # an app that has synced the tags and is up to date
        page: dict[str, Any] = {"cursor": None, "hasMore": True}
        while page["hasMore"]:
            after = f'after: "{page["cursor"]}", ' if page["cursor"] else ""
            found = await data(f"{{ sync({after}first: 100, types: [TAG]) {{ cursor hasMore }} }}")
            page = found["sync"]
        return {"after": page["cursor"]}
    return {}


async def _post(app: Any, body: bytes) -> tuple[int, bytes]:
    """One POST straight through the ASGI app, so the profile shows the server's work only
    (an HTTP client in the same process would take a third of the samples)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
        "state": {},
    }
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def _profile(args: argparse.Namespace, url: str) -> None:
    from pyinstrument import Profiler  # type: ignore[import-not-found]  # `uv run --with`

    os.environ.update(
        QUIRE_DATABASE_URL=url,
        QUIRE_RATE_LIMIT_ENABLED="false",
        QUIRE_LOG_LEVEL="warning",
        QUIRE_RESPONSE_CACHE="true" if args.response_cache else "false",
    )
    from app.main import create_app
    from app.settings import Settings

    app = create_app(Settings(_env_file=None))
    operation = next(op for op in OPERATIONS if op.name == args.operation)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

            async def send(body: dict[str, Any]) -> None:
                status, payload = await _post(manager.app, orjson.dumps(body))
                assert status == 200 and b'"errors"' not in payload, payload

            async def data(query: str) -> Any:
                return (await http.post("/graphql", json={"query": query})).json()["data"]

            body = {"query": operation.query, "variables": await _variables(operation, data)}
            for _ in range(args.warmup):
                await send(body)
            profiler = Profiler(interval=0.0005, async_mode="disabled")
            started = time.perf_counter()
            with profiler:
                for _ in range(args.requests):
                    await send(body)
            elapsed = time.perf_counter() - started
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"{operation.name}: {elapsed / args.requests * 1000:.2f} ms per request (profiled)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("operation", choices=[op.name for op in OPERATIONS])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument(
        "--response-cache", action="store_true", help="profile with the response cache on"
    )
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    dataset = prepare(args.backend, args.posts, postgres_url=args.postgres_url)
    asyncio.run(_profile(args, dataset.url))


if __name__ == "__main__":
    main()
