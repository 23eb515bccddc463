"""Demo content: a seeded generator of a realistic engineering-blog dataset.

`load_demo` writes 30 authors, 15 tags (one of them internal) and as many English posts as
asked for, plus Spanish translations of about a tenth of the published ones. The `LARGE`
taxonomy gives a bigger site's long tail instead: 300 authors and 500 tags whose use follows
Zipf's law (the n-th most used tag on about 1/n as many posts as the first), as the benchmark's
datasets use to measure tag and author pages of rarely used ones. The same seed and
the same `now` always give exactly the same rows, so the data can be used in tests and docs.

Every name, word, phrase template and code snippet comes from the files in `app/demo_data/`
(see its README) and every choice from one `random.Random(seed)`; no text is copied from a
real blog. Markdown bodies are drawn from a pool of at most `MAX_BODY_POOL` bodies, each
rendered once with `render_body`, so large datasets (100,000 posts) load in a few minutes.
Rows are written with Core `insert()` executemany in batches, with ids assigned here so the
link rows can be built without RETURNING; on PostgreSQL the id sequences are reset afterwards.
"""

import json
import random
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from itertools import accumulate, product
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.database import reset_sequences
from models import (
    SITE_ID,
    Author,
    Post,
    PostAuthor,
    PostLevel,
    PostPublication,
    PostStatus,
    PostTag,
    Publication,
    Site,
    Tag,
    TagVisibility,
)
from resolvers import post_counts, search
from resolvers.content import RenderedBody, render_body, slugify

AUTHOR_COUNT = 30
MAX_BODY_POOL = 1000
MAX_SPANISH_BODY_POOL = 200
BATCH_SIZE = 2000
HISTORY = timedelta(days=6 * 365)

DRAFT_SHARE = 0.04
SCHEDULED_SHARE = 0.04
TRANSLATED_SHARE = 0.10
MIN_DRAFTS_AND_SCHEDULED = 2  # each, once there are at least 20 posts
CODE_SHARE = 0.40
FEATURED_SHARE = 0.08
IMAGE_SHARE = 0.85
META_SHARE = 0.20
CANONICAL_SHARE = 0.03
INTERNAL_TAG_SHARE = 0.03
LATE_UPDATE_SHARE = 0.20
TITLE_TAIL_SHARE = 0.15

HOUR = 3600
DAY = 24 * HOUR

# --- The data files ------------------------------------------------------------------------------

_DATA = resources.files("app") / "demo_data"

Pair = tuple[str, str]  # (English, Spanish)


def _read(name: str) -> Any:
    return json.loads((_DATA / name).read_text(encoding="utf-8"))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"demo data: expected a string, got {value!r}")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"demo data: expected a list of strings, got {value!r}")
    return tuple(_text(item) for item in value)


def _pair(value: Any) -> Pair:
    """An [English, Spanish] list; a list of any other length fails to unpack."""
    english, spanish = _strings(value)
    return english, spanish


def _pairs(value: Any) -> tuple[Pair, ...]:
    return tuple(_pair(item) for item in value)


def _snippets() -> tuple[str, ...]:
    """The fenced code blocks in snippets/, in file-name order (the seed picks by position)."""
    files = sorted((_DATA / "snippets").iterdir(), key=lambda file: file.name)
    return tuple(
        file.read_text(encoding="utf-8").removesuffix("\n")
        for file in files
        if file.name.endswith(".md")
    )


_BLOG = _read("blog.json")
BLOG_NAME = _text(_BLOG["name"])
IMAGE_BASE_URL = _text(_BLOG["image_base_url"])
CANONICAL_BASE_URL = _text(_BLOG["canonical_base_url"])
SITE_SETTINGS: dict[str, Any] = _BLOG["site"]

_PEOPLE = _read("people.json")
FIRST_NAMES = _strings(_PEOPLE["first_names"])
LAST_NAMES = _strings(_PEOPLE["last_names"])
JOB_TITLES = _strings(_PEOPLE["job_titles"])
BIO_OPENING = _text(_PEOPLE["bio_opening"])
BIO_AREAS = _strings(_PEOPLE["bio_areas"])
BIO_BACKGROUNDS = _strings(_PEOPLE["bio_backgrounds"])
BIO_HOBBIES = _strings(_PEOPLE["bio_hobbies"])

_TAGS = _read("tags.json")
PUBLIC_TAGS = tuple(  # name, description, relative popularity
    (_text(tag["name"]), _text(tag["description"]), int(tag["weight"])) for tag in _TAGS["public"]
)
INTERNAL_TAG = (_text(_TAGS["internal"]["name"]), _text(_TAGS["internal"]["description"]))

