"""Token-bucket rate limiting weighted by cost, in one process or shared through Redis.

Every key (a client id: an IP address, a token hash) owns a bucket of `capacity` tokens refilled
continuously at `refill_per_second`. A request of cost `n` takes `n` tokens if they are there and
nothing otherwise. A cost above `capacity` is clamped to it: the largest query waits for a full
bucket instead of being refused forever.

`MemoryRateLimiter` keeps buckets in the process, so each worker has its own budget.
`RedisRateLimiter` keeps them in Redis, so every worker and app instance on the same Redis shares
one budget per key. One Lua script reads, refills, takes and writes atomically, on Redis server
time, so the clocks of the app machines never matter.

When Redis is unreachable the Redis limiter fails open to a local `MemoryRateLimiter` with the same
settings, rather than failing closed: an outage of a cache must not take the API down, and limiting
per worker still bounds abuse (by at most the number of workers times the budget). The outage is
logged at most once every 30 seconds, and Redis is not retried for a second after a failure, so a
dead server costs one timeout per second per worker instead of one per request.
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from resolvers.lru import LRU

logger = logging.getLogger("quire.ratelimit")

DEFAULT_PREFIX = "quire:rl:"
# Refills are float arithmetic: without slack, 0.1 s at 10 tokens/s can leave 0.9999... tokens.
_EPSILON = 1e-9
_WARN_EVERY_SECONDS = 30.0
_RETRY_REDIS_AFTER_SECONDS = 1.0
# Idle keys expire once their bucket would be full again, plus this margin (milliseconds).
_EXPIRY_MARGIN_MS = 1000

# KEYS[1] the bucket; ARGV capacity, refill per second, cost (already clamped to 1..capacity),
# expiry margin in ms. The 1e-9 is _EPSILON. TIME before writes needs Redis >= 5.
# Returns {allowed (0 or 1), tokens left as a string}: Lua numbers returned to Redis are
# truncated to integers. Tokens are stored with full precision ("%.17g" round-trips a double).
_TAKE_SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local tokens = capacity
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local stored, stamp = tonumber(state[1]), tonumber(state[2])
if stored and stamp then
  tokens = math.min(capacity, stored + math.max(0, now - stamp) * rate)
end
local allowed = 0
if tokens + 1e-9 >= cost then
  tokens = math.max(0, tokens - cost)
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
  'ts', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + tonumber(ARGV[4]))
return {allowed, string.format('%.17g', tokens)}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    """Bucket capacity (the largest burst)."""
    remaining: int
    """Whole tokens left after this request (0 when refused)."""
    retry_after: float
    """Seconds until `cost` tokens are available (0.0 when allowed)."""
    reset_after: float
    """Seconds until the bucket is full again."""


class RateLimiter(Protocol):
    async def take(self, key: str, cost: int) -> Decision: ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    """Buckets in this process, the least recently used evicted beyond `max_keys`.

    An evicted key comes back with a full bucket; the stalest keys have mostly refilled anyway.
    `take` never awaits, so it is atomic under asyncio.
    """

    def __init__(
        self,
        *,
        capacity: int,
        refill_per_second: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        _check_settings(capacity, refill_per_second)
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._capacity = capacity
        self._rate = refill_per_second
        self._clock = clock
        # The least recently seen clients are forgotten (a full bucket, as for a new one).
        self._buckets: LRU[str, tuple[float, float]] = LRU(max_keys)

    async def take(self, key: str, cost: int) -> Decision:
        cost = _clamp(cost, self._capacity)
        now = self._clock()
        bucket = self._buckets.get(key)
        tokens = float(self._capacity)
        if bucket is not None:
            stored, stamp = bucket
            tokens = min(tokens, stored + max(0.0, now - stamp) * self._rate)
        allowed = tokens + _EPSILON >= cost
        if allowed:
            tokens = max(0.0, tokens - cost)
        self._buckets.put(key, (tokens, now))
        return _decision(
            allowed=allowed, tokens=tokens, cost=cost, capacity=self._capacity, rate=self._rate
        )

    async def close(self) -> None:
        self._buckets.clear()


class RedisRateLimiter:
    """Buckets in Redis, shared by every worker and app instance using the same server.

    Falls back to a per-process `MemoryRateLimiter` while Redis is unreachable (see the module
    docstring). Closes the client on `close` only if it created it (`from_url`).
    """

    def __init__(
        self,
        redis: Redis,
        *,
        capacity: int,
        refill_per_second: float,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        _check_settings(capacity, refill_per_second)
        self._redis = redis
        self._capacity = capacity
        self._rate = refill_per_second
        self._prefix = prefix
        self._script = redis.register_script(_TAKE_SCRIPT)
        self._fallback = MemoryRateLimiter(capacity=capacity, refill_per_second=refill_per_second)
        self._owns_client = False
        self._redis_down_until = -math.inf
        self._last_warning = -math.inf

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        capacity: int,
        refill_per_second: float,
        prefix: str = DEFAULT_PREFIX,
    ) -> "RedisRateLimiter":
        # Short timeouts and a single immediate retry (for a pooled connection Redis dropped):
        # redis-py's default of ten retries with backoff would stall requests for seconds.
        client = Redis.from_url(
            url,
            socket_timeout=0.25,
            socket_connect_timeout=0.25,
            retry=Retry(NoBackoff(), 1),
        )
        limiter = cls(client, capacity=capacity, refill_per_second=refill_per_second, prefix=prefix)
        limiter._owns_client = True
        return limiter

    async def take(self, key: str, cost: int) -> Decision:
        cost = _clamp(cost, self._capacity)
        if time.monotonic() < self._redis_down_until:
            return await self._fallback.take(key, cost)
        try:
            allowed, tokens = await self._script(
                keys=[self._prefix + key],
                args=[self._capacity, repr(self._rate), cost, _EXPIRY_MARGIN_MS],
            )
        except RedisError as error:  # unreachable, read-only replica, OOM...: fall back
            self._redis_down_until = time.monotonic() + _RETRY_REDIS_AFTER_SECONDS
            self._warn_unreachable(error)
            return await self._fallback.take(key, cost)
        return _decision(
            allowed=bool(allowed),
            tokens=float(tokens),
            cost=cost,
            capacity=self._capacity,
            rate=self._rate,
        )

    async def close(self) -> None:
        if self._owns_client:
            await self._redis.aclose()

    def _warn_unreachable(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning < _WARN_EVERY_SECONDS:
            return
        self._last_warning = now
        logger.warning("Redis unreachable for rate limiting, limiting per process: %s", error)


def create_rate_limiter(
    *,
    redis_url: str | None,
    capacity: int,
    refill_per_second: float,
    prefix: str = DEFAULT_PREFIX,
) -> RateLimiter:
    """A Redis-backed limiter when `redis_url` is set, an in-process one otherwise."""
    if redis_url is None:
        return MemoryRateLimiter(capacity=capacity, refill_per_second=refill_per_second)
    return RedisRateLimiter.from_url(
        redis_url, capacity=capacity, refill_per_second=refill_per_second, prefix=prefix
    )


def _check_settings(capacity: int, refill_per_second: float) -> None:
    if capacity < 1:
        raise ValueError("capacity must be at least 1")
    if not (math.isfinite(refill_per_second) and refill_per_second > 0):
        raise ValueError("refill_per_second must be a positive number")


def _clamp(cost: int, capacity: int) -> int:
    return min(max(int(cost), 1), capacity)


def _decision(*, allowed: bool, tokens: float, cost: int, capacity: int, rate: float) -> Decision:
    reset_after = max(0.0, (capacity - tokens) / rate)
    if allowed:
        return Decision(
            allowed=True,
            limit=capacity,
            remaining=math.floor(tokens + _EPSILON),
            retry_after=0.0,
            reset_after=reset_after,
        )
    return Decision(
        allowed=False,
        limit=capacity,
        remaining=0,
        retry_after=max(0.0, (cost - tokens) / rate),
        reset_after=reset_after,
    )
