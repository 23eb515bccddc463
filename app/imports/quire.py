"""`quire import quire`: a `quire export` file restored into an empty database, ids, versions,
dates and revisions as they were, so every answer of the API is the same as before the export.

Restoring is not merging: a database that holds posts, authors or tags is refused. The file is
read as hostile all the same: it is streamed, and each post, author and tag is checked field by
field as an editor's write would be; an invalid one is reported by id and nothing is written.
No events are recorded (nothing changed for anyone who read the exported instance); the search
index is rebuilt from the restored posts.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import ijson
from sqlalchemy import Enum, Table, insert, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.database import reset_sequences
from app.demo import has_content
from app.export import FORMAT_VERSION
from app.imports import UnreadableExport, json_items
from app.imports.values import BadValue, moment
from models import (
    SITE_ID,
    Author,
    Post,
    PostAuthor,
    PostLevel,
    PostPublication,
    PostRevision,
    PostSlug,
    PostStatus,
    PostTag,
    Publication,
    Site,
    Tag,
)
from models.base import UTCDateTime
from resolvers import post_counts, post_editing, search, validation
from resolvers.fields import AUTHOR, POST, PUBLICATION, TAG
from resolvers.imports import ImportReport
from resolvers.site import problems as site_problems

BATCH = 500
LINKS = ("authors", "tags", "publication", "old_slugs", "revisions")


async def restore(engine: AsyncEngine, path: Path, *, progress: Any = None) -> ImportReport:
    """Restore the export at `path`; raises `UnreadableExport` for a file that is not one, or
    for a database that is not empty. The report's problems, if any, mean nothing was
    written."""
    with path.open("rb") as stream:
        header = _header(stream)
    if header.get("version") != FORMAT_VERSION:
        raise UnreadableExport(f"Quire export version {header.get('version')!r} is not known here")
    if await has_content(engine):
        raise UnreadableExport("the database has content: restore into an empty database")
    report = ImportReport()
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            await _restore(connection, path, report, progress)
            if report.failed:
                await transaction.rollback()
                return report
            await reset_sequences(
                connection, ("posts", "authors", "tags", "publications", "post_revisions")
            )
            await connection.run_sync(search.rebuild_on)
            await connection.run_sync(post_counts.rebuild_on, datetime.now(UTC))
            await transaction.commit()
        except SQLAlchemyError as error:
            kind = type(getattr(error, "orig", None) or error).__name__
            raise UnreadableExport(
                f"the export does not fit this database ({kind}: a value missing, too long or "
                "given twice)"
            ) from None
        finally:
            if transaction.is_active:
                await transaction.rollback()
    return report


async def _restore(
    connection: AsyncConnection, path: Path, report: ImportReport, progress: Any
) -> None:
    with path.open("rb") as stream:
        site = next(json_items(stream, "site", None), None)
    if site:
        await _site(connection, site, report)
    for name, model, fields in (
        ("authors", Author, AUTHOR),
        ("tags", Tag, TAG),
        ("publications", Publication, PUBLICATION),
    ):
        with path.open("rb") as stream:
            items = json_items(stream, f"{name}.item", None)
            await _write(connection, report, name[:-1], model, fields, items)
    with path.open("rb") as stream:
        await _write(
            connection, report, "post", Post, POST, json_items(stream, "posts.item", progress)
        )


def _header(stream: IO[bytes]) -> dict[str, Any]:
    try:
        for header in ijson.items(stream, "quire_export"):
            if isinstance(header, dict):
                return header
    except ijson.JSONError as error:
        raise UnreadableExport(f"not a Quire export: the file is not JSON ({error})") from None
    raise UnreadableExport("not a Quire export: it has no `quire_export` header")


async def _site(connection: AsyncConnection, values: dict[str, Any], report: ImportReport) -> None:
    columns = {c.name for c in Site.__table__.columns} - {"id"}
    row = {key: value for key, value in values.items() if key in columns}
    found = site_problems({k: v for k, v in row.items() if k not in ("version", "updated_at")})
    try:
        row["updated_at"] = moment(row.get("updated_at"))
    except BadValue as error:
        found.append(("updatedAt", str(error)))
    if found:
        report.problem("site", "settings", "; ".join(message for _, message in found))
        return
    await connection.execute(update(Site).where(Site.id == SITE_ID).values(**row))
    report.count("site", "restored")


async def _write(
    connection: AsyncConnection,
    report: ImportReport,
    kind: str,
    model: Any,
    fields: Any,
    items: Iterator[dict[str, Any]],
) -> None:
    rows: list[dict[str, Any]] = []
    links: dict[str, list[dict[str, Any]]] = {name: [] for name in LINKS}
    for item in items:
        row = _row(model.__table__, item, fields, report, kind)
        if row is None:
            continue
        rows.append(row)
        if kind == "post":
            _post_links(item, row, links)
        report.count(kind, "restored")
        if len(rows) >= BATCH:
            await _flush(connection, model, rows, links)
            rows, links = [], {name: [] for name in LINKS}
    await _flush(connection, model, rows, links)


def _row(
    table: Table, item: Any, fields: Any, report: ImportReport, kind: str
) -> dict[str, Any] | None:
    """The columns of `item`, dates read and enums checked, or None (reported) if invalid."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        report.problem(kind, str(item.get("id") if isinstance(item, dict) else "?"), "no id")
        return None
    row: dict[str, Any] = {}
    found: list[tuple[str, str]] = []
    for column in table.columns:
        value = item.get(column.name)
        if isinstance(column.type, UTCDateTime):
            try:
                value = moment(value)
            except BadValue as error:
                found.append((column.name, str(error)))
        elif isinstance(column.type, Enum) and value is not None and value not in column.type.enums:
            found.append((column.name, f"{str(value)[:40]!r} is not a {column.name}"))
        row[column.name] = value
    found += validation.problems(row, fields.editable(), creating=True)
    if found:
        report.problem(kind, str(item["id"]), "; ".join(message for _, message in found))
        return None
    return row


