"""Webhook endpoints and the durable delivery of content events to them.

Events become deliveries by a fan-out that reads the event log after the `webhooks` cursor, one
delivery per matching active endpoint, in one transaction with the cursor's move (so each event
is fanned out once, whichever process does it). A delivery is claimed for an attempt by setting
`claimed_until` in a conditional UPDATE (on PostgreSQL over rows locked with SKIP LOCKED), so one
process at a time attempts it; a process that dies mid-attempt leaves a claim that expires, and
the delivery is attempted again with the same message id. Attempts follow `RETRY_SCHEDULE`.
"""

import base64
import json
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ContentEvent,
    DeliveryStatus,
    EventCursor,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from resolvers import validation
from resolvers.accounts import Viewer, check_admin_reader
from resolvers.errors import BadUserInput, Rejected
from resolvers.events import EVENT_TYPES
from resolvers.fields import global_id
from resolvers.permissions import require_admin

if TYPE_CHECKING:
    from resolvers.context import Context

RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
"""Waits after each failed attempt (about 28 hours in all, with ±20% jitter); after the last,
the delivery has failed. A `Retry-After` longer than the wait is honoured."""
MAX_RETRY_AFTER = timedelta(hours=24)
CLAIM = timedelta(seconds=60)
"""How long an attempt may take before another process may try the delivery again (the
request's own timeout is 10 s)."""
PING = "webhook.ping"
MAX_EVENT_TYPES = 50
FAN_OUT_BATCH = 500


@dataclass(frozen=True)
class Outcome:
    """What one attempt got."""

    status_code: int | None
    error: str | None
    duration_ms: int
    retry_after: timedelta | None = None
    final: bool = False
    """Retrying cannot help (the target may not be sent to)."""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        """Connection errors, timeouts, 5xx, 408 and 429 are worth another try; other 4xx are
        the receiver's answer, and would be again."""
        code = self.status_code
        return not self.final and (code is None or code >= 500 or code in (408, 429))


@dataclass(frozen=True)
class Claimed:
    """A delivery claimed for one attempt, with what sending it needs."""

    delivery_id: int
    attempt: int
    url: str
    secret: str
    message_id: str
    body: str


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def matches(subscribed: Sequence[str], event_type: str) -> bool:
    """`post.published` matches itself, `post.*` and `*`; a ping reaches every endpoint."""
    if event_type == PING:
        return True
    family = event_type.split(".", 1)[0]
    return any(entry in ("*", event_type, f"{family}.*") for entry in subscribed)


def check_event_types(event_types: Sequence[str]) -> list[str]:
    families = {event_type.split(".", 1)[0] for event_type in EVENT_TYPES}
    known = {*EVENT_TYPES, "*", *(f"{family}.*" for family in families)}
    if not event_types:
        raise Rejected("invalid", "Subscribe to at least one event type.", field="eventTypes")
    if len(event_types) > MAX_EVENT_TYPES:
        raise Rejected("invalid", f"At most {MAX_EVENT_TYPES} event types.", field="eventTypes")
    unknown = [event_type for event_type in event_types if event_type not in known]
    if unknown:
        shown = unknown[0][:60]
        raise Rejected(
            "invalid",
            f"Unknown event type {shown!r}; use one of {', '.join(sorted(known))}.",
            field="eventTypes",
        )
    return list(dict.fromkeys(event_types))


