"""WordPress's export (WXR 1.0 to 1.2, an RSS file), read in two streamed passes with the
element of each item dropped once read, so a file of any size needs little memory: the first
pass finds the attachments (a post's feature image is one, by id, anywhere in the file), the
second writes authors, categories and tags (declared before the items) and then the posts.

What a WordPress item becomes:
- posts only: pages, attachments, menu items and other types are left out, as are trashed
  posts and auto-drafts;
- `publish` is published, `future` scheduled; `draft` and `pending` are drafts, and so are
  private and password-protected posts (Quire has no readers to show them to);
- categories then tags become the post's tags, in that order (the first is the primary tag);
  other taxonomies are left out;
- the body (HTML with WordPress's paragraphs made of blank lines, Gutenberg's block comments)
  is made Markdown; the excerpt becomes the summary; Yoast's SEO title and description, when
  present, the meta fields.

The XML parser refuses DTDs' entities and external references (defusedxml): an export has
none, and a hostile file cannot expand or fetch anything.
"""

from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from app.imports import UnreadableExport, bodies
from app.imports.values import BadValue, flag, language, moment, web_url
from models import PostStatus
from resolvers.imports import Importer, SourceAuthor, SourcePost, SourceTag

NAMESPACES = {
    "http://wordpress.org/export/": "wp",
    "http://wordpress.org/export/1.0/excerpt/": "excerpt",
    "http://wordpress.org/export/1.1/excerpt/": "excerpt",
    "http://wordpress.org/export/1.2/excerpt/": "excerpt",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
}
STATUSES = {
    "publish": PostStatus.PUBLISHED,
    "future": PostStatus.SCHEDULED,
    "draft": PostStatus.DRAFT,
    "pending": PostStatus.DRAFT,
    "private": PostStatus.DRAFT,
}
TAXONOMIES = ("category", "post_tag")


def _name(tag: str) -> str:
    """`{namespace}local` as `prefix:local` (any WXR version's `wp` namespace is `wp`)."""
    if not tag.startswith("{"):
        return tag
    namespace, local = tag[1:].split("}", 1)
    if namespace in NAMESPACES:
        return f"{NAMESPACES[namespace]}:{local}"
    if namespace.startswith("http://wordpress.org/export/"):
        return f"wp:{local}"
    return local


