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

Purges are by key (see resolvers.cache_keys): an entry is kept with the keys of what its answer
read, and a write purges the entries of the keys its events name, before its response goes out,
so a reader who reloads after an editor's save never sees the old text, while pages that showed
nothing the write changed stay cached. A read that overlapped the write must not store what it
read before the write: every purge takes the next number of a purge sequence and marks its keys
with it; a request notes the sequence before it executes, and its answer is refused if any of
its keys was purged since (checked and stored in one atomic step). Anonymous mutations (`login`,
or writes refused for want of a token) change no content and purge nothing.

Other processes' writes (`quire worker` publishing a scheduled post, `quire import ghost`, another
worker or host) reach the cache through the event log: each process follows it
(app.event_listener) and purges what the events after the store's position name (`catch_up`),
and a lookup that finds the store behind the events the process has heard of serves nothing
until it has caught up. Writes that record no event (`quire demo load`, SQL by hand) purge
nothing: `quire cache purge` empties the cache.

Expiry: an entry lives `ttl_seconds` at most, and never past the instant the next scheduled post
goes live, because the anonymous view changes then with no write at all; the background job that
then records the post's events purges their keys like a write (a sync answer of "nothing new"
stored in between is out of date once the event is there). That instant is asked
of the database at most once per purge, and again once it has passed.

`MemoryResponseStore` keeps entries in one process (least recently used evicted), so it is only
correct with one worker: `create_response_cache` turns the cache off when `QUIRE_WORKERS` > 1
without Redis. `RedisResponseStore` shares entries, key sets and the purge sequence between
every worker and host; a lookup is one round trip, a store one script, a purge one script. Its
scripts build key names themselves, so it needs a single Redis server, not a cluster.
When Redis fails, requests execute uncached: a cache outage never fails a request.
"""

import hashlib
import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import orjson
from graphql import OperationType
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.database import in_memory
from app.redis_client import Outage, connect
from app.settings import Settings
from resolvers import cache_keys, schedule
from resolvers.lru import LRU
from schema.document import Document

logger = logging.getLogger("quire.cache")

MAX_CACHED_BODY = 1_000_000  # bytes; larger answers are rare and would crowd out the rest
PURGE_MARK_SECONDS = 600
"""How long a purge's marks are remembered (in Redis; by count in memory)."""
MAX_EXECUTION_SECONDS = PURGE_MARK_SECONDS / 2
"""An answer that took longer is not stored: marks it would be checked against may be gone."""
MEMORY_PURGE_MARKS = 100_000

# KEYS: the purge sequence, the flush generation, the event log position purged through, the
# newest event a purge named. ARGV: the key prefix, the entry's hash, "1" to flush everything
# first (a purge that failed while Redis was unreachable), "2" to also forget the log position
# and the newest event. Returns {sequence, entry or nil, position or -1, newest or -1}.
_LOOKUP_SCRIPT = """
if ARGV[3] ~= '0' then redis.call('SET', KEYS[2], redis.call('INCR', KEYS[1])) end
if ARGV[3] == '2' then redis.call('DEL', KEYS[3], KEYS[4]) end
local generation = redis.call('GET', KEYS[2]) or '0'
local entry = redis.call('GET', ARGV[1] .. 'e:' .. generation .. ':' .. ARGV[2])
return {redis.call('GET', KEYS[1]) or '0', entry, redis.call('GET', KEYS[3]) or '-1',
        redis.call('GET', KEYS[4]) or '-1'}
"""

# KEYS: the purge sequence, the flush generation. ARGV: the key prefix, the sequence the request
# started at, the entry's hash, its value, its lifetime (ms), the time now (ms), its cache keys.
# Stores nothing (returns 0) if a flush or a purge of one of its keys came after the start. A
# key's entries are a sorted set scored by their expiry: expired ones are trimmed at each store,
# and the set lives as long as its longest-lived entry.
_STORE_SCRIPT = """
local since = tonumber(ARGV[2])
local generation = redis.call('GET', KEYS[2]) or '0'
if tonumber(generation) > since then return 0 end
for i = 7, #ARGV do
  local mark = redis.call('GET', ARGV[1] .. 'p:' .. ARGV[i])
  if mark and tonumber(mark) > since then return 0 end
end
local entry = ARGV[1] .. 'e:' .. generation .. ':' .. ARGV[3]
local lifetime = tonumber(ARGV[5])
redis.call('SET', entry, ARGV[4], 'PX', lifetime)
for i = 7, #ARGV do
  local members = ARGV[1] .. 'k:' .. ARGV[i]
  redis.call('ZADD', members, tonumber(ARGV[6]) + lifetime, entry)
  redis.call('ZREMRANGEBYSCORE', members, '-inf', ARGV[6])
  if redis.call('PTTL', members) < lifetime then redis.call('PEXPIRE', members, lifetime) end
end
return 1
"""

