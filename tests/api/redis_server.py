"""The Redis server of the shared-cache tests, and a key namespace of their own per test."""

import os
import uuid
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from tests.conftest import missing_service

REDIS_URL = os.environ.get("QUIRE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"


async def unique_prefix() -> AsyncIterator[str]:
    """A fresh `redis_prefix` (skips, or fails in CI, without Redis); its keys go afterwards."""
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except Exception as error:
        await redis.aclose()
        missing_service(f"Redis unreachable at {REDIS_URL}: {error}")
    prefix = f"quire-test-{uuid.uuid4().hex[:8]}:"
    yield prefix
    keys = [key async for key in redis.scan_iter(f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
