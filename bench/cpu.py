"""CPU time per request of canonical operations, in-process (the ASGI app called directly: no
HTTP server, no load driver, no profiler), for comparing two commits on one machine:

    uv run python -m bench.cpu home,page2,tag,author,post --posts 100000 --backend postgresql

Run it in each commit's checkout, alternating, a few times: on a shared 2-core machine one run
varies by 10-20%, so compare medians. Uses the benchmark's datasets (`python -m bench.run`).
"""

import argparse
import asyncio
import os
import time

import httpx
import orjson
from asgi_lifespan import LifespanManager

from bench.dataset import prepare
from bench.operations import OPERATIONS
from bench.profile import _post, _variables


async def _measure(url: str, names: list[str], requests: int, warmup: int) -> None:
    os.environ.update(
        QUIRE_DATABASE_URL=url,
        QUIRE_RATE_LIMIT_ENABLED="false",
        QUIRE_LOG_LEVEL="warning",
        QUIRE_RESPONSE_CACHE="false",
        QUIRE_BACKGROUND_JOBS="false",
    )
    from app.main import create_app
    from app.settings import Settings

    app = create_app(Settings(_env_file=None))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

            async def data(query: str) -> object:
                return (await http.post("/graphql", json={"query": query})).json()["data"]

            figures = []
            for name in names:
                operation = next(op for op in OPERATIONS if op.name == name)
                variables = await _variables(operation, data)
                body = orjson.dumps({"query": operation.query, "variables": variables})
                for _ in range(warmup):
                    status, payload = await _post(manager.app, body)
                    assert status == 200 and b'"errors"' not in payload, payload
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(requests):
                    await _post(manager.app, body)
                cpu = (time.process_time() - cpu) / requests * 1000
                wall = (time.perf_counter() - wall) / requests * 1000
                figures.append(f"{name}: cpu {cpu:.3f} ms, wall {wall:.3f} ms")
            print(" | ".join(figures))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu")
    parser.add_argument(
        "operations", help="comma-separated: " + ",".join(o.name for o in OPERATIONS)
    )
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    dataset = prepare(args.backend, args.posts, postgres_url=args.postgres_url)
    asyncio.run(_measure(dataset.url, args.operations.split(","), args.requests, args.warmup))


if __name__ == "__main__":
    main()
