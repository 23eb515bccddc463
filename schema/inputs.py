"""Filter and ordering inputs, and their translation into the resolvers' plain dataclasses."""

from datetime import UTC, datetime
from enum import Enum
from typing import TypeVar, cast

import strawberry

from models import PostLevel as PostLevelValue
from models import PostStatus as PostStatusValue
from resolvers import filters
from resolvers.errors import BadUserInput
from resolvers.named import NamedOrderField
from resolvers.posts import PostOrderField as PostOrderValue
from schema.enums import OrderDirection, PostLevel, PostStatus

In = TypeVar("In")

MAX_FILTER_DEPTH = 8
MAX_TEXT_LENGTH = 200
MAX_FILTER_NODES = 50
MAX_FILTER_VALUES = 200


@strawberry.input(description="Match by slugs. Both lists may be given; both must then hold.")
class SlugFilter:
    any_of: list[str] | None = strawberry.field(
        default=None, description="At least one of these slugs."
    )
    all_of: list[str] | None = strawberry.field(
        default=None, description="Every one of these slugs."
    )


@strawberry.input(
    description="A half-open time range: `from` <= value < `to`. Either end is optional."
)
class DateTimeRange:
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Inclusive start (ISO 8601 with time zone)."
    )
    to: datetime | None = strawberry.field(
        default=None, description="Exclusive end (ISO 8601 with time zone)."
    )


@strawberry.input(description="Which posts to list. All given conditions must hold.")
class PostFilter:
    status: list[PostStatus] | None = strawberry.field(
        default=None,
        description="Posts in any of these states; default [PUBLISHED], the live posts. DRAFT "
        "and SCHEDULED need a logged-in editor (or a token with the editor or admin role) and "
        "list only the posts you may read. Only at the top of a filter, not inside `and`, "
        "`or` or `not`.",
    )
    tags: SlugFilter | None = strawberry.field(default=None, description="Posts with these tags.")
    authors: SlugFilter | None = strawberry.field(
        default=None, description="Posts by these authors."
    )
    publications: list[str] | None = strawberry.field(
        default=None, description="Posts from any of these publications (slugs)."
    )
    levels: list[PostLevel] | None = strawberry.field(
        default=None, description="Posts at any of these levels."
    )
    languages: list[str] | None = strawberry.field(
        default=None, description='Posts in any of these languages (BCP 47 codes such as "en").'
    )
    featured: bool | None = strawberry.field(default=None, description="Featured posts, or not.")
    includes_code: bool | None = strawberry.field(
        default=None, description="Posts whose body has code blocks, or not."
    )
    published_at: DateTimeRange | None = strawberry.field(
        default=None, description="Posts published within this range."
    )
    text: str | None = strawberry.field(
        default=None,
        description="Case-insensitive substring of the title, excerpt or body (at most 200 "
        "characters).",
    )
    and_: list["PostFilter"] | None = strawberry.field(
        default=None, name="and", description="Every one of these filters holds."
    )
    or_: list["PostFilter"] | None = strawberry.field(
        default=None, name="or", description="At least one of these filters holds."
    )
    not_: "PostFilter | None" = strawberry.field(
        default=None, name="not", description="This filter does not hold."
    )


@strawberry.input(description="Which authors or tags to list. All given conditions must hold.")
class NameFilter:
    name: str | None = strawberry.field(
        default=None, description="Case-insensitive substring of the name."
    )
    has_published_posts: bool | None = strawberry.field(
        default=None, description="Only those with (or without) published posts."
    )
    and_: list["NameFilter"] | None = strawberry.field(
        default=None, name="and", description="Every one of these filters holds."
    )
    or_: list["NameFilter"] | None = strawberry.field(
        default=None, name="or", description="At least one of these filters holds."
    )
    not_: "NameFilter | None" = strawberry.field(
        default=None, name="not", description="This filter does not hold."
    )


