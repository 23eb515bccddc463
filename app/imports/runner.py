"""One import, from a file to a committed (or, for a dry run or a failed check, rolled back)
transaction."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.database import create_session_factory
from app.imports import ghost, wordpress
from app.imports.pipeline import prepared_by, workers_for
from resolvers.imports import Importer, ImportReport

READERS = {"ghost": ghost.import_file, "wordpress": wordpress.import_file}


async def import_into(
    engine: AsyncEngine,
    source: str,
    path: Path,
    *,
    site_url: str | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    publication: str | None = None,
    workers: int | None = None,
    progress: Callable[[int], Any] | None = None,
) -> ImportReport:
    """Import the `source` export at `path`. Everything is written in one transaction, which
    commits only when no item was invalid (or `skip_invalid`) and it is not a `dry_run`: an
    interrupted or refused import leaves nothing behind. Bodies are prepared by `workers`
    processes (by default, for a big file, one per core). Raises `UnreadableExport`."""
    async with create_session_factory(engine)() as session:
        transaction = await session.begin()
        try:
            size = path.stat().st_size  # noqa: ASYNC240 (one stat of a local file)
            count = workers_for(size) if workers is None else workers
            importer = Importer(
                session,
                origin=source,
                now=datetime.now(UTC),
                publication=publication,
                prepare=prepared_by(count),
            )
            await READERS[source](importer, path, site_url=site_url, progress=progress)
            report = importer.report
            if dry_run or (report.failed and not skip_invalid):
                await transaction.rollback()
            else:
                await transaction.commit()
            return report
        finally:
            if transaction.is_active:
                await transaction.rollback()