def _post_links(
    item: dict[str, Any], row: dict[str, Any], links: dict[str, list[dict[str, Any]]]
) -> None:
    post_id = item["id"]
    for position, author_id in enumerate(item.get("authors") or []):
        links["authors"].append({"post_id": post_id, "author_id": author_id, "position": position})
    for position, tag_id in enumerate(item.get("tags") or []):
        links["tags"].append({"post_id": post_id, "tag_id": tag_id, "position": position})
    if item.get("publication") is not None:
        links["publication"].append({"post_id": post_id, "publication_id": item["publication"]})
    for slug in item.get("old_slugs") or []:
        links["old_slugs"].append({"slug": slug, "post_id": post_id})
    revisions = item.get("revisions")
    if not isinstance(revisions, list):  # exported without them: the history starts here
        revisions = [_revision_of(row)]
    for revision in revisions:
        links["revisions"].append(
            {**revision, "created_at": moment(revision.get("created_at")), "editor_id": None}
        )


def _revision_of(row: dict[str, Any]) -> dict[str, Any]:
    level = row["level"]
    post = Post(
        **{**row, "status": PostStatus(row["status"]), "level": PostLevel(level) if level else None}
    )
    revision = post_editing.revision_of(
        post, editor_id=None, actor="restore", now=row["updated_at"]
    )
    values = {c.name: getattr(revision, c.name) for c in PostRevision.__table__.columns}
    values.pop("id")
    values["created_at"] = values["created_at"].isoformat()
    return values


async def _flush(
    connection: AsyncConnection,
    model: Any,
    rows: list[dict[str, Any]],
    links: dict[str, list[dict[str, Any]]],
) -> None:
    if rows:
        await connection.execute(insert(model), rows)
    for name, link_model in (
        ("authors", PostAuthor),
        ("tags", PostTag),
        ("publication", PostPublication),
        ("old_slugs", PostSlug),
        ("revisions", PostRevision),
    ):
        if links[name]:
            await connection.execute(insert(link_model), links[name])
