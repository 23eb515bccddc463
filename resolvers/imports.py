"""Writing content read from another system's export (app.imports) as the API writes it:
validated field by field, with revisions, events (so webhooks, the sync feed and the search
index follow) and cache purges, all in the caller's transaction.

Every object is remembered by its id in the file (`ImportSource`), so importing the same file
again changes only what differs and duplicates nothing. An author or tag whose slug exists
already is taken to be the same one; a post never is (its slug is numbered instead).

Bad items are collected, not raised one by one: the caller decides whether the import is all or
nothing (the default: it rolls back when `report.problems` is not empty) or loads the rest.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    SITE_ID,
    Author,
    ImportSource,
    Post,
    PostAuthor,
    PostPublication,
    PostSlug,
    PostStatus,
    PostTag,
    Publication,
    Site,
    Tag,
    TagVisibility,
)
from resolvers import events, post_editing, publication_editing, validation
from resolvers import site as site_settings
from resolvers.content import render_with_prose, slugify
from resolvers.fields import AUTHOR, PUBLICATION, TAG, snake

BATCH = 500
"""Posts written per round of statements (and per batch of events)."""

MAX_PROBLEMS = 200
"""Problems a report keeps word for word; the rest are counted."""

SITE_OUTCOMES = {
    "updated": "set from the file",
    "unchanged": "as in the file already",
    "kept": "kept (changed in Quire before this import)",
}

ACTOR = "import"
"""Who the revisions of imported posts name."""


@dataclass
class SourceAuthor:
    source_id: str
    name: str
    slug: str | None = None
    bio: str | None = None
    avatar_url: str | None = None
    website: str | None = None


@dataclass
class SourceTag:
    source_id: str
    name: str
    slug: str | None = None
    description: str | None = None
    internal: bool = False


@dataclass(frozen=True)
class Prepared:
    """A body made ready to store: its Markdown, what rendering it gives, its excerpt."""

    body: str
    columns: dict[str, Any]  # html, reading_time, includes_code
    excerpt: str | None


def prepare_body(markdown: str) -> Prepared:
    rendered, text = render_with_prose(markdown)
    return Prepared(markdown, post_editing.columns_of(rendered), post_editing.excerpt_of(text))


@dataclass
class SourcePost:
    """A post as the file has it. Its body is Markdown (`body`), or the HTML it is made from
    (`html`, converted by the importer's `prepare` stage, which may run it elsewhere)."""

    source_id: str
    title: str
    body: str
    status: PostStatus
    slug: str | None = None
    summary: str | None = None
    published_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    language: str = "en"
    featured: bool = False
    feature_image_url: str | None = None
    feature_image_alt: str | None = None
    canonical_url: str | None = None
    meta_title: str | None = None
    meta_description: str | None = None
    author_ids: list[str] = field(default_factory=list)  # source ids, in byline order
    tag_ids: list[str] = field(default_factory=list)  # source ids, primary first
    tags: list[SourceTag] = field(default_factory=list)  # or the tags themselves, likewise
    html: str | None = None
    prepared: Prepared | None = None


@dataclass(frozen=True)
class Note:
    """One item of a report: what (kind and id in the file) and why."""

    kind: str
    source_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id}: {self.message}"


@dataclass
class ImportReport:
    counts: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> outcome -> n
    skipped: list[Note] = field(default_factory=list)  # left out by design (pages, trash)
    adjusted: list[Note] = field(default_factory=list)  # imported with a change, said why
    problems: list[Note] = field(default_factory=list)  # invalid: not imported
    more_problems: int = 0

    def count(self, kind: str, outcome: str) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += 1

    def problem(self, kind: str, source_id: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Note(kind, source_id, message))
        else:
            self.more_problems += 1

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def summary(self) -> str:
        lines = []
        for outcome in self.counts.get("site", ()):
            lines.append(f"site settings: {SITE_OUTCOMES[outcome]}")
        for outcome in self.counts.get("publication", ()):
            lines.append(f"publication: {outcome}")
        for kind in ("author", "tag", "post"):
            counts = self.counts.get(kind, Counter())
            parts = [f"{counts[o]} {o}" for o in ("created", "updated", "unchanged") if counts[o]]
            if counts["invalid"]:
                parts.append(f"{counts['invalid']} invalid")
            lines.append(f"{kind}s: {', '.join(parts) or 'none'}")
        if self.skipped:
            lines.append(f"skipped: {len(self.skipped)}")
        return "\n".join(lines)


