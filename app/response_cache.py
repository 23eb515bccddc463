"""A cache of complete GraphQL responses for anonymous reads, in this process or in Redis.

What is cached: the serialised body of a query sent without an `Authorization` header whose
result is complete (data, no errors) and was allowed by the rate limiter, with its ETag and its
cost. Mutations, authenticated requests and results with errors are never stored, so an editor
who sees drafts can never leak them to readers; nor are documents with a `previewToken`, whose
answers must stop when the token expires.

The key is computed before any GraphQL work: the digest of the normalised document (comments,
whitespace and commas dropped, so documents that differ only in layout share entries: see
`schema.document`), the operation name and the variables with sorted keys. A lookup is one
hash and a dictionary access.

Invalidation is by generation: entries live under the generation current when their request
started, and every mutation sent by an editor moves to the next one before its response goes
out, so a reader who reloads after an editor's save never sees the old text. Capturing the
generation before executing matters: a read that overlapped the write is stored under the old
generation, which nobody reads any more. Anonymous mutations (`login`, or writes refused for
want of a token) cannot change content, so they do not invalidate, and a flood of them cannot
empty the cache. Writes made outside the API (`quire demo load`, SQL by hand) invalidate
nothing: restart the workers or wait for the TTL.

Expiry: an entry lives `ttl_seconds` at most, and never past the instant the next scheduled post
goes live, because the anonymous view changes then with no write at all. That instant is asked
of the database at most once per generation, and again once it has passed.

`MemoryResponseStore` keeps entries in one process (least recently used evicted), so it is only
correct with one worker: `create_response_cache` turns the cache off when `QUIRE_WORKERS` > 1
without Redis. `RedisResponseStore` shares entries and the generation between every worker and
host; a lookup is one round trip (a Lua script reads the generation and the entry together).
Its entry keys are built inside the script, so it needs a single Redis server, not a cluster.
When Redis fails, requests execute uncached: a cache outage never fails a request.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from graphql import (
    OperationType,
)
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.redis_client import Outage, connect
from app.settings import Settings
from resolvers import schedule
from resolvers.lru import LRU
from schema.document import Document

logger = logging.getLogger("quire.cache")

MAX_CACHED_BODY = 1_000_000  # bytes; larger answers are rare and would crowd out the rest

# KEYS[1] the generation counter; ARGV the entry key prefix, the entry's hash, and "1" to bump
# the generation first (an invalidation that failed while Redis was unreachable).
# Returns {generation, entry or nil}.
_LOOKUP_SCRIPT = """
if ARGV[3] == '1' then redis.call('INCR', KEYS[1]) end
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])}
"""


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    etag: str
    cost: int
    """Charged to the client's rate limit on every hit, as if the query ran."""
    expires_at: float
    """POSIX seconds on the app's clock."""


@dataclass(frozen=True)
class Lookup:
    key: str
    generation: int | None
    """The generation the result must be stored under; None when the store could not tell."""
    hit: CachedResponse | None


class ResponseStore(Protocol):
    async def get(self, key: str) -> tuple[int | None, CachedResponse | None]:
        """The current generation and the entry stored under it for `key`, if any."""
        ...

    async def put(self, key: str, generation: int, entry: CachedResponse, ttl: float) -> None:
        """Store `entry` unless `generation` is no longer current."""
        ...

    async def invalidate(self) -> None: ...

    async def close(self) -> None: ...


class MemoryResponseStore:
    """Entries in this process, the least recently used evicted beyond `max_entries`.
    Nothing here awaits, so every operation is atomic under asyncio."""

    def __init__(self, *, max_entries: int) -> None:
        self._entries: LRU[str, CachedResponse] = LRU(max_entries)
        self._generation = 0

    async def get(self, key: str) -> tuple[int | None, CachedResponse | None]:
        return self._generation, self._entries.get(key)

    async def put(self, key: str, generation: int, entry: CachedResponse, ttl: float) -> None:
        if generation == self._generation:
            self._entries.put(key, entry)

    async def invalidate(self) -> None:
        self._generation += 1
        self._entries.clear()

    async def close(self) -> None:
        self._entries.clear()


