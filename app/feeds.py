"""Atom feeds and the sitemap, for feed readers, aggregators and search engines.

- `/feeds/posts.atom`: the latest posts, every language;
- `/feeds/languages/{code}.atom`, `/feeds/tags/{slug}.atom`, `/feeds/authors/{slug}.atom`;
- `/sitemap.xml`: an index of `/sitemaps/posts-{n}.xml` (10,000 posts each), `/sitemaps/tags.xml`
  and `/sitemaps/authors.xml`.

They list what an anonymous reader sees (resolvers.feeds), link each post, tag and author
under the site's address (`site.url`, else this server's) by the configured paths, and are
answered like anonymous GraphQL GETs: kept in the response cache with the keys of what they
read (so a write purges exactly the feeds it changes), with an ETag, `Cache-Control` and the
CDN's key header. Feeds are built with feedgen; `QUIRE_FEEDS=false` turns all of it off.
"""

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from feedgen.feed import FeedGenerator
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.response_cache import ResponseCache, etag_for, etag_matches, key_header
from app.settings import Settings
from resolvers import feeds
from resolvers.validation import LANGUAGE, SLUG

ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

Build = Callable[[AsyncSession, Request, datetime], Awaitable[tuple[bytes, list[str]] | None]]


def feed_routes(
    settings: Settings, *, clock: Callable[[], datetime], cache: ResponseCache | None
) -> list[BaseRoute]:
    if not settings.feeds:
        return []
    links = Links(settings)

    def serve(
        build: Build, media_type: str, *, missing: str = "posts"
    ) -> Callable[[Request], Awaitable[Response]]:
        """`missing`: the key of what would make a 404 found (a new tag, author or post)."""

        async def endpoint(request: Request) -> Response:
            return await _answer(request, build, media_type, settings, clock, cache, missing)

        return endpoint

    async def everything(session: AsyncSession, request: Request, now: datetime) -> Any:
        return _atom(await feeds.latest(session, now=now), links, request)

    async def by_language(session: AsyncSession, request: Request, now: datetime) -> Any:
        code = request.path_params["code"]
        if not LANGUAGE.fullmatch(code) or len(code) > 35:
            return None
        return _atom(await feeds.latest(session, now=now, language=code), links, request)

    async def by_tag(session: AsyncSession, request: Request, now: datetime) -> Any:
        slug = request.path_params["slug"]
        if not SLUG.fullmatch(slug):
            return None
        return _atom(await feeds.latest(session, now=now, tag_slug=slug), links, request)

    async def by_author(session: AsyncSession, request: Request, now: datetime) -> Any:
        slug = request.path_params["slug"]
        if not SLUG.fullmatch(slug):
            return None
        return _atom(await feeds.latest(session, now=now, author_slug=slug), links, request)

    async def index(session: AsyncSession, request: Request, now: datetime) -> Any:
        pages = await feeds.sitemap_pages(session, now=now)
        files = [f"sitemaps/posts-{n}.xml" for n in range(1, pages + 1)]
        files += ["sitemaps/tags.xml", "sitemaps/authors.xml"]
        body = "".join(
            f"<sitemap><loc>{escape(_absolute(str(request.base_url), name))}</loc></sitemap>"
            for name in files
        )
        xml = f'<sitemapindex xmlns="{SITEMAP_NS}">{body}</sitemapindex>'
        return _document(xml), ["posts"]

    async def post_urls(session: AsyncSession, request: Request, now: datetime) -> Any:
        page = int(request.path_params["page"])
        if not 1 <= page <= await feeds.sitemap_pages(session, now=now):
            return None
        site = await feeds.site_of(session)
        entries = await feeds.sitemap_posts(session, now=now, page=page)
        urls = [(links.post(site.url, request, e.slug), e.updated_at) for e in entries]
        return _urlset(urls), ["posts", "site"]

    async def named_urls(session: AsyncSession, request: Request, now: datetime) -> Any:
        kind = request.path_params["kind"]
        if kind not in ("tags", "authors"):
            return None
        site = await feeds.site_of(session)
        entries = await feeds.sitemap_named(session, now=now, kind=kind[:-1])
        link = links.tag if kind == "tags" else links.author
        urls = [(link(site.url, request, e.slug), e.updated_at) for e in entries]
        return _urlset(urls), ["posts", kind, "site"]

    return [
        Route("/feeds/posts.atom", serve(everything, ATOM), methods=["GET", "HEAD"]),
        Route("/feeds/languages/{code}.atom", serve(by_language, ATOM), methods=["GET", "HEAD"]),
        Route(
            "/feeds/tags/{slug}.atom", serve(by_tag, ATOM, missing="tags"), methods=["GET", "HEAD"]
        ),
        Route(
            "/feeds/authors/{slug}.atom",
            serve(by_author, ATOM, missing="authors"),
            methods=["GET", "HEAD"],
        ),
        Route("/sitemap.xml", serve(index, XML), methods=["GET", "HEAD"]),
        Route("/sitemaps/posts-{page:int}.xml", serve(post_urls, XML), methods=["GET", "HEAD"]),
        Route("/sitemaps/{kind:str}.xml", serve(named_urls, XML), methods=["GET", "HEAD"]),
    ]