# Both purging scripts: with ARGV[1] the key prefix, ARGV[2] the marks' lifetime (ms) and the
# cache keys from ARGV[5], mark each key with `sequence` and drop its entries.
_PURGE_KEYS = """
for i = 5, #ARGV do
  redis.call('SET', ARGV[1] .. 'p:' .. ARGV[i], sequence, 'PX', ARGV[2])
  local members = ARGV[1] .. 'k:' .. ARGV[i]
  local entries = redis.call('ZRANGE', members, 0, -1)
  for j = 1, #entries, 500 do
    redis.call('UNLINK', unpack(entries, j, math.min(j + 499, #entries)))
  end
  redis.call('DEL', members)
end
"""

# KEYS: the purge sequence, the position purged through, the newest event a purge named. ARGV:
# the key prefix, the marks' lifetime (ms), the first and last ids of the events whose keys
# these are ("-": unknown), the cache keys. The position moves to the last id when it stood just
# before the first (writes can purge out of commit order); the newest, whenever it is later.
_PURGE_SCRIPT = (
    """
local sequence = redis.call('INCR', KEYS[1])
if ARGV[3] ~= '-' then
  local through = tonumber(redis.call('GET', KEYS[2]) or '-1')
  if through == tonumber(ARGV[3]) - 1 then redis.call('SET', KEYS[2], ARGV[4]) end
  if tonumber(redis.call('GET', KEYS[3]) or '-1') < tonumber(ARGV[4]) then
    redis.call('SET', KEYS[3], ARGV[4])
  end
end
"""
    + _PURGE_KEYS
    + """
return sequence
"""
)


@dataclass(frozen=True)
class CachedResponse:
    body: bytes
    etag: str
    cost: int
    """Charged to the client's rate limit on every hit, as if the query ran."""
    expires_at: float
    """POSIX seconds on the app's clock."""
    keys: tuple[str, ...]
    """The cache keys of what it read (resolvers.cache_keys), sorted."""


class Stored(NamedTuple):
    """What a store holds for one lookup."""

    sequence: int | None
    """The purge sequence now; None when the store could not tell (an outage)."""
    entry: CachedResponse | None
    through: int | None
    """The event id the store's purges have reached, every event up to it included (-1: none
    yet; None: unknown)."""
    newest: int = -1
    """The newest event id a purge named: its write's response may have gone out, so no read
    may come from a replica without it (app.replicas)."""


@dataclass(frozen=True)
class Lookup:
    key: str
    since: int | None
    """The purge sequence when the request started; None when the store could not tell."""
    hit: CachedResponse | None
    started: float
    """time.monotonic() at the lookup."""
    acknowledged: int = 0
    """The newest event whose write purged the store, so may have answered (0: unknown)."""


class ResponseStore(Protocol):
    follows_log: bool
    """Whether other processes' writes reach it through the event log (app.event_listener)."""

    async def get(self, key: str) -> Stored:
        """The entry stored under `key`, if any, and where the store's purges stand."""
        ...

    async def catch_up(self, log: "EventLog") -> None:
        """Purge what the events the store has not purged yet name."""
        ...

    async def put(self, key: str, since: int, entry: CachedResponse, ttl: float) -> None:
        """Store `entry` unless one of its keys was purged (or all were) after `since`."""
        ...

    async def purge(self, keys: Collection[str], events: tuple[int, int] | None = None) -> bool:
        """Whether it was made (not left for later by an outage); `events`: the first and
        last ids of the events that named `keys`, when known."""
        ...

    async def purge_all(self) -> bool: ...

    async def close(self) -> None: ...