def check_url(url: str) -> str:
    """An http(s) URL with a host name that can be looked up and a valid port, without
    credentials (which would be sent to whoever answers)."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = (parts.hostname or "").encode("idna")
    except (ValueError, UnicodeError):
        raise Rejected("invalid", "`url` must be an http or https URL.", field="url") from None
    if len(url) > 2_000 or not validation.is_web_url(url) or not host or port == 0:
        raise Rejected("invalid", "`url` must be an http or https URL.", field="url")
    if parts.username is not None or parts.password is not None:
        raise Rejected("invalid", "`url` may not hold a user name or password.", field="url")
    return url


async def create_endpoint(
    session: AsyncSession,
    *,
    viewer: Viewer,
    url: str,
    event_types: Sequence[str],
    description: str | None,
    active: bool,
    include_unpublished: bool,
    now: datetime,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown this once)."""
    require_admin(viewer, "manage webhooks")
    if description is not None and len(description) > 200:
        raise Rejected(
            "invalid", "`description` is limited to 200 characters.", field="description"
        )
    secret = new_secret()
    endpoint = WebhookEndpoint(
        url=check_url(url),
        event_types=check_event_types(event_types),
        description=description,
        secret=secret,
        active=active,
        include_unpublished=include_unpublished,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def update_endpoint(
    session: AsyncSession,
    *,
    viewer: Viewer,
    endpoint_id: int,
    version: int,
    values: dict[str, Any],
    now: datetime,
    rotate_secret: bool = False,
) -> tuple[WebhookEndpoint, str | None]:
    """Change what `values` names (url, event_types, description, active,
    include_unpublished); switching an endpoint on again forgets its failures. A new secret,
    when asked for, is returned this once."""
    require_admin(viewer, "manage webhooks")
    endpoint = await load_endpoint(session, endpoint_id)
    if endpoint.version != version:
        raise Rejected(
            "conflict",
            f"This endpoint changed since version {version}; it is at version "
            f"{endpoint.version} now.",
            field="version",
            current_version=endpoint.version,
        )
    values = dict(values)
    if "url" in values:
        values["url"] = check_url(values["url"])
    if "event_types" in values:
        values["event_types"] = check_event_types(values["event_types"])
    if values.get("description") is not None and len(values["description"]) > 200:
        raise Rejected(
            "invalid", "`description` is limited to 200 characters.", field="description"
        )
    if values.get("active"):
        values |= {"failing_since": None, "disabled_at": None, "disabled_reason": None}
    secret = new_secret() if rotate_secret else None
    if secret is not None:
        values["secret"] = secret
    for name, value in values.items():
        setattr(endpoint, name, value)
    endpoint.version += 1
    endpoint.updated_at = now
    await session.flush()
    return endpoint, secret


async def delete_endpoint(
    session: AsyncSession, *, viewer: Viewer, endpoint_id: int, version: int
) -> None:
    require_admin(viewer, "manage webhooks")
    endpoint = await load_endpoint(session, endpoint_id)
    if endpoint.version != version:
        raise Rejected(
            "conflict",
            f"This endpoint is at version {endpoint.version} now.",
            field="version",
            current_version=endpoint.version,
        )
    await session.delete(endpoint)
    await session.flush()


async def load_endpoint(session: AsyncSession, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise Rejected("not_found", "There is no webhook endpoint with this ID.", field="id")
    return endpoint


async def ping(
    session: AsyncSession, *, viewer: Viewer, endpoint_id: int, now: datetime
) -> WebhookDelivery:
    """A `webhook.ping` delivery to the endpoint, sent like any other (active or not)."""
    require_admin(viewer, "manage webhooks")
    endpoint = await load_endpoint(session, endpoint_id)
    message_id = _message_id()
    body = _body(PING, now, {"endpoint": endpoint.id})
    delivery = _delivery(endpoint.id, None, PING, message_id, body, now)
    session.add(delivery)
    await session.flush()
    return delivery


async def redeliver(
    session: AsyncSession, *, viewer: Viewer, delivery_id: int, now: datetime
) -> WebhookDelivery:
    """Send a delivery again now, with its message id and body: a receiver that processed it
    already can tell."""
    require_admin(viewer, "manage webhooks")
    delivery = await session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise Rejected("not_found", "There is no delivery with this ID.", field="id")
    if delivery.claimed_until is not None and delivery.claimed_until > now:
        raise Rejected("invalid", "This delivery is being sent right now.", field="id")
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0  # a fresh set of retries
    delivery.next_attempt_at = now
    delivery.claimed_until = None
    delivery.completed_at = None
    await session.flush()
    return delivery


async def fan_out(session: AsyncSession, *, now: datetime) -> int:
    """Deliveries for the events after the `webhooks` cursor (a batch of them), and the cursor
    moved past them; the number of events read."""
    last = await session.scalar(
        select(EventCursor.last_event_id).where(EventCursor.name == "webhooks").with_for_update()
    )
    assert last is not None  # made by the migration
    found = list(
        await session.scalars(
            select(ContentEvent)
            .where(ContentEvent.id > last)
            .order_by(ContentEvent.id)
            .limit(FAN_OUT_BATCH)
        )
    )
    if not found:
        return 0
    # The cursor moves only from where this process read it: on SQLite the reads above take no
    # lock, and another process may have fanned these events out meanwhile. The UPDATE is the
    # transaction's first write, so it takes SQLite's write lock and checks under it.
    moved = await session.execute(
        update(EventCursor)
        .where(EventCursor.name == "webhooks", EventCursor.last_event_id == last)
        .values(last_event_id=found[-1].id)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        return 0
    endpoints = list(await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active)))
    for event in found:
        for endpoint in endpoints:
            if matches(endpoint.event_types, event.type):
                body = _body(event.type, event.occurred_at, _data(event, endpoint))
                delivery = _delivery(endpoint.id, event.id, event.type, _message_id(), body, now)
                session.add(delivery)
    await session.flush()
    return len(found)


def _message_id() -> str:
    """Random, so ids never repeat, even after a database is restored or reset."""
    return f"msg_{secrets.token_hex(16)}"


async def claim(
    session: AsyncSession, *, now: datetime, limit: int, hold: timedelta = CLAIM
) -> list[Claimed]:
    """Pending deliveries whose attempt is due and that nobody holds, each claimed for one
    attempt (its `attempts` counted now, so a crash mid-attempt still counts it)."""
    available = (
        WebhookDelivery.status == DeliveryStatus.PENDING,
        WebhookDelivery.next_attempt_at <= now,
        (WebhookDelivery.claimed_until.is_(None)) | (WebhookDelivery.claimed_until < now),
    )
    due = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(*available, WebhookEndpoint.active)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(of=WebhookDelivery, skip_locked=True)
    candidates = list(await session.scalars(due))
    if not candidates:
        return []
    # Checked again by the UPDATE: on SQLite the SELECT took no lock, and another process may
    # have claimed some of them meanwhile.
    claimed = await session.scalars(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(candidates), *available)
        .values(claimed_until=now + hold, attempts=WebhookDelivery.attempts + 1)
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(claimed)
    if not ids:
        return []
    rows = await session.execute(
        select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.id)
        .execution_options(populate_existing=True)
    )
    return [
        Claimed(delivery.id, delivery.attempts, url, secret, delivery.message_id, delivery.body)
        for delivery, url, secret in rows
    ]


