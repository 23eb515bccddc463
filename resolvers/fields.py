"""One description per type of its stored fields: GraphQL name, the columns it reads, how its
value is got from a row, its description, and how an editor's input for it is checked.

Everything else reads these: the Strawberry types (`schema.stored`) and their values, the
compiled planner's tables and the columns a plan selects (`schema.compiled`), the columns the
relations statement may carry (`resolvers.loaders`), the mutations' inputs and checks
(`resolvers.validation`), the names in errors and in `changedFields`, and the tests' field
lists. Adding a stored field is a model column, a migration and one entry here (plus its input
field and tests).

Values are got from any row with the named columns: an ORM object, or a row of the direct
reads. Enums are the models' own; GraphQL's enum types serialise them as they are.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from operator import attrgetter
from typing import Any, Literal

from strawberry.relay import to_base64

from models import DeliveryStatus, PostLevel, PostStatus, TagVisibility
from resolvers.visibility import effective_status

Check = Literal["slug", "url", "language", "color"]


def global_id(type_name: str, row_id: int) -> str:
    """The opaque global ID clients know an object by, encoded as Strawberry encodes a Node's
    (base64 of `Type:id`): for the compiled reads, payloads and objects that are not Nodes."""
    return to_base64(type_name, row_id)


def snake(name: str) -> str:
    """`featureImageUrl` -> `feature_image_url`."""
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)


@dataclass(frozen=True)
class Field:
    """One field of a GraphQL object type, as stored."""

    name: str
    """Its GraphQL name."""
    type: Any
    """The Python type of its value (the models' enums for enum types; a `Fields` for an
    object made of this row's columns)."""
    description: str
    columns: tuple[str, ...]
    """The model columns its value is made of."""
    get: Callable[..., Any]
    """`get(row)`, or `get(row, now)` when `live`: its value, before GraphQL serialises it."""
    live: bool = False
    """The value depends on the moment of the request (a scheduled post's status)."""
    node_id: bool = False
    """The row's id, which GraphQL shows as a global ID."""
    input: str | None = None
    """The input field that writes its column (None: editors do not set it directly)."""
    writes: str | None = None
    """The column its input writes, when the value reads several."""
    limit: int | None = None
    """Most characters an input may have."""
    required: bool = False
    """Needed on create, never cleared."""
    not_blank: bool = False
    check: Check | None = None
    """The form its input must have."""

    @cached_property
    def python_name(self) -> str:
        return snake(self.name)

    @property
    def column(self) -> str:
        """The column an editable field writes."""
        if self.writes is not None:
            return self.writes
        (column,) = self.columns
        return column


@dataclass(frozen=True)
class Fields:
    """One object type's stored fields, in the order the schema lists them."""

    type_name: str
    fields: tuple[Field, ...]
    _by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def editable(self) -> tuple[Field, ...]:
        """The fields editors write, those of objects made of this row's columns included."""
        found: list[Field] = []
        for entry in self.fields:
            if isinstance(entry.type, Fields):
                found.extend(entry.type.editable())
            elif entry.input is not None:
                found.append(entry)
        return tuple(found)

    def name_of(self, column: str) -> str:
        """The GraphQL name of a column: its input field's, else its output field's."""
        for entry in self.editable():
            if entry.column == column:
                return entry.input or entry.name
        for entry in self.fields:
            if entry.columns == (column,) and not isinstance(entry.type, Fields):
                return entry.name
        return column


def stored(
    name: str,
    type: Any,
    description: str,
    *,
    column: str | None = None,
    editable: bool = False,
    **checks: Any,
) -> Field:
    """A field whose value is one column as stored; `editable` ones take an input field of the
    same name (the column's, in camelCase)."""
    column = column or snake(name)
    return Field(
        name=name,
        type=type,
        description=description,
        columns=(column,),
        get=attrgetter(column),
        input=(checks.pop("input", None) or name) if editable else None,
        **checks,
    )


def node_id() -> Field:
    return Field(
        name="id",
        type=int,
        description="The global ID.",
        columns=("id",),
        get=attrgetter("id"),
        node_id=True,
    )


def _version() -> Field:
    return stored(
        "version", int, "Changes on every write; send it back with updates so no edit is lost."
    )


def _name() -> Field:
    return stored(
        "name", str, "Display name.", editable=True, limit=200, required=True, not_blank=True
    )


def _slug(used_for: str, limit: int) -> Field:
    description = f"URL-safe unique name; use it for {used_for}."
    return stored("slug", str, description, editable=True, limit=limit, check="slug")


def _status(row: Any, now: datetime) -> PostStatus:
    return effective_status(row.status, row.published_at, now)


def _excerpt(row: Any) -> str | None:
    excerpt: str | None = row.summary or row.excerpt
    return excerpt


def _feature_image(row: Any) -> Any:
    """The row itself when it has a cover image (the Image's fields read it), else None."""
    return row if row.feature_image_url else None


IMAGE = Fields(
    "Image",
    (
        stored(
            "url",
            str,
            "Absolute URL of the image.",
            column="feature_image_url",
            editable=True,
            input="featureImageUrl",
            limit=2_000,
            check="url",
        ),
        stored(
            "alt",
            str | None,
            "Alternative text for screen readers.",
            column="feature_image_alt",
            editable=True,
            input="featureImageAlt",
            limit=500,
        ),
    ),
)

POST = Fields(
    "Post",
    (
        node_id(),
        stored(
            "title", str, "The headline.", editable=True, limit=300, required=True, not_blank=True
        ),
        _slug("the post's URL", 300),
        Field(
            name="excerpt",
            type=str | None,
            description="A short summary for lists and cards: the editor's `summary` when there "
            "is one, else the body's first sentences (or what the editor set as the excerpt).",
            columns=("summary", "excerpt"),
            get=_excerpt,
            input="excerpt",
            writes="excerpt",
            limit=2_000,
        ),
        stored(
            "summary",
            str | None,
            "A summary written by an editor; null when there is none.",
            editable=True,
            limit=2_000,
        ),
        stored(
            "body",
            str,
            "The Markdown source of the post.",
            editable=True,
            limit=500_000,
            required=True,
        ),
        stored("html", str, "The body rendered to sanitised HTML (no scripts or event handlers)."),
        stored("publishedAt", datetime | None, "When the post went live."),
        stored("updatedAt", datetime, "When the post last changed."),
        stored("level", PostLevel | None, "Expected background of the reader.", editable=True),
        stored("readingTime", int, "Estimated minutes to read, derived from the body."),
        stored("includesCode", bool, "Whether the body has code blocks, derived from the body."),
        stored(
            "featured", bool, "Whether editors feature this post.", editable=True, required=True
        ),
        Field(
            name="featureImage",
            type=IMAGE,
            description="The cover image, if any.",
            columns=("feature_image_url", "feature_image_alt"),
            get=_feature_image,
        ),
        stored(
            "language",
            str,
            'BCP 47 language code, such as "en" or "es".',
            editable=True,
            limit=35,
            required=True,
            check="language",
        ),
        stored(
            "canonicalUrl",
            str | None,
            "Where the original lives when this post is a copy.",
            editable=True,
            limit=2_000,
            check="url",
        ),
        stored(
            "metaTitle", str | None, "Title for search engines, if set.", editable=True, limit=300
        ),
        stored(
            "metaDescription",
            str | None,
            "Description for search engines, if set.",
            editable=True,
            limit=500,
        ),
        _version(),
        Field(
            name="status",
            type=PostStatus,
            description="DRAFT, SCHEDULED (goes live at `publishedAt`) or PUBLISHED (live); a "
            "scheduled post reads PUBLISHED from its instant on.",
            columns=("status", "published_at"),
            get=_status,
            live=True,
        ),
    ),
)

AUTHOR = Fields(
    "Author",
    (
        node_id(),
        _name(),
        _slug("the author's page", 200),
        stored(
            "jobTitle",
            str | None,
            'Role, e.g. "Staff Software Engineer".',
            editable=True,
            limit=200,
        ),
        stored("bio", str | None, "A few sentences about the author.", editable=True, limit=2_000),
        stored(
            "avatarUrl",
            str | None,
            "Absolute URL of a portrait.",
            editable=True,
            limit=2_000,
            check="url",
        ),
        stored(
            "website", str | None, "The author's own site.", editable=True, limit=2_000, check="url"
        ),
        stored("createdAt", datetime, "When the profile was created."),
        stored("updatedAt", datetime, "When the profile last changed."),
        _version(),
    ),
)

TAG = Fields(
    "Tag",
    (
        node_id(),
        _name(),
        _slug("the tag's page", 200),
        stored("description", str | None, "What the tag covers.", editable=True, limit=2_000),
        stored("visibility", TagVisibility, "Who sees the tag.", editable=True, required=True),
        stored("createdAt", datetime, "When the tag was created."),
        stored("updatedAt", datetime, "When the tag last changed."),
        _version(),
    ),
)


PUBLICATION = Fields(
    "Publication",
    (
        node_id(),
        _name(),
        _slug("the publication's page", 200),
        stored("description", str | None, "What the publication is.", editable=True, limit=2_000),
        stored(
            "url",
            str | None,
            "The publication's own site.",
            editable=True,
            limit=2_000,
            check="url",
        ),
        stored(
            "logoUrl",
            str | None,
            "Absolute URL of its logo, for an article index to show beside each post.",
            editable=True,
            limit=2_000,
            check="url",
        ),
        stored("createdAt", datetime, "When it was created."),
        stored("updatedAt", datetime, "When it last changed."),
        _version(),
    ),
)

SITE = Fields(
    "Site",
    (
        stored(
            "title",
            str,
            "The site's name, as its header shows it.",
            editable=True,
            limit=200,
            required=True,
            not_blank=True,
        ),
        stored(
            "description", str | None, "A tagline or short description.", editable=True, limit=500
        ),
        stored(
            "url",
            str | None,
            "The public site's address: feeds and the sitemap link each post under it.",
            editable=True,
            limit=2_000,
            check="url",
        ),
        stored(
            "logoUrl",
            str | None,
            "Absolute URL of the logo.",
            editable=True,
            limit=2_000,
            check="url",
        ),
        stored(
            "iconUrl",
            str | None,
            "Absolute URL of a square icon (favicon, app icon).",
            editable=True,
            limit=2_000,
            check="url",
        ),
        stored(
            "accentColor",
            str | None,
            'The brand colour, as #RRGGBB (e.g. "#E60023").',
            editable=True,
            limit=7,
            check="color",
        ),
        stored("updatedAt", datetime, "When the settings last changed."),
        _version(),
    ),
)


# The webhooks' types, as admins read them.


class GlobalId(str):
    """The type of an `id` that is a global ID but no Node's (GraphQL's ID)."""


def object_id(type_name: str, description: str) -> Field:
    return Field(
        name="id",
        type=GlobalId,
        description=description,
        columns=("id",),
        get=lambda row: global_id(type_name, row.id),
    )


def _next_attempt_at(row: Any) -> datetime | None:
    """Due only while the delivery is pending."""
    pending: bool = row.status == DeliveryStatus.PENDING
    return row.next_attempt_at if pending else None


WEBHOOK_ATTEMPT = Fields(
    "WebhookAttempt",
    (
        stored("attempt", int, "1 for the first try."),
        stored("startedAt", datetime, "When it was sent."),
        stored("statusCode", int | None, "The HTTP status; null: no answer."),
        stored("durationMs", int, "How long it took, in milliseconds."),
        stored("error", str | None, "What went wrong, if anything."),
    ),
)

WEBHOOK_DELIVERY = Fields(
    "WebhookDelivery",
    (
        object_id("WebhookDelivery", "Pass it to `redeliverWebhook`."),
        stored("eventType", str, 'e.g. "post.published".'),
        stored(
            "sequence",
            int | None,
            "The event's number in the content event log; null for a test ping.",
            column="event_id",
        ),
        stored(
            "messageId",
            str,
            "The `webhook-id` header: the same on every attempt, for deduplication.",
        ),
        stored("status", DeliveryStatus, "Where the delivery stands."),
        stored("attempts", int, "Attempts made so far."),
        Field(
            name="nextAttemptAt",
            type=datetime | None,
            description="When the next attempt is due, while PENDING.",
            columns=("next_attempt_at", "status"),
            get=_next_attempt_at,
        ),
        stored("lastStatusCode", int | None, "The last attempt's status."),
        stored("lastError", str | None, "The last attempt's error."),
        stored("lastDurationMs", int | None, "The last attempt's duration."),
        stored("createdAt", datetime, "When the delivery was made."),
        stored("completedAt", datetime | None, "When it succeeded or was given up."),
        stored("body", str, "The JSON body sent, the same on every attempt."),
    ),
)

WEBHOOK_ENDPOINT = Fields(
    "WebhookEndpoint",
    (
        object_id("WebhookEndpoint", "The endpoint's ID."),
        stored("url", str, "Where events are POSTed."),
        stored("description", str | None, "What the endpoint is for."),
        stored(
            "eventTypes",
            list[str],
            'What it receives: event types, "post.*" for a family, "*" for all.',
        ),
        stored("active", bool, "Whether events are sent to it."),
        stored(
            "includeUnpublished",
            bool,
            "Whether payloads about what readers cannot see name it (slug, language); "
            "otherwise they carry its ID, visibility and cache keys only.",
        ),
        stored(
            "failingSince",
            datetime | None,
            "Since when every delivery has failed; null while deliveries succeed.",
        ),
        stored("disabledAt", datetime | None, "When it was switched off for failing, if it was."),
        stored("disabledReason", str | None, "Why it was switched off."),
        stored("createdAt", datetime, "When it was created."),
        stored("version", int, "Send it back with changes; stale ones conflict."),
    ),
)