@strawberry.enum(description="What posts can be ordered by; ties are always broken by id.")
class PostOrderField(Enum):
    PUBLISHED_AT = strawberry.enum_value(PostOrderValue.PUBLISHED_AT, description="Publish date.")
    UPDATED_AT = strawberry.enum_value(PostOrderValue.UPDATED_AT, description="Last change.")
    TITLE = strawberry.enum_value(PostOrderValue.TITLE, description="Title, alphabetically.")
    READING_TIME = strawberry.enum_value(
        PostOrderValue.READING_TIME, description="Reading time in minutes."
    )
    RELEVANCE = strawberry.enum_value(
        PostOrderValue.RELEVANCE,
        description="How well a post matches `search` (with `search` only; its default): best "
        "first, then newest first.",
    )


@strawberry.enum(description="What authors and tags can be ordered by; ties are broken by id.")
class NameOrderField(Enum):
    NAME = strawberry.enum_value(NamedOrderField.NAME, description="Name, alphabetically.")
    POST_COUNT = strawberry.enum_value(
        NamedOrderField.POST_COUNT, description="Number of published posts."
    )


@strawberry.input(description="Post ordering. Default: newest published first.")
class PostOrder:
    field: PostOrderField = strawberry.field(
        default=PostOrderField.PUBLISHED_AT, description="The sort key."
    )
    direction: OrderDirection | None = strawberry.field(
        default=None,
        description="Defaults to DESC for dates and relevance, ASC for title and reading time.",
    )


@strawberry.input(description="Author or tag ordering. Default: by name, A to Z.")
class NameOrder:
    field: NameOrderField = strawberry.field(
        default=NameOrderField.NAME, description="The sort key."
    )
    direction: OrderDirection | None = strawberry.field(
        default=None, description="Defaults to ASC for name and DESC for post count."
    )


def post_order(order: PostOrder | None, *, searching: bool = False) -> tuple[PostOrderValue, bool]:
    """(sort key, descending?) with each key's natural direction as the default; a search is
    ordered by relevance unless told otherwise."""
    if order is None:
        return (PostOrderValue.RELEVANCE if searching else PostOrderValue.PUBLISHED_AT), True
    field = PostOrderValue(cast(str, order.field.value))
    if order.direction is None:
        descending = (
            PostOrderValue.PUBLISHED_AT,
            PostOrderValue.UPDATED_AT,
            PostOrderValue.RELEVANCE,
        )
        return field, field in descending
    return field, order.direction is OrderDirection.DESC


def name_order(order: NameOrder | None) -> tuple[NamedOrderField, bool]:
    if order is None:
        return NamedOrderField.NAME, False
    field = NamedOrderField(cast(str, order.field.value))
    if order.direction is None:
        return field, field is NamedOrderField.POST_COUNT
    return field, order.direction is OrderDirection.DESC


def post_filter(value: PostFilter | None) -> filters.PostFilter | None:
    """The filter, or None when it asks nothing (`filter: {}`): lists with no condition take
    the paths built for them (maintained counts, a search's page from its index)."""
    read = None if value is None else _FilterReader().post(value, depth=0)
    return None if read == filters.PostFilter() else read


def name_filter(value: NameFilter | None) -> filters.NamedFilter | None:
    return None if value is None else _FilterReader().named(value, depth=0)


