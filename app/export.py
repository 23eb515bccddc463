"""`quire export`: every post, author and tag, the links between them, translations, old slugs
(redirects), the site's settings and optionally every revision, written as one JSON document,
streamed a batch of posts at a time; or the same as a Ghost import file.

Quire's format (version 1), documented in the README:

    {"quire_export": {"version": 1, "exported_at": ..., "revision": <migration>},
     "site": {...}, "authors": [...], "tags": [...], "publications": [...], "posts": [...]}

Each object has its columns as stored (ids included, dates in ISO 8601 UTC); a post also has
`authors` and `tags` (ids, in order), its `publication` (an id or null), `old_slugs` and,
with `--revisions`, `revisions`.
`quire import quire` restores it into an empty database, ids and versions unchanged.

Accounts, tokens, webhook endpoints and the event log are not content and are not exported: a
full backup of an instance is a database backup (`pg_dump`, or the SQLite file).
"""

import enum
import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import IO, Any

import orjson
from sqlalchemy import FromClause, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app import migrations
from models import (
    SITE_ID,
    Author,
    Post,
    PostAuthor,
    PostPublication,
    PostRevision,
    PostSlug,
    PostTag,
    Publication,
    Site,
    Tag,
)
from models.base import utcnow

FORMAT_VERSION = 1
BATCH = 500
GHOST_VERSION = "5.0.0"


def row_values(table: FromClause, row: Any) -> dict[str, Any]:
    """A row's columns as JSON-ready values."""
    return {column.name: _plain(getattr(row, column.name)) for column in table.columns}


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class _Writer:
    """JSON written piece by piece: objects and arrays opened, items added, closed."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.first = [True]

    def raw(self, text: str) -> None:
        self.out.write(text.encode())

    def _comma(self) -> None:
        if not self.first[-1]:
            self.raw(",")
        self.first[-1] = False

    def key(self, name: str) -> None:
        self._comma()
        self.out.write(orjson.dumps(name) + b":")

    def open(self, bracket: str) -> None:
        self.raw(bracket)
        self.first.append(True)

    def open_item(self, bracket: str) -> None:
        """An object or array as the next item of the array that is open."""
        self._comma()
        self.open(bracket)

    def close(self, bracket: str) -> None:
        self.first.pop()
        self.raw(bracket)

    def value(self, value: Any) -> None:
        self._comma()
        self.out.write(orjson.dumps(value))

    def field(self, name: str, value: Any) -> None:
        self.key(name)
        self.out.write(orjson.dumps(value))
        self.first[-1] = False


async def write_quire(engine: AsyncEngine, out: IO[bytes], *, revisions: bool = False) -> int:
    """Quire's own format; the number of posts written."""
    writer = _Writer(out)
    async with engine.connect() as connection:
        revision = await migrations.current_revision(connection)
        writer.open("{")
        header = {"version": FORMAT_VERSION, "exported_at": utcnow().isoformat()}
        writer.field("quire_export", {**header, "revision": revision})
        site = (await connection.execute(select(Site).where(Site.id == SITE_ID))).first()
        writer.field("site", row_values(Site.__table__, site) if site else None)
        for name, model in (("authors", Author), ("tags", Tag), ("publications", Publication)):
            writer.key(name)
            writer.open("[")
            async for row in _rows(connection, model):
                writer.value(row_values(model.__table__, row))
            writer.close("]")
        writer.key("posts")
        writer.open("[")
        count = 0
        async for post in _posts(connection, revisions=revisions):
            writer.value(post)
            count += 1
        writer.close("]")
        writer.close("}")
    return count


