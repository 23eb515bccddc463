"""Filter and ordering inputs, and their translation into the resolvers' plain dataclasses."""

from collections.abc import Callable, Iterator
from datetime import datetime
from enum import Enum
from typing import TypeVar, cast

import strawberry

from models import PostLevel as PostLevelValue
from resolvers import filters
from resolvers.errors import BadUserInput
from resolvers.named import NamedOrderField
from resolvers.posts import PostOrderField as PostOrderValue
from schema.enums import OrderDirection, PostLevel

In = TypeVar("In")
Out = TypeVar("Out")

MAX_FILTER_DEPTH = 8
MAX_TEXT_LENGTH = 200
MAX_LIST_LENGTH = 100


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
    tags: SlugFilter | None = strawberry.field(default=None, description="Posts with these tags.")
    authors: SlugFilter | None = strawberry.field(
        default=None, description="Posts by these authors."
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
        description="Defaults to DESC for dates and ASC for title and reading time.",
    )


@strawberry.input(description="Author or tag ordering. Default: by name, A to Z.")
class NameOrder:
    field: NameOrderField = strawberry.field(
        default=NameOrderField.NAME, description="The sort key."
    )
    direction: OrderDirection | None = strawberry.field(
        default=None, description="Defaults to ASC for name and DESC for post count."
    )


def post_order(order: PostOrder | None) -> tuple[PostOrderValue, bool]:
    """(sort key, descending?) with each key's natural direction as the default."""
    if order is None:
        return PostOrderValue.PUBLISHED_AT, True
    field = PostOrderValue(cast(str, order.field.value))
    if order.direction is None:
        return field, field in (PostOrderValue.PUBLISHED_AT, PostOrderValue.UPDATED_AT)
    return field, order.direction is OrderDirection.DESC


def name_order(order: NameOrder | None) -> tuple[NamedOrderField, bool]:
    if order is None:
        return NamedOrderField.NAME, False
    field = NamedOrderField(cast(str, order.field.value))
    if order.direction is None:
        return field, field is NamedOrderField.POST_COUNT
    return field, order.direction is OrderDirection.DESC


def post_filter(value: PostFilter | None, depth: int = 0) -> filters.PostFilter | None:
    if value is None:
        return None
    _check_depth(depth)
    if value.text is not None and len(value.text) > MAX_TEXT_LENGTH:
        raise BadUserInput(
            f"`text` is limited to {MAX_TEXT_LENGTH} characters.", field="filter.text"
        )
    published_at = None
    if value.published_at is not None:
        published_at = filters.DateRange(start=value.published_at.from_, end=value.published_at.to)
        for bound in (published_at.start, published_at.end):
            if bound is not None and bound.tzinfo is None:
                raise BadUserInput(
                    "`publishedAt` bounds need a time zone, e.g. 2025-01-31T00:00:00Z.",
                    field="filter.publishedAt",
                )
    return filters.PostFilter(
        tags=_slugs(value.tags, "tags"),
        authors=_slugs(value.authors, "authors"),
        levels=_levels(value.levels),
        languages=_tuple(value.languages, "languages"),
        featured=value.featured,
        includes_code=value.includes_code,
        published_at=published_at,
        text=value.text,
        and_=tuple(_children(value.and_, post_filter, depth)),
        or_=tuple(_children(value.or_, post_filter, depth)),
        not_=post_filter(value.not_, depth + 1),
    )


def name_filter(value: NameFilter | None, depth: int = 0) -> filters.NamedFilter | None:
    if value is None:
        return None
    _check_depth(depth)
    if value.name is not None and len(value.name) > MAX_TEXT_LENGTH:
        raise BadUserInput(
            f"`name` is limited to {MAX_TEXT_LENGTH} characters.", field="filter.name"
        )
    return filters.NamedFilter(
        name=value.name,
        has_published_posts=value.has_published_posts,
        and_=tuple(_children(value.and_, name_filter, depth)),
        or_=tuple(_children(value.or_, name_filter, depth)),
        not_=name_filter(value.not_, depth + 1),
    )


def _children(
    values: list[In] | None, convert: Callable[[In, int], Out | None], depth: int
) -> Iterator[Out]:
    for child in values or ():
        converted = convert(child, depth + 1)
        if converted is not None:
            yield converted


def _levels(values: list[PostLevel] | None) -> tuple[PostLevelValue, ...] | None:
    if values is None:
        return None
    return tuple(dict.fromkeys(PostLevelValue(cast(str, level.value)) for level in values))


def _check_depth(depth: int) -> None:
    if depth > MAX_FILTER_DEPTH:
        raise BadUserInput(
            f"Filters may nest `and`/`or`/`not` at most {MAX_FILTER_DEPTH} levels deep.",
            field="filter",
        )


def _slugs(value: SlugFilter | None, name: str) -> filters.SlugMatch | None:
    if value is None:
        return None
    return filters.SlugMatch(
        any_of=_tuple(value.any_of, name) or (), all_of=_tuple(value.all_of, name) or ()
    )


def _tuple(values: list[str] | None, name: str) -> tuple[str, ...] | None:
    if values is None:
        return None
    if len(values) > MAX_LIST_LENGTH:
        raise BadUserInput(
            f"`{name}` takes at most {MAX_LIST_LENGTH} values.", field=f"filter.{name}"
        )
    return tuple(dict.fromkeys(values))