class Links:
    """Where a frontend shows a post, tag or author: the site's address and a path template."""

    def __init__(self, settings: Settings) -> None:
        self.paths = {
            "post": settings.post_path,
            "tag": settings.tag_path,
            "author": settings.author_path,
        }

    def post(self, site_url: str | None, request: Request, slug: str) -> str:
        return _absolute(_base(site_url, request), self.paths["post"].format(slug=slug))

    def tag(self, site_url: str | None, request: Request, slug: str) -> str:
        return _absolute(_base(site_url, request), self.paths["tag"].format(slug=slug))

    def author(self, site_url: str | None, request: Request, slug: str) -> str:
        return _absolute(_base(site_url, request), self.paths["author"].format(slug=slug))


def _base(site_url: str | None, request: Request) -> str:
    return site_url or str(request.base_url)


def _absolute(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def _atom(
    feed: feeds.Feed | None, links: Links, request: Request
) -> tuple[bytes, list[str]] | None:
    if feed is None:
        return None
    site = feed.site
    generator = FeedGenerator()
    self_url = str(request.url.replace(query=""))
    generator.id(self_url)
    title = site.title
    if feed.tag is not None:
        title, home = f"{feed.tag.name} · {site.title}", links.tag(site.url, request, feed.tag.slug)
    elif feed.author is not None:
        title = f"{feed.author.name} · {site.title}"
        home = links.author(site.url, request, feed.author.slug)
    else:
        home = _base(site.url, request)
    generator.title(title)
    generator.subtitle(
        (feed.tag.description if feed.tag is not None else None)
        or (feed.author.bio if feed.author is not None else None)
        or site.description
        or site.title
    )
    generator.link(href=home, rel="alternate")
    generator.link(href=self_url, rel="self")
    generator.language(feed.language or site.languages[0])
    if site.icon_url:
        generator.icon(site.icon_url)
    if site.logo_url:
        generator.logo(site.logo_url)
    updated = max((item.post.updated_at for item in feed.posts), default=site.updated_at)
    generator.updated(updated)
    for item in reversed(feed.posts):  # feedgen puts each new entry first
        post = item.post
        url = links.post(site.url, request, post.slug)
        entry = generator.add_entry()
        entry.id(url)
        entry.title(post.title)
        entry.link(href=url, rel="alternate")
        entry.published(post.published_at)
        entry.updated(post.updated_at)
        excerpt = post.summary or post.excerpt
        if excerpt:
            entry.summary(excerpt)
        entry.content(post.html, type="html")
        for author in item.authors:
            entry.author(name=author.name, uri=links.author(site.url, request, author.slug))
        for tag in item.tags:
            entry.category(term=tag.slug, label=tag.name)
    body: bytes = generator.atom_str(pretty=False)
    return body, feed.keys


def _document(xml: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + xml).encode()


def _urlset(urls: Sequence[tuple[str, datetime | None]]) -> bytes:
    items = "".join(
        f"<url><loc>{escape(loc)}</loc>"
        + (
            f"<lastmod>{modified.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}</lastmod>"
            if modified
            else ""
        )
        + "</url>"
        for loc, modified in urls
    )
    return _document(f'<urlset xmlns="{SITEMAP_NS}">{items}</urlset>')


async def _answer(
    request: Request,
    build: Build,
    media_type: str,
    settings: Settings,
    clock: Callable[[], datetime],
    cache: ResponseCache | None,
    missing: str,
) -> Response:
    now = clock()
    # By path and host: a query string changes nothing here, so it must not make new entries.
    where = f"{request.base_url}{request.url.path}"
    key = "feed:" + hashlib.sha256(where.encode()).hexdigest()
    lookup = await cache.lookup_key(key, now=now) if cache is not None else None
    if lookup is not None and lookup.hit is not None:
        hit = lookup.hit
        return _complete(request, hit.body, hit.etag, list(hit.keys), media_type, settings)
    factory = request.app.state.read_session_factory
    async with factory() as session:
        built = await build(session, request, now)
    if built is None:
        # Cached by a CDN like the feed it stands for, so it must name what would make the
        # feed exist: a CDN would otherwise keep answering 404 after the tag is created.
        headers = {
            "cache-control": settings.cache_control,
            **key_header(settings.surrogate_key_header, [missing]),
        }
        return Response("Not found.\n", status_code=404, media_type="text/plain", headers=headers)
    body, keys = built
    etag = etag_for(body)
    if cache is not None and lookup is not None:
        await cache.store(
            lookup,
            body=body,
            etag=etag,
            cost=1,
            keys=sorted(set(keys)),
            now=now,
            session_factory=request.app.state.session_factory,
        )
    return _complete(request, body, etag, keys, media_type, settings)


def _complete(
    request: Request,
    body: bytes,
    etag: str,
    keys: list[str],
    media_type: str,
    settings: Settings,
) -> Response:
    headers = {
        "etag": etag,
        "cache-control": settings.cache_control,
        **key_header(settings.surrogate_key_header, sorted(set(keys))),
    }
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