class MemoryResponseStore:
    """Entries in this process, the least recently used evicted beyond `max_entries`, and the
    entries of each cache key. Nothing here awaits, so every operation is atomic under asyncio."""

    def __init__(self, *, max_entries: int, follows_log: bool = True) -> None:
        """`follows_log`: other processes may write (app.event_listener); not so with an
        in-memory SQLite database, which no other connection sees."""
        self.follows_log = follows_log
        self._entries: LRU[str, CachedResponse] = LRU(max_entries, on_evict=self._unindex)
        self._entries_of: dict[str, set[str]] = {}
        self._sequence = 0
        self._marks: LRU[str, int] = LRU(MEMORY_PURGE_MARKS, on_evict=self._forget_mark)
        self._floor = 0
        """Every purge whose marks were forgotten came at or before it."""
        self._through = -1 if follows_log else 0
        """The event id purged through; -1 until the log's listener has started: until then
        nothing is served or kept, since events committed before its start would never be
        purged."""
        self._newest = -1

    async def get(self, key: str) -> Stored:
        if self._through < 0:
            return Stored(None, None, self._through)
        return Stored(self._sequence, self._entries.get(key), self._through, self._newest)

    async def put(self, key: str, since: int, entry: CachedResponse, ttl: float) -> None:
        if since < self._floor or any((self._marks.get(k) or 0) > since for k in entry.keys):
            return
        self._remove(key)
        self._entries.put(key, entry)
        if key in self._entries:
            for cache_key in entry.keys:
                self._entries_of.setdefault(cache_key, set()).add(key)

    async def purge(self, keys: Collection[str], events: tuple[int, int] | None = None) -> bool:
        if events is not None:
            if self._through == events[0] - 1:
                self._through = events[1]
            self._newest = max(self._newest, events[1])
        self._sequence += 1
        for cache_key in keys:
            self._marks.put(cache_key, self._sequence)
            for key in self._entries_of.pop(cache_key, ()):
                self._remove(key)
        return True

    async def purge_all(self) -> bool:
        self._sequence += 1
        self._floor = self._sequence
        self._entries.clear()
        self._entries_of.clear()
        self._marks.clear()
        return True

    async def catch_up(self, log: "EventLog") -> None:
        """Purge what the events after `through` name: other processes' writes (`quire
        worker` publishing a scheduled post, `quire import ghost`, the CLI), which this process
        hears of only through the log. Everything when those events are no longer known."""
        target = log.known_id
        if target is None or self._through >= target:
            return
        keys = log.keys_between(self._through, target) if self._through >= 0 else None
        if keys is None:
            await self.purge_all()
        else:
            await self.purge(keys)
        self._through = target

    async def close(self) -> None:
        await self.purge_all()

    def _remove(self, key: str) -> None:
        entry = self._entries.pop(key)
        if entry is not None:
            self._unindex(key, entry)

    def _unindex(self, key: str, entry: CachedResponse) -> None:
        for cache_key in entry.keys:
            members = self._entries_of.get(cache_key)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._entries_of[cache_key]

    def _forget_mark(self, _cache_key: str, sequence: int) -> None:
        self._floor = max(self._floor, sequence)