class RedisResponseStore:
    """Entries under `{prefix}rc:{generation}:{key}` with a PX expiry, and the shared generation
    counter `{prefix}rc:generation`. An invalidation that fails while Redis is unreachable is
    remembered and done by the next lookup that reaches it."""

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._generation_key = f"{prefix}rc:generation"
        self._entry_prefix = f"{prefix}rc:"
        self._lookup = redis.register_script(_LOOKUP_SCRIPT)
        self._outage = Outage(logger, "the response cache; executing every request")
        self._pending_invalidation = False

    async def get(self, key: str) -> tuple[int | None, CachedResponse | None]:
        if self._outage.ongoing:
            return None, None
        bump = self._pending_invalidation
        try:
            generation, value = await self._lookup(
                keys=[self._generation_key], args=[self._entry_prefix, key, "1" if bump else "0"]
            )
        except RedisError as error:
            self._outage.record(error)
            return None, None
        if bump:
            self._pending_invalidation = False
        return int(generation), None if value is None else _decode(value)

    async def put(self, key: str, generation: int, entry: CachedResponse, ttl: float) -> None:
        if self._outage.ongoing:
            return
        name = f"{self._entry_prefix}{generation}:{key}"
        try:
            await self._redis.set(name, _encode(entry), px=max(1, round(ttl * 1000)))
        except RedisError as error:
            self._outage.record(error)

    async def invalidate(self) -> None:
        try:
            await self._redis.incr(self._generation_key)
        except RedisError as error:
            self._pending_invalidation = True
            self._outage.record(error)
            return
        self._pending_invalidation = False

    async def close(self) -> None:
        await self._redis.aclose()


class ResponseCache:
    """Looks responses up, stores them with their expiry, and invalidates them on writes."""

    def __init__(self, store: ResponseStore, *, ttl_seconds: float) -> None:
        self.backend = store
        self.ttl_seconds = ttl_seconds
        self._schedule: tuple[int, datetime | None] | None = None

    async def lookup(
        self,
        document: Document,
        *,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        now: datetime,
    ) -> Lookup | None:
        """The entry for an anonymous request, or None when its response cannot be cached
        (not a query, or not `cacheable`)."""
        if document.node is None or not document.cacheable:
            return None
        if document.operation_type(operation_name) != OperationType.QUERY:
            return None
        try:
            request = orjson.dumps([operation_name, variables or None], option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            return None
        key = hashlib.sha256(document.digest + request).hexdigest()
        generation, entry = await self.backend.get(key)
        if entry is not None and entry.expires_at <= now.timestamp():
            entry = None
        return Lookup(key=key, generation=generation, hit=entry)

    async def store(
        self,
        lookup: Lookup,
        *,
        body: bytes,
        etag: str,
        cost: int,
        now: datetime,
        session_factory: async_sessionmaker[AsyncSession],
    ) -> None:
        """Keep a complete response; `now` must be the instant its query ran at."""
        if lookup.generation is None or len(body) > MAX_CACHED_BODY:
            return
        try:
            upcoming = await self._next_publication(lookup.generation, now, session_factory)
        except (SQLAlchemyError, OSError):
            return  # the response is already made; it is just not kept
        expires_at = now.timestamp() + self.ttl_seconds
        if upcoming is not None:
            expires_at = min(expires_at, upcoming.timestamp())
        entry = CachedResponse(body=body, etag=etag, cost=cost, expires_at=expires_at)
        await self.backend.put(lookup.key, lookup.generation, entry, expires_at - now.timestamp())

    async def invalidate(self) -> None:
        """After an editor's mutation: it may have changed any content."""
        await self.backend.invalidate()

    async def close(self) -> None:
        await self.backend.close()

    async def _next_publication(
        self, generation: int, now: datetime, session_factory: async_sessionmaker[AsyncSession]
    ) -> datetime | None:
        known = self._schedule
        if known is not None and known[0] == generation and (known[1] is None or known[1] > now):
            return known[1]
        async with session_factory() as session:
            upcoming = await schedule.next_publication(session, now=now)
        self._schedule = (generation, upcoming)
        return upcoming


def create_response_cache(settings: Settings) -> ResponseCache | None:
    """The cache the settings ask for: in Redis when `redis_url` is set, in this process
    otherwise, or None when it is off (or unsafe: several workers and no Redis)."""
    if not settings.response_cache:
        return None
    if settings.workers > 1 and settings.redis_url is None:
        logger.warning(
            "Response cache off: %d workers cannot invalidate each other's in-process caches; "
            "set QUIRE_REDIS_URL to share one.",
            settings.workers,
        )
        return None
    store: ResponseStore
    if settings.redis_url is None:
        store = MemoryResponseStore(max_entries=settings.response_cache_max_entries)
    else:
        store = RedisResponseStore(connect(settings.redis_url), prefix=settings.redis_prefix)
    return ResponseCache(store, ttl_seconds=settings.response_cache_ttl_seconds)


def etag_for(body: bytes) -> str:
    """A strong validator: any change to the body changes it."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """`If-None-Match` names `etag` (weak comparison, as RFC 9110 wants for this header)."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def _encode(entry: CachedResponse) -> bytes:
    return f"{entry.cost} {entry.expires_at!r} {entry.etag}\n".encode() + entry.body


def _decode(value: bytes) -> CachedResponse:
    header, _, body = value.partition(b"\n")
    cost, expires_at, etag = header.decode().split(" ")
    return CachedResponse(body=body, etag=etag, cost=int(cost), expires_at=float(expires_at))