async def record_attempt(
    session: AsyncSession,
    *,
    claimed: Claimed,
    outcome: Outcome,
    started_at: datetime,
    now: datetime,
    disable_after: timedelta,
    rng: random.Random | None = None,
) -> DeliveryStatus:
    """The attempt in the log, the delivery's next state, and the endpoint's health: one that
    keeps failing for `disable_after` is switched off."""
    delivery = await session.get(WebhookDelivery, claimed.delivery_id, with_for_update=True)
    if delivery is None:  # its endpoint was deleted meanwhile
        return DeliveryStatus.FAILED
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempt=claimed.attempt,
            started_at=started_at,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
        )
    )
    if delivery.attempts != claimed.attempt or delivery.status is not DeliveryStatus.PENDING:
        # Another attempt has started since (this one outlived its claim), or a redelivery
        # was asked for: the log keeps this attempt, the delivery's state is the newer one's.
        await session.flush()
        return delivery.status
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    delivery.last_duration_ms = outcome.duration_ms
    delivery.claimed_until = None
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    assert endpoint is not None  # deliveries go with their endpoint
    if outcome.succeeded or not outcome.retryable:
        # The endpoint answered (a final 4xx is an answer): it is not failing.
        endpoint.failing_since = None
    if outcome.succeeded:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.completed_at = now
    else:
        wait = _next_wait(claimed.attempt, outcome, rng or random.Random())
        if wait is None:
            delivery.status = DeliveryStatus.FAILED
            delivery.completed_at = now
        else:
            delivery.next_attempt_at = now + wait
        if outcome.retryable:
            endpoint.failing_since = endpoint.failing_since or started_at
        if (
            endpoint.active
            and endpoint.failing_since is not None
            and now - endpoint.failing_since >= disable_after
        ):
            endpoint.active = False
            endpoint.disabled_at = now
            endpoint.disabled_reason = (
                f"Every delivery failed for {_hours(now - endpoint.failing_since)}; "
                f"the last: {outcome.error or f'HTTP {outcome.status_code}'}."
            )
    await session.flush()
    return delivery.status


