"""What feeds and the sitemap list, read as an anonymous reader sees it: live posts only (never
drafts or scheduled posts before their instant), public tags only. `app.feeds` writes the XML.

Each reader also returns the cache keys of what it read (resolvers.cache_keys), so a cached
feed is purged by the writes that change it, like any anonymous read.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import SITE_ID, Author, Post, PostAuthor, PostTag, Site, Tag
from resolvers.visibility import post_is_visible, tag_is_visible

FEED_SIZE = 20
SITEMAP_PAGE = 10_000
"""URLs per sitemap file (the protocol allows 50,000; smaller files answer faster)."""


@dataclass
class FeedPost:
    post: Post
    authors: list[Author] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)


@dataclass
class Feed:
    """The latest posts of one list: every post, one language's, one tag's or one author's."""

    site: Site
    posts: list[FeedPost]
    keys: list[str]
    tag: Tag | None = None
    author: Author | None = None
    language: str | None = None


async def site_of(session: AsyncSession) -> Site:
    site = await session.get(Site, SITE_ID)
    assert site is not None, "the migrations make the site's row"
    return site


async def latest(
    session: AsyncSession,
    *,
    now: datetime,
    language: str | None = None,
    tag_slug: str | None = None,
    author_slug: str | None = None,
) -> Feed | None:
    """The latest live posts, newest first, of the list named; None when its tag or author
    does not exist (or the tag is internal)."""
    conditions = [post_is_visible(now)]
    keys = ["posts", "site"]
    feed = Feed(site=await site_of(session), posts=[], keys=keys, language=language)
    if language is not None:
        conditions.append(Post.language == language)
    if tag_slug is not None:
        feed.tag = await session.scalar(select(Tag).where(Tag.slug == tag_slug, tag_is_visible()))
        if feed.tag is None:
            return None
        keys.append(f"tag:{feed.tag.id}")
        conditions.append(Post.id.in_(select(PostTag.post_id).where(PostTag.tag_id == feed.tag.id)))
    if author_slug is not None:
        feed.author = await session.scalar(select(Author).where(Author.slug == author_slug))
        if feed.author is None:
            return None
        keys.append(f"author:{feed.author.id}")
        conditions.append(
            Post.id.in_(select(PostAuthor.post_id).where(PostAuthor.author_id == feed.author.id))
        )
    posts = list(
        await session.scalars(
            select(Post)
            .where(*conditions)
            .order_by(Post.published_at.desc(), Post.id.desc())
            .limit(FEED_SIZE)
        )
    )
    feed.posts = await _with_relations(session, posts)
    keys += [f"post:{post.id}" for post in posts]
    keys += ["authors", "tags"]  # bylines and tag names show in entries
    return feed


async def _with_relations(session: AsyncSession, posts: Sequence[Post]) -> list[FeedPost]:
    ids = [post.id for post in posts]
    authors: dict[int, list[Author]] = defaultdict(list)
    tags: dict[int, list[Tag]] = defaultdict(list)
    for post_id, author in await session.execute(
        select(PostAuthor.post_id, Author)
        .join(Author, Author.id == PostAuthor.author_id)
        .where(PostAuthor.post_id.in_(ids))
        .order_by(PostAuthor.post_id, PostAuthor.position)
    ):
        authors[post_id].append(author)
    for post_id, tag in await session.execute(
        select(PostTag.post_id, Tag)
        .join(Tag, Tag.id == PostTag.tag_id)
        .where(PostTag.post_id.in_(ids), tag_is_visible())
        .order_by(PostTag.post_id, PostTag.position)
    ):
        tags[post_id].append(tag)
    return [FeedPost(post, authors[post.id], tags[post.id]) for post in posts]


@dataclass(frozen=True)
class SitemapEntry:
    slug: str
    updated_at: datetime | None


async def sitemap_pages(session: AsyncSession, *, now: datetime) -> int:
    """How many files of posts the sitemap has (at least one, maybe empty)."""
    count = await session.scalar(select(func.count()).where(post_is_visible(now))) or 0
    return max(1, -(-count // SITEMAP_PAGE))


async def sitemap_posts(session: AsyncSession, *, now: datetime, page: int) -> list[SitemapEntry]:
    """Page `page` (from 1) of the live posts, oldest id first, so pages are stable as posts
    are added."""
    rows = await session.execute(
        select(Post.slug, Post.updated_at)
        .where(post_is_visible(now))
        .order_by(Post.id)
        .offset((page - 1) * SITEMAP_PAGE)
        .limit(SITEMAP_PAGE)
    )
    return [SitemapEntry(slug, updated_at) for slug, updated_at in rows]


async def sitemap_named(session: AsyncSession, *, now: datetime, kind: str) -> list[SitemapEntry]:
    """The public tags (`kind` "tag") or the authors that have at least one live post, each
    with the date of its newest post."""
    model, link = (Tag, PostTag) if kind == "tag" else (Author, PostAuthor)
    owner = PostTag.tag_id if kind == "tag" else PostAuthor.author_id
    statement = (
        select(model.slug, func.max(Post.published_at))
        .join(link, owner == model.id)
        .join(Post, Post.id == link.post_id)
        .where(post_is_visible(now))
        .group_by(model.slug)
        .order_by(model.slug)
    )
    if kind == "tag":
        statement = statement.where(tag_is_visible())
    return [SitemapEntry(slug, newest) for slug, newest in await session.execute(statement)]