_WORDS = _read("words.json")
SYSTEMS = _pairs(_WORDS["systems"])
PLATFORMS = _pairs(_WORDS["platforms"])
ADJECTIVES = _pairs(_WORDS["adjectives"])
THINGS = _pairs(_WORDS["things"])
DOMAINS = _pairs(_WORDS["domains"])
METRICS = _pairs(_WORDS["metrics"])
TECHNIQUES = _pairs(_WORDS["techniques"])
ML_TECHNIQUES = _pairs(_WORDS["ml_techniques"])
PROBLEMS = _pairs(_WORDS["problems"])
GOALS = _pairs(_WORDS["goals"])
SUBTITLES = _pairs(_WORDS["subtitles"])
TEAMS = _pairs(_WORDS["teams"])
ACHIEVEMENTS = _pairs(_WORDS["achievements"])
RETROSPECTIVE_TOPICS = _pairs(_WORDS["retrospective_topics"])
AUDIENCES = _pairs(_WORDS["audiences"])
TECH_GROUPS = tuple(_strings(group) for group in _WORDS["tech_groups"])
TECHS = tuple(tech for group in TECH_GROUPS for tech in group)

_TITLES = _read("titles.json")
PART_TITLE = _pair(_TITLES["part"])
TITLE_TAILS = _pairs(_TITLES["tails"])
EXCERPT_CLOSERS = _pairs(_TITLES["excerpt_closers"])
IMAGE_ALTS = _pairs(_TITLES["image_alts"])

_BODY = _read("body-en.json")
SECTION_HEADINGS = _strings(_BODY["section_headings"])
CLOSING_HEADINGS = _strings(_BODY["closing_headings"])
SENTENCES = _strings(_BODY["sentences"])
BULLETS = _strings(_BODY["bullets"])

_ES_BODY = _read("body-es.json")
ES_SECTION_HEADINGS = _strings(_ES_BODY["section_headings"])
ES_CLOSING_HEADINGS = _strings(_ES_BODY["closing_headings"])
ES_SENTENCES = _strings(_ES_BODY["sentences"])
ES_BULLETS = _strings(_ES_BODY["bullets"])
ES_METRICS = _strings(_ES_BODY["metrics"])

CODE_BLOCKS = _snippets()

AUTHORS_PER_POST_WEIGHTS = (55, 30, 10, 5)  # 1, 2, 3 or 4 authors
TAGS_PER_POST_WEIGHTS = (45, 40, 15)  # 1, 2 or 3 public tags
LEVEL_WEIGHTS = (
    (PostLevel.BEGINNER, 20),
    (PostLevel.INTERMEDIATE, 50),
    (PostLevel.ADVANCED, 25),
    (None, 5),
)


@dataclass(frozen=True)
class Taxonomy:
    """How many authors and tags the demo has, and how unevenly they are used."""

    name: str
    authors: int
    tags: int  # public tags; the internal one comes on top
    author_exponent: float  # an author's weight is rank**-exponent, ranks in shuffled order
    tag_exponent: float | None  # None: the weights of tags.json


BLOG = Taxonomy(
    "blog", authors=AUTHOR_COUNT, tags=len(PUBLIC_TAGS), author_exponent=0.7, tag_exponent=None
)
LARGE = Taxonomy("large", authors=300, tags=500, author_exponent=1.0, tag_exponent=1.0)
TAXONOMIES = {taxonomy.name: taxonomy for taxonomy in (BLOG, LARGE)}


@dataclass(frozen=True)
class DemoSummary:
    authors: int
    tags: int
    posts: int  # all rows written, including drafts, scheduled and translations


# --- Public API ----------------------------------------------------------------------------------


async def has_content(engine: AsyncEngine) -> bool:
    """True if any post, author, tag or publication row exists."""
    async with engine.connect() as conn:
        for model in (Post, Author, Tag, Publication):
            if (await conn.execute(select(model.id).limit(1))).first() is not None:
                return True
    return False


async def clear_content(engine: AsyncEngine) -> None:
    """Delete every post, author, tag and publication, and the links between them."""
    async with engine.begin() as conn:
        await conn.run_sync(search.clear_on)
        await conn.run_sync(post_counts.clear_on)
        for model in (PostPublication, PostTag, PostAuthor, Post, Tag, Author, Publication):
            await conn.execute(delete(model))


async def load_demo(
    engine: AsyncEngine,
    *,
    posts: int = 200,
    seed: int = 1,
    now: datetime | None = None,
    taxonomy: Taxonomy = BLOG,
) -> DemoSummary:
    """Write the demo dataset into an empty database: `posts` English posts plus translations.

    The same `seed` and `now` always produce the same rows. `now` only anchors the dates:
    published posts lie in the six years before it, scheduled ones up to 60 days after it.
    """
    if posts < 0:
        raise ValueError("posts must not be negative")
    moment = _as_utc(now if now is not None else datetime.now(UTC))
    if await has_content(engine):
        raise RuntimeError("the database already has content; call clear_content() first")

    rng = random.Random(seed)
    generator = _Generator(rng, moment, english_posts=posts, taxonomy=taxonomy)
    authors = generator.authors()
    tags = generator.tags()
    async with engine.begin() as conn:
        await conn.execute(update(Site).where(Site.id == SITE_ID).values(**SITE_SETTINGS))
        await conn.execute(insert(Author), authors)
        await conn.execute(insert(Tag), tags)
        writer = _Writer(conn)
        for row, author_ids, tag_ids in generator.posts():
            await writer.add(row, author_ids, tag_ids)
        await writer.flush()
        await reset_sequences(conn, ("posts", "authors", "tags"))
        await conn.run_sync(search.rebuild_on)  # written in bulk, past the events
        await conn.run_sync(post_counts.rebuild_on, moment)
    return DemoSummary(authors=len(authors), tags=len(tags), posts=writer.posts_written)