class Importer:
    """One import into one transaction. Call `authors`, `tags`, then `posts` (which may be a
    stream: it is written in batches and never held whole)."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        origin: str,
        now: datetime,
        publication: str | None = None,
        prepare: Callable[[Iterator[SourcePost]], Iterator[SourcePost]] | None = None,
    ) -> None:
        """`origin` names the system (and site) the ids in the file belong to; a reader may
        make it more precise before it writes anything. `publication`: the slug of the
        publication every imported post belongs to (made from the old site's settings when
        there is none), for a site that gathers several blogs; the old site's settings then
        describe it rather than this site."""
        self.session = session
        self.origin = origin
        self.now = now
        self.publication_slug = publication
        self.publication_id: int | None = None
        self.prepare = prepare or _prepared_here
        self.report = ImportReport()
        self._authors: dict[str, int] = {}
        self._tags: dict[str, int] = {}
        self._rejected: set[tuple[str, str]] = set()  # (kind, source id) found invalid

    def skip(self, kind: str, source_id: str, reason: str) -> None:
        self.report.skipped.append(Note(kind, source_id, reason))

    def adjust(self, kind: str, source_id: str, message: str) -> None:
        self.report.adjusted.append(Note(kind, source_id, message))

    def problem(self, kind: str, source_id: str, message: str) -> None:
        self.report.problem(kind, source_id, message)
        self.report.count(kind, "invalid")

    async def authors(self, items: Iterable[SourceAuthor]) -> None:
        for item in items:
            values = {
                "name": item.name.strip(),
                "bio": item.bio,
                "avatar_url": item.avatar_url,
                "website": item.website,
            }
            found = validation.problems(values, AUTHOR.editable(), creating=False)
            if found:
                self._reject("author", item.source_id, found)
                continue
            row = await self._named(Author, "author", item.source_id, item.slug, values)
            self._authors[item.source_id] = row

    async def tags(self, items: Iterable[SourceTag]) -> None:
        for item in items:
            visibility = TagVisibility.INTERNAL if item.internal else TagVisibility.PUBLIC
            values = {
                "name": item.name.strip(),
                "description": item.description,
                "visibility": visibility,
            }
            found = validation.problems(values, TAG.editable(), creating=False)
            if found:
                self._reject("tag", item.source_id, found)
                continue
            self._tags[item.source_id] = await self._named(
                Tag, "tag", item.source_id, item.slug, values
            )

    async def site(self, values: dict[str, Any]) -> None:
        """The old site's settings (by column) become Quire's, if nobody changed those since
        Quire was installed; a setting that is not valid is left out. With a publication, they
        describe it instead."""
        if self.publication_slug is not None:
            await self._publication(values)
            return
        row = await self.session.get(Site, SITE_ID)
        if row is None or row.version != 1:
            self.report.count("site", "kept")
            return
        wanted = {column: value for column, value in values.items() if value not in (None, "", [])}
        for field_name, message in site_settings.problems(wanted):
            column = next(c for c in wanted if field_name.startswith(site_settings.field_name(c)))
            wanted.pop(column, None)
            self.adjust("site", "settings", f"{field_name} is left out: {message}")
        changed = [column for column, value in wanted.items() if getattr(row, column) != value]
        if not changed:
            self.report.count("site", "unchanged")
            return
        for column in changed:
            setattr(row, column, wanted[column])
        row.version += 1
        row.updated_at = self.now
        await self.session.flush()
        names = [site_settings.field_name(c) for c in changed]
        await events.record(self.session, [site_settings.site_event(row, names)], self.now)
        self.report.count("site", "updated")

    async def _publication(self, site: dict[str, Any]) -> None:
        slug = self.publication_slug
        found = await self.session.scalar(select(Publication).where(Publication.slug == slug))
        if found is not None:
            self.publication_id = found.id
            self.report.count("publication", "unchanged")
            return
        values = {
            "name": (site.get("title") or slug or "").strip()[:200],
            "description": site.get("description") or None,
            "url": site.get("url") or None,
            "logo_url": site.get("logo_url") or None,
        }
        for field_name, message in validation.problems(
            values, PUBLICATION.editable(), creating=True
        ):
            values[snake(field_name)] = None
            self.adjust("publication", str(slug), f"{field_name} is left out: {message}")
        if not values["name"]:
            values["name"] = slug
        if slug is None or not validation.SLUG.fullmatch(slug):
            self.problem(
                "publication", str(slug), "Slugs use lowercase letters, digits and single hyphens."
            )
            return
        publication = Publication(
            **values, slug=slug, version=1, created_at=self.now, updated_at=self.now
        )
        self.session.add(publication)
        await self.session.flush()
        self.publication_id = publication.id
        self.report.count("publication", "created")
        created = events.publication_event("publication.created", publication)
        await events.record(self.session, [created], self.now)

    def has_tag(self, source_id: str) -> bool:
        return source_id in self._tags

    async def posts(self, items: Iterable[SourcePost]) -> None:
        stream = self.prepare(iter(items))
        while batch := list(islice(stream, BATCH)):
            await self._post_batch(batch)
            self.session.expunge_all()  # a stream of any length, in bounded memory

    def _reject(self, kind: str, source_id: str, found: Sequence[tuple[str, str]]) -> None:
        self._rejected.add((kind, source_id))
        self.problem(kind, source_id, "; ".join(message for _, message in found))

    async def _named(
        self,
        model: type[Author] | type[Tag],
        kind: str,
        source_id: str,
        slug: str | None,
        values: dict[str, Any],
    ) -> int:
        """The id of the author or tag `source_id` names, written with `values`."""
        row = await self._mapped(model, kind, source_id)
        if row is None and slug and (wanted := slugify(slug)):
            row = await self.session.scalar(select(model).where(model.slug == wanted))
            if row is not None:
                self._remember(kind, source_id, row.id)
        if row is None:
            slug_source = slug if slug and slugify(slug) else values["name"]
            row = model(**values, slug=await self._free_slug(model, slug_source), version=1)
            row.created_at = row.updated_at = self.now
            self.session.add(row)
            await self.session.flush()
            self._remember(kind, source_id, row.id)
            self.report.count(kind, "created")
            await events.record(self.session, [_named_event(kind, row, "created")], self.now)
            return int(row.id)
        changed = [key for key, value in values.items() if getattr(row, key) != value]
        if not changed:
            self.report.count(kind, "unchanged")
            return int(row.id)
        was_visible = events.tag_is_public(row) if kind == "tag" else None
        for key in changed:
            setattr(row, key, values[key])
        row.version += 1
        row.updated_at = self.now
        await self.session.flush()
        self.report.count(kind, "updated")
        names = [(AUTHOR if kind == "author" else TAG).name_of(key) for key in changed]
        event = _named_event(kind, row, "updated", changed=names, was_visible=was_visible)
        await events.record(self.session, [event], self.now)
        return int(row.id)

    async def _mapped(self, model: Any, kind: str, source_id: str) -> Any:
        object_id = await self.session.scalar(
            select(ImportSource.object_id).where(
                ImportSource.origin == self.origin,
                ImportSource.kind == kind,
                ImportSource.source_id == source_id,
            )
        )
        if object_id is None:
            return None
        row = await self.session.get(model, object_id)
        if row is None:  # deleted since the last import: made again, under the same source id
            await self._forget(kind, [source_id])
        return row

    def _remember(self, kind: str, source_id: str, object_id: int) -> None:
        self.session.add(
            ImportSource(origin=self.origin, kind=kind, source_id=source_id, object_id=object_id)
        )

    async def _forget(self, kind: str, source_ids: Sequence[str]) -> None:
        await self.session.execute(
            delete(ImportSource).where(
                ImportSource.origin == self.origin,
                ImportSource.kind == kind,
                ImportSource.source_id.in_(source_ids),
            )
        )

    async def _free_slug(self, model: type[Author] | type[Tag], source: str) -> str:
        async def taken(slug: str) -> bool:
            return await self.session.scalar(select(model.id).where(model.slug == slug)) is not None

        return await validation.unique_slug(
            None, source, taken=taken, fallback=model.__tablename__[:-1], length=200
        )

    async def _post_batch(self, batch: list[SourcePost]) -> None:
        """One round of statements for up to BATCH posts: those seen before are updated where
        they differ; the new ones are inserted together."""
        by_source = await self._existing_posts([item.source_id for item in batch])
        links = await self._links(list(by_source.values()))
        recorded: list[events.Event] = []
        new: list[tuple[SourcePost, dict[str, Any], Linked]] = []
        for item in batch:
            values = self._post_values(item)
            if values is None:
                continue
            wanted = await self._wanted_links(item)
            post = by_source.get(item.source_id)
            if post is None:
                new.append((item, values, wanted))
                continue
            before = post_editing.snapshot(post)
            was_visible = events.post_is_live(post, self.now)
            current = links.get(post.id) or Linked([], [], None)
            if wanted.publication is None:  # without --publication, a post keeps its own
                wanted.publication = current.publication
            changed = self._update_post(post, values, current, wanted)
            if changed is None:
                self.report.count("post", "unchanged")
                continue
            self.report.count("post", "updated")
            if changed:
                await self._link(post.id, wanted, replace=True)
            changed |= set(post_editing.changed_fields(before, post_editing.snapshot(post)))
            recorded.append(
                events.post_event(
                    "post.updated", post, self.now, changed=sorted(changed), was_visible=was_visible
                )
            )
            self._revision(post)
        for post, wanted in await self._create_posts(new):
            recorded += _created_events(post, self.now)
            await self._link(post.id, wanted, replace=False)
            self._revision(post)
        await self.session.flush()
        await events.record(self.session, recorded, self.now)

    async def _wanted_links(self, item: SourcePost) -> "Linked":
        known = self._tags.keys() | {source for kind, source in self._rejected if kind == "tag"}
        if unknown := [tag for tag in item.tags if tag.source_id not in known]:
            await self.tags(unknown)
        tag_sources = [*item.tag_ids, *(tag.source_id for tag in item.tags)]
        return Linked(
            self._related(item, item.author_ids, self._authors, "author"),
            self._related(item, tag_sources, self._tags, "tag"),
            self.publication_id,
        )

    async def _existing_posts(self, source_ids: list[str]) -> dict[str, Post]:
        mapped = dict(
            (
                await self.session.execute(
                    select(ImportSource.source_id, ImportSource.object_id).where(
                        ImportSource.origin == self.origin,
                        ImportSource.kind == "post",
                        ImportSource.source_id.in_(source_ids),
                    )
                )
            ).all()
        )
        posts = {
            post.id: post
            for post in await self.session.scalars(
                select(Post).where(Post.id.in_(list(mapped.values())))
            )
        }
        if gone := [source for source, post_id in mapped.items() if post_id not in posts]:
            await self._forget("post", gone)
        return {source: posts[post_id] for source, post_id in mapped.items() if post_id in posts}

    async def _links(self, posts: list[Post]) -> dict[int, "Linked"]:
        ids = [post.id for post in posts]
        found = {post_id: Linked([], [], None) for post_id in ids}
        for post_id, author_id in await self.session.execute(
            select(PostAuthor.post_id, PostAuthor.author_id)
            .where(PostAuthor.post_id.in_(ids))
            .order_by(PostAuthor.post_id, PostAuthor.position)
        ):
            found[post_id].authors.append(author_id)
        for post_id, tag_id in await self.session.execute(
            select(PostTag.post_id, PostTag.tag_id)
            .where(PostTag.post_id.in_(ids))
            .order_by(PostTag.post_id, PostTag.position)
        ):
            found[post_id].tags.append(tag_id)
        for post_id, publication_id in await self.session.execute(
            select(PostPublication.post_id, PostPublication.publication_id).where(
                PostPublication.post_id.in_(ids)
            )
        ):
            found[post_id].publication = publication_id
        return found

    def _post_values(self, item: SourcePost) -> dict[str, Any] | None:
        """The columns `item` writes, or None (reported) when a field is invalid."""
        prepared = item.prepared or prepare_body(item.body)
        values: dict[str, Any] = {
            "title": item.title.strip(),
            "summary": item.summary or None,
            "body": prepared.body,
            "language": item.language,
            "featured": item.featured,
            "feature_image_url": item.feature_image_url,
            "feature_image_alt": item.feature_image_alt,
            "canonical_url": item.canonical_url,
            "meta_title": item.meta_title,
            "meta_description": item.meta_description,
        }
        found = validation.problems(values, post_editing.EDITABLE, creating=True)
        if item.status is not PostStatus.DRAFT and item.published_at is None:
            found.append(("publishedAt", "A published or scheduled post needs its date."))
        if found:
            self._reject("post", item.source_id, found)
            return None
        values.update(prepared.columns)
        values["excerpt"] = prepared.excerpt
        status = item.status
        if status is PostStatus.PUBLISHED and item.published_at and item.published_at > self.now:
            status = PostStatus.SCHEDULED  # dated in the future: it goes live then
        values["status"] = status
        values["published_at"] = item.published_at
        return values

    def _related(
        self, item: SourcePost, source_ids: list[str], known: dict[str, int], kind: str
    ) -> list[int]:
        ids = []
        for source_id in dict.fromkeys(source_ids):
            if source_id in known:
                ids.append(known[source_id])
            else:
                self.adjust("post", item.source_id, f"its {kind} {source_id} is not in the import")
        return ids[: post_editing.MAX_RELATIONS]

    async def _create_posts(
        self, new: list[tuple[SourcePost, dict[str, Any], "Linked"]]
    ) -> list[tuple[Post, "Linked"]]:
        """Insert the new posts in one flush, each under its own slug if it is free (else a
        numbered one, reported)."""
        wanted = [slugify(item.slug) if item.slug else "" for item, _, _ in new]
        taken = await self._taken_slugs([slug for slug in wanted if slug])
        created = []
        for (item, values, linked), slug in zip(new, wanted, strict=True):
            if not slug or slug in taken:
                slug = await self._free_post_slug(item, slug, taken)
            taken.add(slug)
            moment = item.created_at or item.published_at or self.now
            post = Post(
                **values,
                slug=slug,
                version=1,
                created_at=moment,
                updated_at=max(item.updated_at or moment, moment),
            )
            self.session.add(post)
            created.append((item, post, linked))
        await self.session.flush()
        for item, post, _ in created:
            self._remember("post", item.source_id, post.id)
            self.report.count("post", "created")
        return [(post, linked) for _, post, linked in created]

    async def _taken_slugs(self, slugs: list[str]) -> set[str]:
        if not slugs:
            return set()
        found = await self.session.scalars(
            select(Post.slug)
            .where(Post.slug.in_(slugs))
            .union(select(PostSlug.slug).where(PostSlug.slug.in_(slugs)))
        )
        return set(found)

    async def _free_post_slug(self, item: SourcePost, wanted: str, batch: set[str]) -> str:
        async def taken(slug: str) -> bool:
            return slug in batch or bool(await self._taken_slugs([slug]))

        slug = await validation.unique_slug(
            None, wanted or item.title, taken=taken, fallback="post", length=280
        )
        if wanted and slug != wanted:
            self.adjust("post", item.source_id, f"slug {wanted!r} is taken; it is {slug!r}")
        return slug

    def _update_post(
        self, post: Post, values: dict[str, Any], current: "Linked", wanted: "Linked"
    ) -> set[str] | None:
        """Apply what differs; the relations that changed (`authors`, `tags`, `publication`),
        or None and no write when nothing did."""
        columns = [key for key, value in values.items() if getattr(post, key) != value]
        relations = current.differences(wanted)
        if not columns and not relations:
            return None
        for key in columns:
            setattr(post, key, values[key])
        post.version += 1
        post.updated_at = self.now
        return relations

    async def _link(self, post_id: int, linked: "Linked", *, replace: bool) -> None:
        if replace:
            await self.session.execute(delete(PostAuthor).where(PostAuthor.post_id == post_id))
            await self.session.execute(delete(PostTag).where(PostTag.post_id == post_id))
        self.session.add_all(
            PostAuthor(post_id=post_id, author_id=author_id, position=position)
            for position, author_id in enumerate(linked.authors)
        )
        self.session.add_all(
            PostTag(post_id=post_id, tag_id=tag_id, position=position)
            for position, tag_id in enumerate(linked.tags)
        )
        if replace:
            await publication_editing.set_publication(self.session, post_id, linked.publication)
        elif linked.publication is not None:
            self.session.add(PostPublication(post_id=post_id, publication_id=linked.publication))

    def _revision(self, post: Post) -> None:
        self.session.add(post_editing.revision_of(post, editor_id=None, actor=ACTOR, now=self.now))


@dataclass
class Linked:
    """A post's bylines and tags (ids, in order) and publication."""

    authors: list[int]
    tags: list[int]
    publication: int | None

    def differences(self, other: "Linked") -> set[str]:
        return {
            name
            for name in ("authors", "tags", "publication")
            if getattr(self, name) != getattr(other, name)
        }