def _text(element: Element, name: str) -> str:
    for child in element:
        if _name(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _elements(path: Path, progress: Any = None) -> Iterator[tuple[str, Element]]:
    """The channel's children as they end (`wp:author`, `wp:category`, `item`, ...), each
    dropped from the tree once the caller had it."""
    channel: Element | None = None
    seen_root = False
    try:
        with path.open("rb") as stream:
            for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
                name = _name(element.tag)
                if event == "start":
                    if not seen_root:
                        if name != "rss":
                            raise UnreadableExport("not a WordPress export: it is not RSS")
                        seen_root = True
                    elif name == "channel":
                        channel = element
                    continue
                if channel is not None and element in channel:
                    yield name, element
                    channel.remove(element)
                    if progress is not None:
                        progress(stream.tell())
    except (ParseError, DefusedXmlException) as error:
        raise UnreadableExport(f"not a WordPress export: the XML is refused ({error})") from None


def _attachments(path: Path) -> dict[str, tuple[str, str | None]]:
    """Every attachment's URL and alt text, by its post id."""
    found: dict[str, tuple[str, str | None]] = {}
    version = None
    for name, element in _elements(path):
        if name == "wp:wxr_version":
            version = element.text
        if name == "item" and _text(element, "wp:post_type") == "attachment":
            meta = _postmeta(element)
            url = _text(element, "wp:attachment_url")
            found[_text(element, "wp:post_id")] = (url, meta.get("_wp_attachment_image_alt"))
    if version is None:
        raise UnreadableExport("not a WordPress export: it has no `wp:wxr_version`")
    return found


def _postmeta(item: Element) -> dict[str, str]:
    return {
        _text(meta, "wp:meta_key"): _text(meta, "wp:meta_value")
        for meta in item
        if _name(meta.tag) == "wp:postmeta"
    }


async def import_file(
    importer: Importer, path: Path, *, site_url: str | None, progress: Any = None
) -> dict[str, Any]:
    """Write the export at `path` through `importer`; the site's title, description, address
    and language."""
    attachments = _attachments(path)
    site: dict[str, Any] = {}
    authors: list[SourceAuthor] = []
    tags: list[SourceTag] = []
    elements = _elements(path, progress)
    first_item = None
    for name, element in elements:
        if name == "item":
            first_item = element
            break
        if name in ("title", "description", "link", "language", "wp:base_site_url"):
            site[name] = (element.text or "").strip()
        elif name == "wp:author":
            authors.append(_author(element))
        elif name in ("wp:category", "wp:tag", "wp:term"):
            tag = _declared_tag(importer, name, element)
            if tag is not None:
                tags.append(tag)
    # WordPress numbers posts per site: two blogs' post 1 are two posts.
    importer.origin = f"wordpress:{site.get('wp:base_blog_url') or site.get('link') or ''}"
    address = site_url or site.get("wp:base_site_url") or site.get("link")
    await importer.site(
        {
            "title": site.get("title"),
            "description": site.get("description"),
            "url": address,
            "languages": [language(site.get("language"), "en")],
        }
    )
    await importer.authors(authors)
    await importer.tags(tags)
    reader = _Reader(
        importer,
        attachments,
        site_url=address,
        site_language=language(site.get("language"), "en"),
    )
    if first_item is not None:
        await importer.posts(reader.posts(first_item, elements))
    return site


def _author(element: Element) -> SourceAuthor:
    login = _text(element, "wp:author_login")
    full = " ".join(
        part
        for part in (_text(element, "wp:author_first_name"), _text(element, "wp:author_last_name"))
        if part
    )
    return SourceAuthor(
        source_id=login, name=_text(element, "wp:author_display_name") or full or login, slug=login
    )


DECLARED = {
    # element: (taxonomy, or None to read it; its slug, name and description elements)
    "wp:category": ("category", "wp:category_nicename", "wp:cat_name", "wp:category_description"),
    "wp:tag": ("post_tag", "wp:tag_slug", "wp:tag_name", "wp:tag_description"),
    "wp:term": (None, "wp:term_slug", "wp:term_name", "wp:term_description"),
}


def _declared_tag(importer: Importer, name: str, element: Element) -> SourceTag | None:
    taxonomy, slug_element, name_element, description_element = DECLARED[name]
    taxonomy = taxonomy or _text(element, "wp:term_taxonomy")
    slug = _text(element, slug_element)
    if taxonomy not in TAXONOMIES:
        importer.skip("term", f"{taxonomy}:{slug}", f"taxonomy {taxonomy!r} is not imported")
        return None
    return SourceTag(
        source_id=f"{taxonomy}:{slug}",
        name=_text(element, name_element) or slug,
        slug=unquote(slug),
        description=_text(element, description_element) or None,
    )


class _Reader:
    def __init__(
        self,
        importer: Importer,
        attachments: dict[str, tuple[str, str | None]],
        *,
        site_url: str | None,
        site_language: str,
    ) -> None:
        self.importer = importer
        self.attachments = attachments
        self.site_url = site_url
        self.site_language = site_language

    def posts(self, first: Element, rest: Iterator[tuple[str, Element]]) -> Iterator[SourcePost]:
        for item in chain([first], (element for name, element in rest if name == "item")):
            if (post := self._post(item)) is not None:
                yield post

    def _post(self, item: Element) -> SourcePost | None:
        source_id = _text(item, "wp:post_id")
        kind, status = _text(item, "wp:post_type") or "post", _text(item, "wp:status")
        if kind != "post":
            if kind != "attachment":
                self.importer.skip("post", source_id, f"a {kind} (Quire has posts only)")
            return None
        if status not in STATUSES:
            self.importer.skip("post", source_id, f"status {status!r} is not imported")
            return None
        try:
            published = moment(_text(item, "wp:post_date_gmt")) or moment(
                _text(item, "wp:post_date")
            )
            published = published or moment(_text(item, "pubDate"))
        except BadValue as error:
            self.importer.problem("post", source_id, str(error))
            return None
        meta = _postmeta(item)
        image_url, image_alt = self.attachments.get(meta.get("_thumbnail_id", ""), (None, None))
        title = _text(item, "title")
        if not title:
            title = "Untitled"
            self.importer.adjust("post", source_id, "it has no title: it is called Untitled")
        return SourcePost(
            source_id=source_id,
            title=title,
            slug=unquote(_text(item, "wp:post_name")) or None,
            body="",
            html=bodies.paragraphs(_text(item, "content:encoded")),
            status=self._status(source_id, status, item),
            summary=bodies.html_to_text(_text(item, "excerpt:encoded")) or None,
            published_at=published,
            created_at=published,
            language=self.site_language,
            featured=flag(_text(item, "wp:is_sticky")),
            feature_image_url=self._url(source_id, image_url),
            feature_image_alt=image_alt or None,
            meta_title=meta.get("_yoast_wpseo_title") or None,
            meta_description=meta.get("_yoast_wpseo_metadesc") or None,
            author_ids=[creator] if (creator := _text(item, "dc:creator")) else [],
            tags=self._tags(item),
        )

    def _status(self, source_id: str, status: str, item: Element) -> PostStatus:
        if status == "private":
            self.importer.adjust("post", source_id, "private in WordPress: a draft here")
        elif _text(item, "wp:post_password") and status in ("publish", "future"):
            self.importer.adjust("post", source_id, "password-protected in WordPress: a draft")
            return PostStatus.DRAFT
        return STATUSES[status]

    def _tags(self, item: Element) -> list[SourceTag]:
        found = {
            domain: [
                SourceTag(
                    source_id=f"{domain}:{element.get('nicename')}",
                    name=(element.text or "").strip() or str(element.get("nicename")),
                    slug=unquote(element.get("nicename") or "") or None,
                )
                for element in item
                if _name(element.tag) == "category" and element.get("domain") == domain
            ]
            for domain in TAXONOMIES
        }
        return [*found["category"], *found["post_tag"]]

    def _url(self, source_id: str, value: str | None) -> str | None:
        try:
            return web_url(value, base=self.site_url)
        except BadValue as error:
            self.importer.adjust("post", source_id, f"a URL is left out: {error}")
            return None