class _FilterReader:
    """Turns filter inputs into the resolvers' dataclasses, refusing filters that are ambiguous
    (empty lists) or too large to compile into a reasonable SQL statement."""

    def __init__(self) -> None:
        self.nodes = 0
        self.values = 0

    def post(self, value: PostFilter, depth: int) -> filters.PostFilter:
        self._enter(depth)
        return filters.PostFilter(
            statuses=self._statuses(value.status, depth),
            tags=self._slugs(value.tags, "tags"),
            authors=self._slugs(value.authors, "authors"),
            publications=self._strings(value.publications, "publications"),
            levels=self._levels(value.levels),
            languages=self._strings(value.languages, "languages"),
            featured=value.featured,
            includes_code=value.includes_code,
            published_at=self._range(value.published_at),
            text=_text(value.text, "text"),
            and_=tuple(self.post(child, depth + 1) for child in self._list(value.and_, "and")),
            or_=tuple(self.post(child, depth + 1) for child in self._list(value.or_, "or")),
            not_=None if value.not_ is None else self.post(value.not_, depth + 1),
        )

    def named(self, value: NameFilter, depth: int) -> filters.NamedFilter:
        self._enter(depth)
        return filters.NamedFilter(
            name=_text(value.name, "name"),
            has_published_posts=value.has_published_posts,
            and_=tuple(self.named(child, depth + 1) for child in self._list(value.and_, "and")),
            or_=tuple(self.named(child, depth + 1) for child in self._list(value.or_, "or")),
            not_=None if value.not_ is None else self.named(value.not_, depth + 1),
        )

    def _enter(self, depth: int) -> None:
        self.nodes += 1
        if depth > MAX_FILTER_DEPTH:
            raise BadUserInput(
                f"Filters may nest `and`/`or`/`not` at most {MAX_FILTER_DEPTH} levels deep.",
                field="filter",
            )
        if self.nodes > MAX_FILTER_NODES:
            raise BadUserInput(
                f"A filter may combine at most {MAX_FILTER_NODES} conditions.", field="filter"
            )

    def _list(self, values: list[In] | None, name: str) -> list[In]:
        if values is None:
            return []
        if not values:
            raise BadUserInput(f"`{name}` needs at least one value.", field=f"filter.{name}")
        self.values += len(values)
        if self.values > MAX_FILTER_VALUES:
            raise BadUserInput(
                f"A filter may list at most {MAX_FILTER_VALUES} values in all.", field="filter"
            )
        return values

    def _strings(self, values: list[str] | None, name: str) -> tuple[str, ...] | None:
        if values is None:
            return None
        return tuple(dict.fromkeys(self._list(values, name)))

    def _levels(self, values: list[PostLevel] | None) -> tuple[PostLevelValue, ...] | None:
        if values is None:
            return None
        levels = (PostLevelValue(cast(str, level.value)) for level in self._list(values, "levels"))
        return tuple(dict.fromkeys(levels))

    def _statuses(
        self, values: list[PostStatus] | None, depth: int
    ) -> tuple[PostStatusValue, ...] | None:
        if values is None:
            return None
        if depth > 0:
            raise BadUserInput(
                "`status` applies to the whole list: give it at the top of the filter, not "
                "inside `and`, `or` or `not`.",
                field="filter.status",
            )
        statuses = (
            PostStatusValue(cast(str, status.value)) for status in self._list(values, "status")
        )
        return tuple(sorted(set(statuses)))

    def _slugs(self, value: SlugFilter | None, name: str) -> filters.SlugMatch | None:
        if value is None:
            return None
        if value.any_of is None and value.all_of is None:
            raise BadUserInput(f"`{name}` needs `anyOf` or `allOf`.", field=f"filter.{name}")
        return filters.SlugMatch(
            any_of=self._strings(value.any_of, f"{name}.anyOf") or (),
            all_of=self._strings(value.all_of, f"{name}.allOf") or (),
        )

    def _range(self, value: DateTimeRange | None) -> filters.DateRange | None:
        if value is None:
            return None
        return filters.DateRange(start=_utc(value.from_), end=_utc(value.to))


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise BadUserInput(
            "`publishedAt` bounds need a time zone, e.g. 2025-01-31T00:00:00Z.",
            field="filter.publishedAt",
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise BadUserInput(
            "`publishedAt` bounds must lie between the years 1 and 9999 in UTC.",
            field="filter.publishedAt",
        ) from None


def _text(value: str | None, name: str) -> str | None:
    if value is not None and len(value) > MAX_TEXT_LENGTH:
        raise BadUserInput(
            f"`{name}` is limited to {MAX_TEXT_LENGTH} characters.", field=f"filter.{name}"
        )
    return value