# --- Generation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Schedule:
    """When an English post was written, last edited and (to be) published."""

    status: PostStatus
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class _Phrase:
    """A title and a one-sentence summary in both languages, and what it is about."""

    title: str
    title_es: str
    summary: str
    summary_es: str
    subject: str  # a noun phrase for image alt text
    subject_es: str


@dataclass(frozen=True)
class _Copy:
    """The short texts of one post, in English and Spanish."""

    title: str
    title_es: str
    excerpt: str
    excerpt_es: str
    image_alt: str
    image_alt_es: str


@dataclass(frozen=True)
class _Body:
    markdown: str
    rendered: RenderedBody


_PostRows = tuple[dict[str, Any], list[int], list[int]]


class _Generator:
    """Produces authors, tags and post rows from one seeded random generator."""

    def __init__(
        self, rng: random.Random, now: datetime, *, english_posts: int, taxonomy: Taxonomy
    ) -> None:
        self.rng = rng
        self.taxonomy = taxonomy
        self.now = now.replace(microsecond=0)
        self.english_posts = english_posts
        self.slugs = _SlugRegistry()
        self.titles: dict[str, int] = {}
        self.author_ids: list[int] = []
        self.author_weights: list[float] = []  # cumulative, as random.choices takes them
        self.public_tag_ids: list[int] = []
        self.tag_weights: list[float] = []  # cumulative
        self.internal_tag_id = 0

    def authors(self) -> list[dict[str, Any]]:
        """The taxonomy's authors; the last one joined a few days ago and has written nothing."""
        rng = self.rng
        count = self.taxonomy.authors
        rows = []
        for index, (first, last) in enumerate(self._author_names(count)):
            name = f"{first} {last}"
            slug = self.slugs.claim(slugify(name))
            job_title = rng.choice(JOB_TITLES)
            newcomer = index == count - 1
            joined = self._newcomer_joined() if newcomer else self._veteran_joined()
            rows.append(
                {
                    "id": index + 1,
                    "name": name,
                    "slug": slug,
                    "job_title": job_title,
                    "bio": self._bio(job_title),
                    "avatar_url": f"{IMAGE_BASE_URL}/avatars/{slug}.jpg",
                    "website": f"https://{slug}.example.com" if rng.random() < 0.4 else None,
                    "created_at": joined,
                    "updated_at": self._between(joined, self.now),
                }
            )
            if not newcomer:
                self.author_ids.append(index + 1)
        # A few prolific authors and a long tail: weight rank**-exponent, ranks shuffled.
        ranks = list(range(1, len(self.author_ids) + 1))
        rng.shuffle(ranks)
        exponent = self.taxonomy.author_exponent
        self.author_weights = list(accumulate(rank**-exponent for rank in ranks))
        return rows

    def _author_names(self, count: int) -> list[tuple[str, str]]:
        if count <= min(len(FIRST_NAMES), len(LAST_NAMES)):
            firsts, lasts = self.rng.sample(FIRST_NAMES, count), self.rng.sample(LAST_NAMES, count)
            return list(zip(firsts, lasts, strict=True))
        return self.rng.sample(list(product(FIRST_NAMES, LAST_NAMES)), count)

    def tags(self) -> list[dict[str, Any]]:
        created = self.now - HISTORY - timedelta(days=90)
        rows = []
        public = _public_tags(self.rng, self.taxonomy)
        for index, (name, description, weight) in enumerate(public):
            rows.append(self._tag_row(index + 1, name, description, TagVisibility.PUBLIC, created))
            self.public_tag_ids.append(index + 1)
            self.tag_weights.append(weight)
        self.tag_weights = list(accumulate(self.tag_weights))
        self.internal_tag_id = len(public) + 1
        name, description = INTERNAL_TAG
        rows.append(
            self._tag_row(self.internal_tag_id, name, description, TagVisibility.INTERNAL, created)
        )
        return rows

    def posts(self) -> Iterator[_PostRows]:
        """Every post row with its author and tag ids, English first then its translation."""
        if self.english_posts == 0:
            return
        bodies = self._body_pool(min(MAX_BODY_POOL, self.english_posts), _english_body)
        schedules = self._schedules()
        translated = self._pick_translated(schedules)
        spanish_count = min(MAX_SPANISH_BODY_POOL, max(1, len(translated)))
        spanish_bodies = self._body_pool(spanish_count, _spanish_body)

        next_id = 1
        for index, schedule in enumerate(schedules):
            copy = self._copy(schedule)
            group = self._translation_group() if index in translated else None
            row = self._post_row(next_id, copy, schedule, self.rng.choice(bodies), group)
            author_ids = self._pick_authors()
            tag_ids = self._pick_tags()
            yield row, author_ids, tag_ids
            next_id += 1
            if group is not None:
                body = self.rng.choice(spanish_bodies)
                spanish = self._translation_row(next_id, row, copy, body)
                yield spanish, author_ids, tag_ids
                next_id += 1

    # Authors and tags

    def _bio(self, job_title: str) -> str:
        rng = self.rng
        parts = [BIO_OPENING.format(job_title=job_title, area=rng.choice(BIO_AREAS))]
        if rng.random() < 0.7:
            parts.append(rng.choice(BIO_BACKGROUNDS))
        if rng.random() < 0.6:
            parts.append(rng.choice(BIO_HOBBIES))
        return " ".join(parts)

    def _veteran_joined(self) -> datetime:
        return self.now - HISTORY - timedelta(seconds=self.rng.randint(DAY, 60 * DAY))

    def _newcomer_joined(self) -> datetime:
        return self.now - timedelta(seconds=self.rng.randint(DAY, 10 * DAY))

    def _tag_row(
        self, tag_id: int, name: str, description: str, visibility: TagVisibility, at: datetime
    ) -> dict[str, Any]:
        return {
            "id": tag_id,
            "name": name,
            "slug": self.slugs.claim(slugify(name)),
            "description": description,
            "visibility": visibility,
            "created_at": at,
            "updated_at": self._between(at, self.now),
        }

    def _pick_authors(self) -> list[int]:
        count = _weighted_index(self.rng, AUTHORS_PER_POST_WEIGHTS) + 1
        return _weighted_sample(self.rng, self.author_ids, self.author_weights, count)

    def _pick_tags(self) -> list[int]:
        count = _weighted_index(self.rng, TAGS_PER_POST_WEIGHTS) + 1
        tag_ids = _weighted_sample(self.rng, self.public_tag_ids, self.tag_weights, count)
        if self.rng.random() < INTERNAL_TAG_SHARE:
            tag_ids.append(self.internal_tag_id)
        return tag_ids

    # Dates

    def _schedules(self) -> list[_Schedule]:
        """Statuses and dates of the English posts, oldest first (ids follow creation order)."""
        total = self.english_posts
        drafts = round(total * DRAFT_SHARE)
        scheduled = round(total * SCHEDULED_SHARE)
        if total >= 20:
            drafts = max(drafts, MIN_DRAFTS_AND_SCHEDULED)
            scheduled = max(scheduled, MIN_DRAFTS_AND_SCHEDULED)
        statuses = (
            [PostStatus.DRAFT] * drafts
            + [PostStatus.SCHEDULED] * scheduled
            + [PostStatus.PUBLISHED] * (total - drafts - scheduled)
        )
        self.rng.shuffle(statuses)
        schedules = [self._schedule(status) for status in statuses]
        schedules.sort(key=lambda schedule: schedule.created_at)
        return schedules

    def _schedule(self, status: PostStatus) -> _Schedule:
        rng, now = self.rng, self.now
        if status is PostStatus.DRAFT:
            created = now - timedelta(seconds=rng.randint(HOUR, 180 * DAY))
            return _Schedule(status, None, created, self._between(created, now))
        if status is PostStatus.SCHEDULED:
            created = now - timedelta(seconds=rng.randint(HOUR, 30 * DAY))
            published = now + timedelta(seconds=rng.randint(DAY, 60 * DAY))
            return _Schedule(status, published, created, self._between(created, now))
        # More posts in recent years: offsets are skewed towards zero.
        span = int(HISTORY.total_seconds()) - HOUR
        published = now - timedelta(seconds=HOUR + int(span * rng.random() ** 1.5))
        created = published - timedelta(seconds=rng.randint(HOUR, 30 * DAY))
        return _Schedule(status, published, created, self._edited_after(published))

    def _edited_after(self, published: datetime) -> datetime:
        """Usually touched up within two days; sometimes revised months or years later."""
        if self.rng.random() < LATE_UPDATE_SHARE:
            edited = published + timedelta(seconds=self.rng.randint(30 * DAY, 900 * DAY))
        else:
            edited = published + timedelta(seconds=self.rng.randint(0, 2 * DAY))
        return min(edited, self.now)

    def _between(self, start: datetime, end: datetime) -> datetime:
        seconds = int((end - start).total_seconds())
        return start + timedelta(seconds=self.rng.randint(0, max(0, seconds)))

    def _pick_translated(self, schedules: Sequence[_Schedule]) -> set[int]:
        """Indexes of published posts old enough to have had a Spanish version published since."""
        cutoff = self.now - timedelta(days=12)
        eligible = [
            index
            for index, schedule in enumerate(schedules)
            if schedule.status is PostStatus.PUBLISHED
            and schedule.published_at is not None
            and schedule.published_at <= cutoff
        ]
        published = sum(1 for s in schedules if s.status is PostStatus.PUBLISHED)
        count = min(len(eligible), round(published * TRANSLATED_SHARE))
        return set(self.rng.sample(eligible, count))

    def _translation_group(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # Texts

    def _copy(self, schedule: _Schedule) -> _Copy:
        rng = self.rng
        year = (schedule.published_at or schedule.created_at).year
        phrase = self._unique_phrase(year)
        excerpt, excerpt_es = phrase.summary, phrase.summary_es
        if rng.random() < 0.6:
            closer, closer_es = rng.choice(EXCERPT_CLOSERS)
            excerpt, excerpt_es = f"{excerpt} {closer}", f"{excerpt_es} {closer_es}"
        alt, alt_es = rng.choice(IMAGE_ALTS)
        return _Copy(
            title=phrase.title,
            title_es=phrase.title_es,
            excerpt=excerpt,
            excerpt_es=_spanish(excerpt_es),
            image_alt=_capitalise(alt.format(subject=phrase.subject)),
            image_alt_es=_spanish(alt_es.format(subject=phrase.subject_es)),
        )

    def _unique_phrase(self, year: int) -> _Phrase:
        """A title not used before; after a few misses, a "(Part N)" of an existing one."""
        phrase = self._phrase(year)
        for _ in range(8):
            if phrase.title not in self.titles:
                break
            phrase = self._phrase(year)
        seen = self.titles.get(phrase.title, 0)
        self.titles[phrase.title] = seen + 1
        if seen == 0:
            return phrase
        part, part_es = PART_TITLE
        return replace(
            phrase,
            title=part.format(title=phrase.title, part=seen + 1),
            title_es=part_es.format(title=phrase.title_es, part=seen + 1),
        )

    def _phrase(self, year: int) -> _Phrase:
        kind = self.rng.choices(_TITLE_KINDS, cum_weights=_TITLE_CUM_WEIGHTS)[0]
        slots = kind.draw(self.rng, year)
        title, title_es = _fill_pair(kind.title, slots)
        summary, summary_es = _fill_pair(kind.summary, slots)
        subject, subject_es = _fill_pair(kind.subject, slots)
        if ":" not in title and self.rng.random() < TITLE_TAIL_SHARE:
            tail, tail_es = self.rng.choice(TITLE_TAILS)
            title, title_es = f"{title}: {tail}", f"{title_es}: {tail_es}"
        return _Phrase(
            title=_capitalise(title),
            title_es=_capitalise(_spanish(title_es)),
            summary=_capitalise(summary),
            summary_es=_capitalise(_spanish(summary_es)),
            subject=subject,
            subject_es=_spanish(subject_es),
        )

    # Rows

    def _post_row(
        self, post_id: int, copy: _Copy, schedule: _Schedule, body: _Body, group: str | None
    ) -> dict[str, Any]:
        rng = self.rng
        slug = self.slugs.claim(slugify(copy.title))
        has_image = rng.random() < IMAGE_SHARE
        has_meta = rng.random() < META_SHARE
        cross_posted = schedule.published_at is not None and rng.random() < CANONICAL_SHARE
        return {
            "id": post_id,
            "title": copy.title,
            "slug": slug,
            "excerpt": copy.excerpt,
            "body": body.markdown,
            "html": body.rendered.html,
            "status": schedule.status,
            "published_at": schedule.published_at,
            "level": _weighted_choice(rng, LEVEL_WEIGHTS),
            "reading_time": body.rendered.reading_time,
            "includes_code": body.rendered.includes_code,
            "featured": rng.random() < FEATURED_SHARE,
            "feature_image_url": f"{IMAGE_BASE_URL}/posts/{slug}.jpg" if has_image else None,
            "feature_image_alt": copy.image_alt if has_image else None,
            "language": "en",
            "translation_group": group,
            "canonical_url": f"{CANONICAL_BASE_URL}/{slug}" if cross_posted else None,
            "meta_title": f"{copy.title} | {BLOG_NAME}"[:300] if has_meta else None,
            "meta_description": _shorten(copy.excerpt, 160) if has_meta else None,
            "created_at": schedule.created_at,
            "updated_at": schedule.updated_at,
        }

    def _translation_row(
        self, post_id: int, english: dict[str, Any], copy: _Copy, body: _Body
    ) -> dict[str, Any]:
        """The Spanish version: published a few days after the English post, in the past."""
        rng = self.rng
        english_published: datetime = english["published_at"]
        created = english_published + timedelta(seconds=rng.randint(HOUR, 2 * DAY))
        published = created + timedelta(seconds=rng.randint(DAY, 8 * DAY))
        slug = self.slugs.claim(f"{english['slug']}-es")
        has_image = english["feature_image_url"] is not None
        has_meta = english["meta_title"] is not None
        return {
            **english,
            "id": post_id,
            "title": copy.title_es,
            "slug": slug,
            "excerpt": copy.excerpt_es,
            "body": body.markdown,
            "html": body.rendered.html,
            "published_at": published,
            "reading_time": body.rendered.reading_time,
            "includes_code": body.rendered.includes_code,
            "feature_image_alt": copy.image_alt_es if has_image else None,
            "language": "es",
            "canonical_url": None,
            "meta_title": f"{copy.title_es} | {BLOG_NAME}"[:300] if has_meta else None,
            "meta_description": _shorten(copy.excerpt_es, 160) if has_meta else None,
            "created_at": created,
            "updated_at": self._edited_after(published),
        }

    def _body_pool(
        self, size: int, write: Callable[[random.Random, int, bool], str]
    ) -> list[_Body]:
        """`size` distinct Markdown bodies, each rendered once and shared by many posts."""
        pool = []
        for _ in range(size):
            words = int(self.rng.triangular(120, 3300, 900))
            markdown = write(self.rng, words, self.rng.random() < CODE_SHARE)
            pool.append(_Body(markdown, render_body(markdown)))
        return pool


class _SlugRegistry:
    """Hands out unique slugs: "slug", then "slug-2", "slug-3", ..."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.next_suffix: dict[str, int] = {}

    def claim(self, base: str) -> str:
        slug = base
        suffix = self.next_suffix.get(base, 2)
        while slug in self.taken:
            slug = f"{base}-{suffix}"
            suffix += 1
        self.next_suffix[base] = suffix
        self.taken.add(slug)
        return slug


# --- The large taxonomy's tags ------------------------------------------------------------------

TAG_ASPECTS = (
    "Internals",
    "Operations",
    "Migrations",
    "Performance",
    "Security",
    "Testing",
    "Monitoring",
    "Tooling",
    "Upgrades",
    "Cost",
)


def _public_tags(rng: random.Random, taxonomy: Taxonomy) -> list[tuple[str, str, float]]:
    """Name, description and weight of each public tag, most used first: tags.json's for the
    blog; for a larger taxonomy its topics, then the technologies, techniques and domains the
    titles speak of, then aspects of each technology ("Kafka Operations"), weighted by Zipf's
    law on that order (shuffled past the topics)."""
    if taxonomy.tag_exponent is None:
        return [(name, description, float(weight)) for name, description, weight in PUBLIC_TAGS]
    topics = [name for name, _, _ in PUBLIC_TAGS]
    named = dict.fromkeys(
        _capitalise(english)
        for english, _ in (*PLATFORMS, *TECHNIQUES, *ML_TECHNIQUES, *DOMAINS, *THINGS, *PROBLEMS)
    )
    named.update(dict.fromkeys(TECHS))
    specific = [f"{tech} {aspect}" for tech in dict.fromkeys(TECHS) for aspect in TAG_ASPECTS]
    general = [name for name in named if name not in topics]
    rng.shuffle(general)
    rng.shuffle(specific)
    names = list(dict.fromkeys([*topics, *general, *specific]))[: taxonomy.tags]
    if len(names) < taxonomy.tags:
        raise ValueError(f"the demo data names {len(names)} tags, fewer than {taxonomy.tags}")
    descriptions = {name: description for name, description, _ in PUBLIC_TAGS}
    return [
        (name, descriptions.get(name, f"Posts about {name}."), rank**-taxonomy.tag_exponent)
        for rank, name in enumerate(names, start=1)
    ]


# --- Titles --------------------------------------------------------------------------------------
# Each kind of title in titles.json names a function here that draws its slots; the templates
# there fill them in. The draws stay in code because their order is what the seed reproduces.

_Slots = dict[str, str]


def _pick(rng: random.Random, words: Sequence[Pair], name: str) -> _Slots:
    """One (English, Spanish) pair as the slots `name` and `name_es`."""
    english, spanish = rng.choice(words)
    return {name: english, f"{name}_es": spanish}


def _scaled_to(rng: random.Random, _year: int) -> _Slots:
    slots = _pick(rng, SYSTEMS, "system")
    if rng.random() < 0.7:
        tenths = rng.randint(10, 499)
        rate = f"{tenths / 10:g} million"
        rate_es = f"{tenths / 10:g}".replace(".", ",") + (
            " millón" if tenths == 10 else " millones"
        )
    else:
        thousands = rng.randint(1, 9) * 100
        rate, rate_es = f"{thousands},000", f"{thousands}.000"
    return slots | {"rate": rate, "rate_es": rate_es}


def _migrating(rng: random.Random, _year: int) -> _Slots:
    return _pick(rng, SYSTEMS, "system") | _pick(rng, PLATFORMS, "platform")


def _building(rng: random.Random, _year: int) -> _Slots:
    slots = (
        _pick(rng, ADJECTIVES, "adjective")
        | _pick(rng, THINGS, "thing")
        | _pick(rng, DOMAINS, "domain")
    )
    return slots | {"article": "an" if slots["adjective"][0] in "aeiou" else "a"}


def _lessons(rng: random.Random, _year: int) -> _Slots:
    tech = rng.choice(TECHS)
    count, years = rng.randint(3, 12), rng.randint(2, 8)
    return {"tech": tech, "count": str(count), "years": str(years)}


def _cutting(rng: random.Random, _year: int) -> _Slots:
    slots = (
        _pick(rng, METRICS, "metric")
        | _pick(rng, TECHNIQUES, "technique")
        | _pick(rng, SYSTEMS, "system")
    )
    return slots | {"percent": str(rng.randint(10, 90))}


def _replaced(rng: random.Random, _year: int) -> _Slots:
    old, new = rng.sample(rng.choice(TECH_GROUPS), 2)
    return {"old": old, "new": new}


def _detecting(rng: random.Random, _year: int) -> _Slots:
    return _pick(rng, PROBLEMS, "problem") | _pick(rng, ML_TECHNIQUES, "technique")


def _zero_downtime(rng: random.Random, _year: int) -> _Slots:
    return _pick(rng, SYSTEMS, "system")


def _rethinking(rng: random.Random, _year: int) -> _Slots:
    return _pick(rng, SYSTEMS, "system") | _pick(rng, GOALS, "goal")


def _inside(rng: random.Random, _year: int) -> _Slots:
    return _pick(rng, SYSTEMS, "system") | _pick(rng, SUBTITLES, "subtitle")


def _how_team(rng: random.Random, _year: int) -> _Slots:
    return (
        _pick(rng, TEAMS, "team")
        | _pick(rng, ACHIEVEMENTS, "achievement")
        | _pick(rng, SYSTEMS, "system")
    )


def _retrospective(rng: random.Random, year: int) -> _Slots:
    slots = _pick(rng, RETROSPECTIVE_TOPICS, "topic") | _pick(rng, SYSTEMS, "system")
    return slots | {"year": str(year)}


def _guide(rng: random.Random, _year: int) -> _Slots:
    tech = rng.choice(TECHS)
    return {"tech": tech} | _pick(rng, AUDIENCES, "audience")


def _scaling_domain(rng: random.Random, _year: int) -> _Slots:
    return _pick(rng, DOMAINS, "domain") | _pick(rng, ML_TECHNIQUES, "technique")


_SLOT_DRAWS: dict[str, Callable[[random.Random, int], _Slots]] = {
    "scaled_to": _scaled_to,
    "migrating": _migrating,
    "building": _building,
    "lessons": _lessons,
    "cutting": _cutting,
    "replaced": _replaced,
    "detecting": _detecting,
    "zero_downtime": _zero_downtime,
    "rethinking": _rethinking,
    "inside": _inside,
    "how_team": _how_team,
    "retrospective": _retrospective,
    "guide": _guide,
    "scaling_domain": _scaling_domain,
}


@dataclass(frozen=True)
class _TitleKind:
    """One shape of title: how often it is drawn, its slots, and its (English, Spanish)
    templates for the title, a one-sentence summary and a subject for image alt text."""

    weight: int
    draw: Callable[[random.Random, int], _Slots]
    title: Pair
    summary: Pair
    subject: Pair


def _title_kinds() -> tuple[_TitleKind, ...]:
    entries = _TITLES["kinds"]
    kinds = {_text(entry["kind"]) for entry in entries}
    if kinds != _SLOT_DRAWS.keys():
        raise ValueError(f"demo data: title kinds {sorted(kinds)} != {sorted(_SLOT_DRAWS)}")
    return tuple(
        _TitleKind(
            weight=int(entry["weight"]),
            draw=_SLOT_DRAWS[entry["kind"]],
            title=_pair(entry["title"]),
            summary=_pair(entry["summary"]),
            subject=_pair(entry["subject"]),
        )
        for entry in entries
    )


def _fill_pair(templates: Pair, slots: _Slots) -> Pair:
    english, spanish = templates
    return english.format(**slots), spanish.format(**slots)


_TITLE_KINDS = _title_kinds()
_TITLE_CUM_WEIGHTS = tuple(accumulate(kind.weight for kind in _TITLE_KINDS))


# --- Bodies --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Vocabulary:
    """The words one body is written with."""

    sentences: tuple[str, ...]
    headings: tuple[str, ...]
    closings: tuple[str, ...]
    bullets: tuple[str, ...]
    slots: dict[str, str]


def _english_body(rng: random.Random, words: int, with_code: bool) -> str:
    vocabulary = _Vocabulary(
        sentences=SENTENCES,
        headings=SECTION_HEADINGS,
        closings=CLOSING_HEADINGS,
        bullets=BULLETS,
        slots={
            "system": rng.choice(SYSTEMS)[0],
            "metric": rng.choice(METRICS)[0],
            "tech": rng.choice(TECHS),
            "technique": rng.choice(TECHNIQUES)[0],
            "team": rng.choice(TEAMS)[0],
        },
    )
    return _markdown(rng, vocabulary, words, with_code)


def _spanish_body(rng: random.Random, words: int, with_code: bool) -> str:
    vocabulary = _Vocabulary(
        sentences=ES_SENTENCES,
        headings=ES_SECTION_HEADINGS,
        closings=ES_CLOSING_HEADINGS,
        bullets=ES_BULLETS,
        slots={
            "system": rng.choice(SYSTEMS)[1],
            "metric": rng.choice(ES_METRICS),
            "tech": rng.choice(TECHS),
            "technique": rng.choice(TECHNIQUES)[1],
            "team": rng.choice(TEAMS)[1],
        },
    )
    return _spanish(_markdown(rng, vocabulary, words, with_code))


def _markdown(rng: random.Random, vocabulary: _Vocabulary, words: int, with_code: bool) -> str:
    """An intro, ## sections of paragraphs, lists and code, and a closing section."""
    blocks = [_paragraph(rng, vocabulary)]
    headings = rng.sample(vocabulary.headings, len(vocabulary.headings))
    code_blocks = 0
    while _word_count(blocks) < words - 80 and headings:
        blocks.append(f"## {headings.pop()}")
        for _ in range(rng.randint(1, 3)):
            blocks.append(_paragraph(rng, vocabulary))
        if rng.random() < 0.3:
            blocks.append(_bullet_list(rng, vocabulary))
        if with_code and (code_blocks == 0 or rng.random() < 0.2):
            blocks.append(_code_block(rng))
            code_blocks += 1
    while _word_count(blocks) < words - 80:
        blocks.append(_paragraph(rng, vocabulary))
    if with_code and code_blocks == 0:
        blocks.append(_code_block(rng))
    blocks.append(f"## {rng.choice(vocabulary.closings)}")
    blocks.append(_paragraph(rng, vocabulary))
    return "\n\n".join(blocks) + "\n"


def _paragraph(rng: random.Random, vocabulary: _Vocabulary) -> str:
    sentences = rng.sample(vocabulary.sentences, rng.randint(3, 6))
    return " ".join(_capitalise(_fill(rng, sentence, vocabulary.slots)) for sentence in sentences)


def _fill(rng: random.Random, sentence: str, slots: dict[str, str]) -> str:
    return sentence.format(**slots, percent=rng.randint(10, 80), number=rng.randint(5, 900))


def _bullet_list(rng: random.Random, vocabulary: _Vocabulary) -> str:
    items = rng.sample(vocabulary.bullets, rng.randint(3, 5))
    return "\n".join(f"- {item}" for item in items)


def _code_block(rng: random.Random) -> str:
    return rng.choice(CODE_BLOCKS)


def _word_count(blocks: Sequence[str]) -> int:
    return sum(len(block.split()) for block in blocks)


# --- Small helpers -------------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return moment.astimezone(UTC)


def _shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _capitalise(phrase: str) -> str:
    return phrase[:1].upper() + phrase[1:]


_SPANISH_CONTRACTIONS = ((re.compile(r"\bde el\b"), "del"), (re.compile(r"\ba el\b"), "al"))


def _spanish(phrase: str) -> str:
    """Apply the contractions "de el" -> "del" and "a el" -> "al"."""
    for pattern, contraction in _SPANISH_CONTRACTIONS:
        phrase = pattern.sub(contraction, phrase)
    return phrase


def _weighted_index(rng: random.Random, weights: Sequence[float]) -> int:
    return rng.choices(range(len(weights)), weights=weights)[0]


def _weighted_choice(rng: random.Random, options: Sequence[tuple[Any, float]]) -> Any:
    return options[_weighted_index(rng, [weight for _, weight in options])][0]


def _weighted_sample(
    rng: random.Random, population: Sequence[int], cum_weights: Sequence[float], count: int
) -> list[int]:
    """`count` distinct items, each drawn with probability proportional to its weight."""
    count = min(count, len(population))
    chosen: list[int] = []
    while len(chosen) < count:
        item = rng.choices(population, cum_weights=cum_weights)[0]
        if item not in chosen:
            chosen.append(item)
    return chosen


# --- Writing -------------------------------------------------------------------------------------


class _Writer:
    """Buffers post and link rows and inserts them in executemany batches."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.posts: list[dict[str, Any]] = []
        self.post_authors: list[dict[str, Any]] = []
        self.post_tags: list[dict[str, Any]] = []
        self.posts_written = 0

    async def add(self, row: dict[str, Any], author_ids: list[int], tag_ids: list[int]) -> None:
        post_id = row["id"]
        self.posts.append(row)
        self.post_authors.extend(
            {"post_id": post_id, "author_id": author_id, "position": position}
            for position, author_id in enumerate(author_ids)
        )
        self.post_tags.extend(
            {"post_id": post_id, "tag_id": tag_id, "position": position}
            for position, tag_id in enumerate(tag_ids)
        )
        if len(self.posts) >= BATCH_SIZE:
            await self.flush()

    async def flush(self) -> None:
        """Posts first, so the links' foreign keys are satisfied."""
        if self.posts:
            await self.conn.execute(insert(Post), self.posts)
            self.posts_written += len(self.posts)
        if self.post_authors:
            await self.conn.execute(insert(PostAuthor), self.post_authors)
        if self.post_tags:
            await self.conn.execute(insert(PostTag), self.post_tags)
        self.posts, self.post_authors, self.post_tags = [], [], []