def _next_wait(attempt: int, outcome: Outcome, rng: random.Random) -> timedelta | None:
    """How long until the next attempt after attempt number `attempt` (1: the first), or None
    when there is none."""
    if not outcome.retryable or attempt > len(RETRY_SCHEDULE):
        return None
    wait = RETRY_SCHEDULE[attempt - 1] * rng.uniform(0.8, 1.2)
    if outcome.retry_after is not None:
        wait = max(wait, min(outcome.retry_after, MAX_RETRY_AFTER))
    return wait


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours >= 2 else f"{span.total_seconds():.0f} seconds"


def _delivery(
    endpoint_id: int,
    event_id: int | None,
    event_type: str,
    message_id: str,
    body: str,
    now: datetime,
) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint_id=endpoint_id,
        event_id=event_id,
        event_type=event_type,
        message_id=message_id,
        body=body,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


def _body(event_type: str, at: datetime, data: dict[str, Any]) -> str:
    """The Standard Webhooks payload: type, timestamp and data."""
    payload = {"type": event_type, "timestamp": at.isoformat().replace("+00:00", "Z"), "data": data}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


def _data(event: ContentEvent, endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the payload says of the event's object. About something readers cannot see (and
    could not before), only its identity and cache keys, unless the endpoint's admin asked
    for more."""
    data = dict(event.data)
    for key, type_name in (("mergedInto", "Tag"), ("reassignedTo", "Author")):
        if data.get(key) is not None:
            data[key] = global_id(type_name, data[key])
    if not (data.get("visible") or endpoint.include_unpublished):
        # Hidden from readers now. What they saw before (an unpublished post's slug, so a site
        # can drop its page) may be named; nothing that changed while hiding it may.
        was_seen = data.get("wasVisible") and not {"slug", "name"} & set(
            data.get("changedFields", [])
        )
        if not was_seen:
            data = {k: data[k] for k in ("visible", "wasVisible", "cacheKeys") if k in data}
    return {
        "sequence": event.id,
        "objectType": event.object_type,
        "id": global_id(event.object_type.title(), event.object_id),
        **data,
    }


# Reads, for admins.
MAX_LISTED_DELIVERIES = 100


async def list_endpoints(ctx: "Context") -> list[WebhookEndpoint]:
    check_admin_reader(ctx.viewer)
    async with ctx.reader() as session:
        return list(await session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


async def get_endpoint(ctx: "Context", endpoint_id: int) -> WebhookEndpoint | None:
    check_admin_reader(ctx.viewer)
    async with ctx.reader() as session:
        return await session.get(WebhookEndpoint, endpoint_id)


async def list_deliveries(
    ctx: "Context", *, endpoint_id: int, first: int, status: DeliveryStatus | None
) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first."""
    check_admin_reader(ctx.viewer)
    if not 1 <= first <= MAX_LISTED_DELIVERIES:
        raise BadUserInput(f"`first` must be 1 to {MAX_LISTED_DELIVERIES}.", field="first")
    statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    async with ctx.reader() as session:
        return list(
            await session.scalars(statement.order_by(WebhookDelivery.id.desc()).limit(first))
        )


async def attempts_of(ctx: "Context", delivery_id: int) -> list[WebhookAttempt]:
    check_admin_reader(ctx.viewer)
    async with ctx.reader() as session:
        return list(
            await session.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == delivery_id)
                .order_by(WebhookAttempt.attempt)
            )
        )
