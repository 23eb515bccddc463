"""Redis for the caches: a client with short timeouts, and how its users fail open.

A cache must never fail a request: when Redis is unreachable its users carry on without it (the
response cache executes, persisted queries answer "not found" so clients resend the document).
After a failure Redis is left alone for a second, so a dead server costs one timeout per second
per worker rather than one per request, and the outage is logged at most every 30 seconds.
"""

import logging
import math
import time

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

_WARN_EVERY_SECONDS = 30.0
_RETRY_REDIS_AFTER_SECONDS = 1.0


def connect(url: str) -> Redis:
    """A client that gives up after 250 ms, with one immediate retry for a pooled connection
    Redis dropped (redis-py's default backoff would stall requests for seconds)."""
    return Redis.from_url(
        url, socket_timeout=0.25, socket_connect_timeout=0.25, retry=Retry(NoBackoff(), 1)
    )


class Outage:
    """Whether one user of Redis should leave it alone for now, and its rate-limited warning."""

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._logger = logger
        self._what = what
        self._until = -math.inf
        self._last_warning = -math.inf

    @property
    def ongoing(self) -> bool:
        return time.monotonic() < self._until

    def record(self, error: Exception) -> None:
        now = time.monotonic()
        self._until = now + _RETRY_REDIS_AFTER_SECONDS
        if now - self._last_warning >= _WARN_EVERY_SECONDS:
            self._last_warning = now
            self._logger.warning("Redis unreachable for %s: %s", self._what, error)
