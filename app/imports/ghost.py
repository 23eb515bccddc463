"""Ghost's JSON export, versions 1 to 5 (`{"db": [{"meta", "data"}]}`, or `meta` and `data` at
the top as older files have them), read in two streamed passes: everything but the posts
first (users, tags, the post links, settings: small), then the posts one at a time.

What a Ghost post becomes:
- pages are left out (Quire has posts only);
- members-only and paid posts, and posts Ghost only sent by email, come in as drafts: Quire has
  no members, and publishing them would give away what the old site kept for subscribers;
- the body is Ghost's own rendering (`html`), made Markdown; without one, its Lexical or
  mobiledoc document;
- `custom_excerpt` becomes the summary; `posts_meta` (Ghost 4+) gives the SEO fields and the
  feature image's alt text, which older exports keep on the post.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from app.imports import UnreadableExport, bodies, json_items
from app.imports.values import BadValue, flag, language, moment, web_url
from models import PostStatus
from resolvers.imports import Importer, SourceAuthor, SourcePost, SourceTag

ROOTS = ("db.item.data", "data")
VERSIONS = ("db.item.meta.version", "meta.version")
TABLES = ("users", "tags", "posts_tags", "posts_authors", "posts_meta", "settings")
GHOST_URL = "__GHOST_URL__"  # what Ghost 4+ writes for its own address in exported content


@dataclass
class _Links:
    """What the first pass keeps: everything but the posts."""

    root: str | None = None
    version: str | None = None
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def table(self, name: str) -> list[dict[str, Any]]:
        return self.tables.get(name, [])


async def import_file(
    importer: Importer, path: Path, *, site_url: str | None, progress: Any = None
) -> dict[str, Any]:
    """Write the export at `path` through `importer`; Ghost's site settings (by key), for the
    caller to show."""
    with path.open("rb") as stream:
        links = _first_pass(stream)
    settings = {str(row.get("key")): row.get("value") for row in links.table("settings")}
    site_language = language(settings.get("lang") or settings.get("locale"), "en")
    reader = _Reader(importer, links, site_url=site_url, site_language=site_language)
    await importer.site(reader.site(settings))
    await importer.authors(reader.authors())
    await importer.tags(reader.tags())
    with path.open("rb") as stream:
        await importer.posts(reader.posts(json_items(stream, f"{links.root}.posts.item", progress)))
    return settings


def _first_pass(stream: IO[bytes]) -> _Links:
    wanted = {f"{root}.{name}.item": name for root in ROOTS for name in TABLES}
    links = _Links()
    events = ijson.parse(stream, use_float=True)
    try:
        for prefix, event, value in events:
            if prefix in ROOTS and event == "start_map":
                links.root = links.root or prefix
            elif prefix in VERSIONS and event in ("string", "number"):
                links.version = str(value)
            elif prefix in wanted and event == "start_map":
                name = wanted[prefix]
                links.tables.setdefault(name, []).append(_build(events, event, value))
    except ijson.JSONError as error:
        raise UnreadableExport(f"not a Ghost export: the file is not JSON ({error})") from None
    if links.root is None or links.version is None:
        raise UnreadableExport("not a Ghost export: it has no `db[0].meta.version` and `data`")
    return links


def _build(events: Iterator[tuple[str, str, Any]], event: str, value: Any) -> dict[str, Any]:
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _prefix, event, value in events:
        builder.event(event, value)
        depth += event in ("start_map", "start_array")
        depth -= event in ("end_map", "end_array")
        if depth == 0:
            break
    result: dict[str, Any] = builder.value
    return result


class _Reader:
    def __init__(
        self, importer: Importer, links: _Links, *, site_url: str | None, site_language: str
    ) -> None:
        self.importer = importer
        self.site_url = site_url
        self.site_language = site_language
        self.authors_of = _ordered(links.table("posts_authors"), "author_id")
        self.tags_of = _ordered(links.table("posts_tags"), "tag_id")
        self.meta_of = {row.get("post_id"): row for row in links.table("posts_meta")}
        self.users = links.table("users")
        self.tag_rows = links.table("tags")

    def site(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Ghost's site settings, as Quire's columns."""
        social = [
            {"network": network, "url": f"{prefix}{str(handle).lstrip('@')}"}
            for network, key, prefix in (
                ("facebook", "facebook", "https://www.facebook.com/"),
                ("x", "twitter", "https://x.com/"),
            )
            if (handle := settings.get(key))
        ]
        return {
            "title": settings.get("title"),
            "description": settings.get("description"),
            "url": self.site_url,
            "logo_url": self._url("site", "logo", settings.get("logo")),
            "icon_url": self._url("site", "icon", settings.get("icon")),
            "accent_color": settings.get("accent_color"),
            "languages": [self.site_language],
            "navigation": self._navigation(settings.get("navigation")),
            "secondary_navigation": self._navigation(settings.get("secondary_navigation")),
            "social_links": social,
        }

    def _navigation(self, value: Any) -> list[dict[str, str]]:
        """Ghost keeps its navigation as JSON text; its own pages' URLs as paths or under
        `__GHOST_URL__`, which stay paths here."""
        try:
            items = orjson.loads(value) if isinstance(value, str) else value or []
        except orjson.JSONDecodeError:
            self.importer.adjust("site", "navigation", "Ghost's navigation is not JSON")
            return []
        return [
            {"label": str(item.get("label") or ""), "url": _path(str(item.get("url") or ""))}
            for item in items
            if isinstance(item, dict)
        ]

    def authors(self) -> Iterator[SourceAuthor]:
        for user in self.users:
            source_id = str(user.get("id"))
            yield SourceAuthor(
                source_id=source_id,
                name=str(user.get("name") or user.get("slug") or ""),
                slug=user.get("slug"),
                bio=user.get("bio") or None,
                avatar_url=self._url("author", source_id, user.get("profile_image")),
                website=self._url("author", source_id, user.get("website")),
            )

    def tags(self) -> Iterator[SourceTag]:
        for tag in self.tag_rows:
            name = str(tag.get("name") or "")
            yield SourceTag(
                source_id=str(tag.get("id")),
                name=name,
                slug=tag.get("slug"),
                description=tag.get("description") or None,
                internal=tag.get("visibility") == "internal" or name.startswith("#"),
            )

    def posts(self, rows: Iterator[dict[str, Any]]) -> Iterator[SourcePost]:
        for row in rows:
            post = self._post(row)
            if post is not None:
                yield post

    def _post(self, row: dict[str, Any]) -> SourcePost | None:
        source_id = str(row.get("id"))
        if row.get("type") == "page" or flag(row.get("page")):
            self.importer.skip("post", source_id, "a page (Quire has posts only)")
            return None
        try:
            published_at = moment(row.get("published_at"))
            created_at = moment(row.get("created_at"))
            updated_at = moment(row.get("updated_at"))
        except BadValue as error:
            self.importer.problem("post", source_id, str(error))
            return None
        meta = {**row, **{k: v for k, v in self.meta_of.get(row.get("id"), {}).items() if v}}
        return SourcePost(
            source_id=source_id,
            title=str(row.get("title") or ""),
            slug=row.get("slug"),
            body=self._body(row),
            html=self._own_urls(str(row["html"])) if row.get("html") else None,
            status=self._status(source_id, row),
            summary=row.get("custom_excerpt") or None,
            published_at=published_at,
            created_at=created_at,
            updated_at=updated_at,
            language=language(row.get("locale"), self.site_language),
            featured=flag(row.get("featured")),
            feature_image_url=self._url("post", source_id, row.get("feature_image")),
            feature_image_alt=meta.get("feature_image_alt") or None,
            canonical_url=self._url("post", source_id, row.get("canonical_url")),
            meta_title=meta.get("meta_title") or None,
            meta_description=meta.get("meta_description") or None,
            author_ids=self.authors_of.get(row.get("id"))
            or ([str(row["author_id"])] if row.get("author_id") else []),
            tag_ids=self.tags_of.get(row.get("id"), []),
        )

    def _status(self, source_id: str, row: dict[str, Any]) -> PostStatus:
        status = row.get("status")
        visibility = row.get("visibility") or "public"
        if status == "sent":
            self.importer.adjust("post", source_id, "sent by email only in Ghost: a draft here")
            return PostStatus.DRAFT
        if status in ("published", "scheduled") and visibility != "public":
            self.importer.adjust(
                "post", source_id, f"for {visibility} readers in Ghost: a draft here"
            )
            return PostStatus.DRAFT
        if status == "published":
            return PostStatus.PUBLISHED
        if status == "scheduled":
            return PostStatus.SCHEDULED
        return PostStatus.DRAFT

    def _body(self, row: dict[str, Any]) -> str:
        """The Markdown of a post without `html` (made from that, when there is one)."""
        if row.get("html"):
            return ""
        try:
            if row.get("lexical"):
                return self._own_urls(bodies.lexical_to_markdown(str(row["lexical"])))
            if row.get("mobiledoc"):
                return self._own_urls(bodies.mobiledoc_to_markdown(str(row["mobiledoc"])))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            self.importer.adjust("post", str(row.get("id")), "its editor document is unreadable")
        return str(row.get("plaintext") or "")

    def _own_urls(self, text: str) -> str:
        return text.replace(GHOST_URL, (self.site_url or "").rstrip("/"))

    def _url(self, kind: str, source_id: str, value: Any) -> str | None:
        if isinstance(value, str):
            value = self._own_urls(value)
        try:
            return web_url(value, base=self.site_url)
        except BadValue as error:
            self.importer.adjust(kind, source_id, f"a URL is left out: {error}")
            return None


def _path(url: str) -> str:
    return url.replace(GHOST_URL, "", 1) or "/" if url.startswith(GHOST_URL) else url


def _ordered(rows: list[dict[str, Any]], key: str) -> dict[Any, list[str]]:
    """Each post's linked ids in `sort_order`."""
    by_post: dict[Any, list[tuple[int, int, str]]] = {}
    for index, row in enumerate(rows):
        order = int(row.get("sort_order") or 0)
        by_post.setdefault(row.get("post_id"), []).append((order, index, str(row.get(key))))
    return {post: [link for *_, link in sorted(links)] for post, links in by_post.items()}