class RedisResponseStore:
    """Under `{prefix}rc:`: `seq` (the purge sequence), `flushed` (the sequence of the last
    flush: the entries' generation), `e:{generation}:{hash}` (entries, with a PX expiry),
    `k:{cache key}` (the entries of a key, scored by expiry) and `p:{cache key}` (the sequence
    of its last purge, remembered for PURGE_MARK_SECONDS). A purge that fails while Redis is
    unreachable becomes a flush, made by the next lookup that reaches it."""

    follows_log = True  # shared by processes, hosts and their restarts

    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}rc:"
        self._counters = [f"{self._prefix}seq", f"{self._prefix}flushed"]
        self._through = f"{self._prefix}through"
        self._newest = f"{self._prefix}newest"
        self._lookup = redis.register_script(_LOOKUP_SCRIPT)
        self._catch_up = redis.register_script(_CATCH_UP_SCRIPT)
        self._store = redis.register_script(_STORE_SCRIPT)
        self._purge = redis.register_script(_PURGE_SCRIPT)
        self._outage = Outage(logger, "the response cache; executing every request")
        self._failed = 0
        """Purges that failed (Redis unreachable): while a flush that began after the last of
        them has not been made, the next lookup that reaches Redis flushes everything first."""
        self._flushed = 0
        """How many of them the flushes made so far came after."""

    async def get(self, key: str) -> Stored:
        if self._outage.ongoing:
            return Stored(None, None, None)
        failed = self._failed
        flush = failed > self._flushed
        try:
            sequence, value, through, newest = await self._lookup(
                keys=[*self._counters, self._through, self._newest],
                args=[self._prefix, key, "1" if flush else "0"],
            )
        except RedisError as error:
            self._outage.record(error)
            return Stored(None, None, None)
        if flush:  # not the purges that failed while it was on its way
            self._flushed = max(self._flushed, failed)
        entry = None if value is None else _decode(value)
        return Stored(int(sequence), entry, int(through), int(newest))

    async def catch_up(self, log: "EventLog") -> None:
        """Bring `through` up to the log: purge the keys of the events after it (several
        workers may try at once: the script lets one win), or flush everything when those
        events are no longer known, or when Redis lost `through` (emptied, or restored from a
        dump without it). A Redis that comes back from a dump made before a write thus loses
        what the write made stale, whichever worker made it."""
        if self._outage.ongoing:
            return
        for _ in range(3):
            target = log.last_id
            try:
                raw = await self._redis.get(self._through)
                through = int(raw) if raw is not None else -1
                if through >= target:
                    return
                keys = log.keys_between(through, target) if through >= 0 else None
                start = "-" if keys is None else str(through)
                marks = PURGE_MARK_SECONDS * 1000
                done = await self._catch_up(
                    keys=[*self._counters, self._through],
                    args=[self._prefix, marks, start, target, *sorted(keys or ())],
                )
            except RedisError as error:
                self._outage.record(error)
                return
            if int(done) >= 0:
                return

    async def put(self, key: str, since: int, entry: CachedResponse, ttl: float) -> None:
        if self._outage.ongoing:
            return
        lifetime = max(1, round(ttl * 1000))
        args: list[str | int | bytes] = [self._prefix, since, key, _encode(entry), lifetime]
        args += [round(time.time() * 1000), *entry.keys]
        try:
            await self._store(keys=self._counters, args=args)
        except RedisError as error:
            self._outage.record(error)

    async def purge(self, keys: Collection[str], events: tuple[int, int] | None = None) -> bool:
        first, last = events if events is not None else ("-", "-")
        try:
            await self._purge(
                keys=[self._counters[0], self._through, self._newest],
                args=[self._prefix, PURGE_MARK_SECONDS * 1000, first, last, *sorted(keys)],
            )
        except RedisError as error:
            self._failed += 1
            self._outage.record(error)
            return False
        return True

    async def purge_all(self) -> bool:
        """Flush everything, and forget how far the purges followed the event log (the next
        lookup flushes once more, then follows it from where it stands): after a database is
        restored or recreated, its event ids start again below that position."""
        failed = self._failed
        try:
            await self._lookup(
                keys=[*self._counters, self._through, self._newest], args=[self._prefix, "-", "2"]
            )
        except RedisError as error:
            self._failed += 1
            self._outage.record(error)
            return False
        self._flushed = max(self._flushed, failed)
        return True

    async def close(self) -> None:
        await self._redis.aclose()


# KEYS: the purge sequence, the flush generation, the position purged through. ARGV: the key
# prefix, the marks' lifetime (ms), the position the keys were gathered from ("-": none, flush
# everything), the position to reach, the cache keys of the events in between. Returns 1 when
# it purged, 0 when Redis was there already, -1 when it moved since the keys were gathered.
_CATCH_UP_SCRIPT = (
    """
local through = tonumber(redis.call('GET', KEYS[3]) or '-1')
local target = tonumber(ARGV[4])
if through >= target then return 0 end
if ARGV[3] == '-' or through < 0 then
  redis.call('SET', KEYS[2], redis.call('INCR', KEYS[1]))
elseif through ~= tonumber(ARGV[3]) then
  return -1
else
  local sequence = redis.call('INCR', KEYS[1])
"""
    + _PURGE_KEYS
    + """
end
redis.call('SET', KEYS[3], target)
return 1
"""
)


class EventLog(Protocol):
    """What the response cache needs of the event log's listener (app.event_listener)."""

    @property
    def last_id(self) -> int: ...

    @property
    def known_id(self) -> int | None:
        """`last_id`, or None before the listener started."""
        ...

    def keys_between(self, after: int, through: int) -> set[str] | None:
        """The cache keys the events after `after` up to `through` name; None when they are
        no longer known (only a flush is safe then)."""
        ...


