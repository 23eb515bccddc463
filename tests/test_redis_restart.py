"""A Redis that comes back with its old data (restarted from its dump, as persistence or a
promoted replica would bring it back) must not make a worker serve an answer older than a
write acknowledged while it was down, even a worker that did not make the write: two `quire
serve` processes, a Redis server of the test's own, stopped and started again from its dump."""

import asyncio
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Database
from tests.server_process import editor_token, ready, server
from tests.webhook_receiver import free_port

CREATE = """mutation($title: String!) {
  createPost(input: { title: $title, body: "Text." }) { post { id version } errors { code } } }"""
PUBLISH = """mutation($id: ID!, $version: Int!) {
  publishPost(id: $id, version: $version) { post { version } errors { code } } }"""
UPDATE = """mutation($id: ID!, $version: Int!, $title: String!) {
  updatePost(id: $id, version: $version, input: { title: $title }) {
    post { version } errors { code } } }"""
READ = "query($id: ID!) { post(id: $id) { title } }"


class Redis:
    """A redis-server on a free port whose data lives in a folder of its own."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="quire-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        options = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        options += ["--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(["redis-server", *options], stdout=subprocess.DEVNULL)
        for _ in range(100):
            if self.cli("PING", check=False).stdout.strip() == "PONG":
                return
            subprocess.run(["sleep", "0.05"], check=True)
        raise AssertionError("redis-server did not start")

    def cli(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["redis-cli", "-p", str(self.port), *command],
            capture_output=True,
            text=True,
            check=check,
            timeout=10,
        )

    def stop(self) -> None:
        """Gone at once, saving nothing: what comes back is the last dump."""
        if self.process is not None and self.process.poll() is None:
            self.cli("SHUTDOWN", "NOSAVE", check=False)
            self.process.wait(timeout=10)


@contextmanager
def redis_server() -> Iterator[Redis]:
    found = Redis()
    found.start()
    try:
        yield found
    finally:
        found.stop()
        subprocess.run(["rm", "-rf", str(found.folder)], check=False)


async def _call(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_a_redis_restored_from_its_dump_serves_nothing_older_than_a_write(
    scratch_db: Database, tmp_path: Path
) -> None:
    token = await editor_token(scratch_db, "newsroom")
    auth = {"authorization": f"Bearer {token}"}
    with redis_server() as redis:
        # SQLite's listener polls the log: how soon a worker learns of another's write.
        shared = {
            "QUIRE_REDIS_URL": redis.url,
            "QUIRE_WORKERS": "2",
            "QUIRE_LIVE_POLL_SECONDS": "0.05",
        }
        with (
            server(scratch_db, tmp_path, "a", **shared) as a,
            server(scratch_db, tmp_path, "b", **shared) as b,
        ):
            await asyncio.gather(ready(a.base), ready(b.base))
            async with (
                httpx.AsyncClient(base_url=a.base, headers=auth) as writer,
                httpx.AsyncClient(base_url=b.base) as reader,
            ):
                created = (await _call(writer, CREATE, title="Old title"))["createPost"]
                post = created["post"]
                published = await _call(writer, PUBLISH, id=post["id"], version=post["version"])
                version = published["publishPost"]["post"]["version"]
                for _ in range(50):  # until the answer is kept in Redis
                    read = await _call(reader, READ, id=post["id"])
                    assert read["post"]["title"] == "Old title"
                    if redis.cli("--scan", "--pattern", "*rc:e:*").stdout.strip():
                        break
                    await asyncio.sleep(0.1)
                redis.cli("SAVE")  # the dump holds the old answer
                redis.stop()

                saved = await _call(writer, UPDATE, id=post["id"], version=version, title="New")
                assert saved["updatePost"]["errors"] == []  # acknowledged, Redis or not

                # Redis stays down a second: longer than b takes to hear of the write (NOTIFY,
                # or SQLite's poll every 0.05 s here, on a loaded CI machine). Within that
                # moment a worker may still answer from the old log it knows (README).
                await asyncio.sleep(1)
                redis.start()  # back from the dump, with the old answer in it
                for _ in range(20):  # reader b made no write; it reads Redis again at once
                    title = (await _call(reader, READ, id=post["id"]))["post"]["title"]
                    assert title == "New"
                    await asyncio.sleep(0.1)