def _prepared_here(items: Iterator[SourcePost]) -> Iterator[SourcePost]:
    """Bodies given as Markdown, prepared in this process (an importer of HTML passes its own
    stage)."""
    for item in items:
        if item.html is not None and item.prepared is None:
            raise ValueError("an HTML body needs the importer's `prepare` stage")
        yield item


def _created_events(post: Post, now: datetime) -> list[events.Event]:
    """`post.created`, then what an editor's publish would have told: `post.published` for a
    live post, `post.scheduled` for a future one."""
    told = [events.post_event("post.created", post, now)]
    if post.status is PostStatus.SCHEDULED:
        told.append(events.post_event("post.scheduled", post, now, was_visible=False))
    elif events.post_is_live(post, now):
        told.append(events.post_event("post.published", post, now, was_visible=False))
    return told


def _named_event(
    kind: str, row: Author | Tag, verb: str, *, changed: Sequence[str] = (), **extra: Any
) -> events.Event:
    if isinstance(row, Tag):
        return events.tag_event(f"tag.{verb}", row, changed=changed, **extra)
    return events.author_event(f"author.{verb}", row, changed=changed)


__all__ = [
    "ImportReport",
    "Importer",
    "Note",
    "SourceAuthor",
    "SourcePost",
    "SourceTag",
]