class ResponseCache:
    """Looks responses up, stores them with their keys and expiry, and purges them on writes."""

    def __init__(self, store: ResponseStore, *, ttl_seconds: float) -> None:
        self.backend = store
        self.ttl_seconds = ttl_seconds
        self.log: EventLog | None = None
        self._schedule: tuple[int, datetime | None] | None = None

    @property
    def follows_log(self) -> bool:
        return self.backend.follows_log

    def follow(self, log: EventLog) -> None:
        """Serve an entry only when the store has purged what every event this process has
        seen names (see RedisResponseStore.catch_up)."""
        self.log = log

    async def catch_up(self) -> None:
        """After the log moved: purge what its new events name, unless done already."""
        if self.log is not None:
            await self.backend.catch_up(self.log)

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
        return await self.lookup_key(key, now=now)

    async def lookup_key(self, key: str, *, now: datetime) -> Lookup:
        """The entry kept under `key` (a GraphQL answer's digest, or another anonymous read's
        own key such as a feed's)."""
        since, entry, through, newest = await self.backend.get(key)
        if entry is not None and entry.expires_at <= now.timestamp():
            entry = None
        if through is not None and self.log is not None and through < self.log.last_id:
            # The store missed purges: events of other processes it has not followed yet, or
            # Redis restarted from a dump. Catch up first.
            entry = None
            await self.backend.catch_up(self.log)
        acknowledged = max(through or 0, newest, 0)
        return Lookup(
            key=key, since=since, hit=entry, started=time.monotonic(), acknowledged=acknowledged
        )

    async def store(
        self,
        lookup: Lookup,
        *,
        body: bytes,
        etag: str,
        cost: int,
        keys: Collection[str],
        now: datetime,
        session_factory: async_sessionmaker[AsyncSession],
    ) -> None:
        """Keep a complete response and the keys of what it read; `now` must be the instant its
        query ran at."""
        if lookup.since is None or len(body) > MAX_CACHED_BODY:
            return
        if time.monotonic() - lookup.started > MAX_EXECUTION_SECONDS:
            return
        try:
            upcoming = await self._next_publication(lookup.since, now, session_factory)
        except (SQLAlchemyError, OSError):
            return  # the response is already made; it is just not kept
        expires_at = now.timestamp() + self.ttl_seconds
        if upcoming is not None:
            expires_at = min(expires_at, upcoming.timestamp())
        entry = CachedResponse(
            body=body, etag=etag, cost=cost, expires_at=expires_at, keys=tuple(keys)
        )
        await self.backend.put(lookup.key, lookup.since, entry, expires_at - now.timestamp())

    async def purge(self, keys: Collection[str], events: tuple[int, int] | None = None) -> bool:
        """After a write: the entries that read what it changed (`events`: the first and last
        ids of the events that named them, when known, so that following the log does not
        purge them again). Whether it was made now (an outage of Redis leaves a flush for the
        first lookup that reaches it, and the log for every worker)."""
        return await self.backend.purge(keys, events) if keys else True

    async def purge_all(self) -> bool:
        """After a write whose keys are unknown (stopped half way, or made outside the API)."""
        return await self.backend.purge_all()

    async def close(self) -> None:
        await self.backend.close()

    async def _next_publication(
        self, since: int, now: datetime, session_factory: async_sessionmaker[AsyncSession]
    ) -> datetime | None:
        known = self._schedule
        if known is not None and known[0] == since and (known[1] is None or known[1] > now):
            return known[1]
        async with session_factory() as session:
            upcoming = await schedule.next_publication(session, now=now)
        self._schedule = (since, upcoming)
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
        store = MemoryResponseStore(
            max_entries=settings.response_cache_max_entries,
            follows_log=not in_memory(settings.database_url),
        )
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
    header = f"{entry.cost} {entry.expires_at!r} {entry.etag} {','.join(entry.keys)}\n"
    return header.encode() + entry.body


def _decode(value: bytes) -> CachedResponse:
    header, _, body = value.partition(b"\n")
    cost, expires_at, etag, keys = header.decode().split(" ")
    return CachedResponse(
        body=body,
        etag=etag,
        cost=int(cost),
        expires_at=float(expires_at),
        keys=tuple(keys.split(",")) if keys else (),
    )


MAX_KEY_HEADER = 8_000  # characters: CDNs accept 16 kB (Fastly, Cloudflare); see cache_keys


def key_header(name: str, keys: Sequence[str]) -> dict[str, str]:
    """The header naming `keys` for a CDN (see Settings.surrogate_key_header; empty: none)."""
    if not name or not keys:
        return {}
    separator = "," if name.lower().endswith("cache-tag") else " "
    return {name: separator.join(cache_keys.collapsed(keys, max_chars=MAX_KEY_HEADER))}
