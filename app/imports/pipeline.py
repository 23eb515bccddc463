"""Getting imported posts' bodies ready (HTML made Markdown, rendered, excerpted): the import's
costliest part per post, done by worker processes for a big file, so it uses every core while
this process reads the file and writes the database.

Order is kept: chunks are handed out in turn and taken back in turn, at most a few ahead, so
memory stays bounded whatever the file's size.
"""

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from multiprocessing import get_context

from app.imports.bodies import prepare, prepare_many
from resolvers.imports import Prepared, SourcePost

CHUNK = 32
"""Posts a worker prepares at a time."""
AHEAD = 2
"""Chunks in flight per worker."""
MAX_WORKERS = 8
POOL_FROM_BYTES = 8 * 2**20
"""Files smaller than this are prepared in this process: a pool costs a second to start."""


def workers_for(size: int) -> int:
    """How many worker processes an import of a file of `size` bytes uses (0: none)."""
    if size < POOL_FROM_BYTES:
        return 0
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def prepared_here(items: Iterator[SourcePost]) -> Iterator[SourcePost]:
    for item in items:
        item.prepared = item.prepared or prepare(item.html, item.body)
        yield item


def prepared_by(workers: int) -> "Stage":
    return Stage(workers) if workers > 0 else prepared_here  # type: ignore[return-value]


class Stage:
    """The importer's `prepare` stage, on a pool of `workers` processes (spawned: they share
    nothing with this process's connections and event loop)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def __call__(self, items: Iterator[SourcePost]) -> Iterator[SourcePost]:
        context = get_context("spawn")
        with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            pending: deque[tuple[list[SourcePost], Future[list[Prepared]]]] = deque()
            while chunk := list(islice(items, CHUNK)):
                bodies = [(item.html, item.body) for item in chunk]
                pending.append((chunk, pool.submit(prepare_many, bodies)))
                while len(pending) > self.workers * AHEAD:
                    yield from _taken(*pending.popleft())
            while pending:
                yield from _taken(*pending.popleft())


def _taken(chunk: list[SourcePost], done: "Future[list[Prepared]]") -> Iterator[SourcePost]:
    for item, prepared in zip(chunk, done.result(), strict=True):
        item.prepared = prepared
        yield item