async def _rows(connection: AsyncConnection, model: Any) -> AsyncIterator[Any]:
    last = 0
    while True:
        rows = (
            await connection.execute(
                select(model.__table__).where(model.id > last).order_by(model.id).limit(BATCH)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].id


async def _posts(connection: AsyncConnection, *, revisions: bool) -> AsyncIterator[dict[str, Any]]:
    batch: list[Any] = []
    async for row in _rows(connection, Post):
        batch.append(row)
        if len(batch) == BATCH:
            for post in await _with_links(connection, batch, revisions=revisions):
                yield post
            batch = []
    for post in await _with_links(connection, batch, revisions=revisions):
        yield post


async def _with_links(
    connection: AsyncConnection, rows: list[Any], *, revisions: bool
) -> list[dict[str, Any]]:
    if not rows:
        return []
    ids = [row.id for row in rows]
    posts = {row.id: {**row_values(Post.__table__, row)} for row in rows}
    for post in posts.values():
        post.update(authors=[], tags=[], publication=None, old_slugs=[])
        if revisions:
            post["revisions"] = []
    links = (
        (PostAuthor, PostAuthor.author_id, "authors"),
        (PostTag, PostTag.tag_id, "tags"),
    )
    for model, column, name in links:
        found = await connection.execute(
            select(model.post_id, column)
            .where(model.post_id.in_(ids))
            .order_by(model.post_id, model.position)
        )
        for post_id, linked in found:
            posts[post_id][name].append(linked)
    publications = await connection.execute(
        select(PostPublication.post_id, PostPublication.publication_id).where(
            PostPublication.post_id.in_(ids)
        )
    )
    for post_id, publication_id in publications:
        posts[post_id]["publication"] = publication_id
    slugs = await connection.execute(
        select(PostSlug.post_id, PostSlug.slug)
        .where(PostSlug.post_id.in_(ids))
        .order_by(PostSlug.slug)
    )
    for post_id, slug in slugs:
        posts[post_id]["old_slugs"].append(slug)
    if revisions:
        found_revisions = await connection.execute(
            select(PostRevision.__table__)
            .where(PostRevision.post_id.in_(ids))
            .order_by(PostRevision.post_id, PostRevision.version)
        )
        for revision in found_revisions:
            values = row_values(PostRevision.__table__, revision)
            values.pop("editor_id")  # accounts are not exported
            posts[revision.post_id]["revisions"].append(values)
    return list(posts.values())


async def write_ghost(engine: AsyncEngine, out: IO[bytes]) -> int:
    """A Ghost 5 import file (Settings → Import content): users, tags, posts with their html and
    Markdown (as a mobiledoc Markdown card), ordered links, `posts_meta`; the number of posts.
    Ghost needs an email for every user: authors get `<slug>@authors.invalid`, to change in
    Ghost after the import."""
    writer = _Writer(out)
    async with engine.connect() as connection:
        writer.open("{")
        writer.key("db")
        writer.open("[")
        writer.open_item("{")
        meta = {"exported_on": int(utcnow().timestamp() * 1000), "version": GHOST_VERSION}
        writer.field("meta", meta)
        writer.key("data")
        writer.open("{")
        site = (await connection.execute(select(Site).where(Site.id == SITE_ID))).first()
        writer.field("settings", _ghost_settings(site) if site else [])
        await _ghost_table(writer, connection, "users", Author, _ghost_user)
        await _ghost_table(writer, connection, "tags", Tag, _ghost_tag)
        posts_meta: list[dict[str, Any]] = []
        links: dict[str, list[dict[str, Any]]] = {"posts_authors": [], "posts_tags": []}
        writer.key("posts")
        writer.open("[")
        count = 0
        async for post in _posts(connection, revisions=False):
            writer.value(_ghost_post(post))
            posts_meta.append(_ghost_meta(post))
            for name, key in (("posts_authors", "author_id"), ("posts_tags", "tag_id")):
                for order, linked in enumerate(post[name.removeprefix("posts_")]):
                    links[name].append(
                        {
                            "id": _ghost_id(f"{name[6]}{post['id']}-{order}"),
                            "post_id": _ghost_id(post["id"]),
                            key: _ghost_id(linked),
                            "sort_order": order,
                        }
                    )
            count += 1
        writer.close("]")
        writer.field("posts_meta", posts_meta)
        for name, rows in links.items():
            writer.field(name, rows)
        writer.close("}")
        writer.close("}")
        writer.close("]")
        writer.close("}")
    return count


async def _ghost_table(
    writer: _Writer,
    connection: AsyncConnection,
    name: str,
    model: Any,
    convert: Callable[[Any], dict[str, Any]],
) -> None:
    writer.key(name)
    writer.open("[")
    async for row in _rows(connection, model):
        writer.value(convert(row))
    writer.close("]")


def _ghost_id(value: object) -> str:
    """Ghost's ids are 24 hexadecimal characters (MongoDB ObjectIds): a row's id in hex, or a
    digest of the name of what has no id here (a link, a setting)."""
    text = str(value)
    if text.isdigit():
        return f"{int(text):024x}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _ghost_user(author: Any) -> dict[str, Any]:
    return {
        "id": _ghost_id(author.id),
        "name": author.name,
        "slug": author.slug,
        "email": f"{author.slug}@authors.invalid",
        "bio": author.bio,
        "profile_image": author.avatar_url,
        "website": author.website,
        "status": "active",
        "created_at": author.created_at.isoformat(),
        "updated_at": author.updated_at.isoformat(),
    }


def _ghost_tag(tag: Any) -> dict[str, Any]:
    return {
        "id": _ghost_id(tag.id),
        "name": tag.name,
        "slug": tag.slug,
        "description": tag.description,
        "visibility": tag.visibility.value,
        "created_at": tag.created_at.isoformat(),
        "updated_at": tag.updated_at.isoformat(),
    }


def _ghost_post(post: dict[str, Any]) -> dict[str, Any]:
    mobiledoc = {
        "version": "0.3.1",
        "atoms": [],
        "cards": [["markdown", {"markdown": post["body"]}]],
        "markups": [],
        "sections": [[10, 0]],
    }
    status = post["status"]
    return {
        "id": _ghost_id(post["id"]),
        "title": post["title"],
        "slug": post["slug"],
        "mobiledoc": orjson.dumps(mobiledoc).decode(),
        "html": post["html"],
        "feature_image": post["feature_image_url"],
        "featured": post["featured"],
        "type": "post",
        "status": status,
        "locale": post["language"],
        "visibility": "public",
        "created_at": post["created_at"],
        "updated_at": post["updated_at"],
        "published_at": post["published_at"],
        "custom_excerpt": post["summary"],
        "canonical_url": post["canonical_url"],
    }


def _ghost_meta(post: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _ghost_id(f"m{post['id']}"),
        "post_id": _ghost_id(post["id"]),
        "meta_title": post["meta_title"],
        "meta_description": post["meta_description"],
        "feature_image_alt": post["feature_image_alt"],
    }


def _ghost_settings(site: Any) -> list[dict[str, Any]]:
    values = {
        "title": site.title,
        "description": site.description,
        "logo": site.logo_url,
        "icon": site.icon_url,
        "accent_color": site.accent_color,
        "lang": site.languages[0] if site.languages else "en",
        "navigation": orjson.dumps(site.navigation).decode(),
        "secondary_navigation": orjson.dumps(site.secondary_navigation).decode(),
    }
    return [
        {"id": _ghost_id(f"s{index}"), "key": key, "value": value}
        for index, (key, value) in enumerate(values.items())
    ]
