"""Token buckets weighted by cost: in one process, shared through Redis, and failing open.

Redis comes from QUIRE_TEST_REDIS_URL (default: the local server). With CI=true an unreachable
server fails the Redis tests; elsewhere they are skipped with the reason shown.
"""

import asyncio
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.ratelimit import (
    MemoryRateLimiter,
    RedisRateLimiter,
    create_rate_limiter,
)
from tests.conftest import missing_service

REDIS_URL = os.environ.get("QUIRE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"
# Slow enough that no token comes back while a test runs against the real clock.
TRICKLE = 0.001


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def memory(
    capacity: int, refill_per_second: float, **kwargs: int
) -> tuple[MemoryRateLimiter, FakeClock]:
    clock = FakeClock()
    limiter = MemoryRateLimiter(
        capacity=capacity, refill_per_second=refill_per_second, clock=clock, **kwargs
    )
    return limiter, clock


# In memory


async def test_a_burst_up_to_capacity_is_allowed_then_refused_with_the_wait_for_one_token() -> None:
    limiter, _ = memory(capacity=3, refill_per_second=2)

    decisions = [await limiter.take("client", 1) for _ in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    first = decisions[0]
    assert (first.allowed, first.limit, first.remaining, first.retry_after) == (True, 3, 2, 0.0)
    assert first.reset_after == pytest.approx(0.5)
    assert decisions[3].retry_after == pytest.approx(0.5)
    assert decisions[3].reset_after == pytest.approx(1.5)


async def test_tokens_refill_continuously_and_never_beyond_capacity() -> None:
    limiter, clock = memory(capacity=4, refill_per_second=10)
    assert (await limiter.take("client", 4)).remaining == 0

    clock.advance(0.1)
    assert (await limiter.take("client", 1)).remaining == 0
    assert not (await limiter.take("client", 1)).allowed

    clock.advance(0.25)
    decision = await limiter.take("client", 1)
    assert decision.allowed
    assert decision.remaining == 1

    clock.advance(3600)
    decision = await limiter.take("client", 1)
    assert decision.remaining == 3
    assert decision.reset_after == pytest.approx(0.1)


async def test_a_refused_request_is_allowed_after_waiting_retry_after() -> None:
    limiter, clock = memory(capacity=10, refill_per_second=3)
    await limiter.take("client", 8)

    refused = await limiter.take("client", 5)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(1.0)

    clock.advance(refused.retry_after * 0.99)
    assert not (await limiter.take("client", 5)).allowed
    clock.advance(refused.retry_after * 0.01)
    assert (await limiter.take("client", 5)).allowed


async def test_a_refused_request_takes_nothing() -> None:
    limiter, _ = memory(capacity=5, refill_per_second=1)
    await limiter.take("client", 3)

    assert not (await limiter.take("client", 4)).allowed
    assert (await limiter.take("client", 2)).allowed


async def test_costs_weigh_and_a_cost_below_one_counts_as_one() -> None:
    limiter, _ = memory(capacity=10, refill_per_second=1)

    assert (await limiter.take("client", 7)).remaining == 3
    assert (await limiter.take("client", 0)).remaining == 2
    assert (await limiter.take("client", -5)).remaining == 1


async def test_a_cost_above_capacity_waits_for_a_full_bucket_instead_of_failing_forever() -> None:
    limiter, clock = memory(capacity=10, refill_per_second=2)

    assert (await limiter.take("client", 1000)).allowed
    refused = await limiter.take("client", 1000)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(5.0)

    clock.advance(5.0)
    assert (await limiter.take("client", 1000)).allowed


async def test_keys_have_independent_buckets() -> None:
    limiter, _ = memory(capacity=2, refill_per_second=1)
    await limiter.take("alice", 2)

    assert not (await limiter.take("alice", 1)).allowed
    assert (await limiter.take("bob", 1)).remaining == 1


async def test_beyond_max_keys_the_least_recently_used_keys_are_forgotten() -> None:
    limiter, _ = memory(capacity=1, refill_per_second=TRICKLE, max_keys=10)
    for n in range(100):
        await limiter.take(f"client-{n}", 1)

    # Only the last ten are still drained; touching them keeps them most recent.
    assert not any([(await limiter.take(f"client-{n}", 1)).allowed for n in range(90, 100)])
    # Every older key was evicted and comes back with a full bucket.
    assert all([(await limiter.take(f"client-{n}", 1)).allowed for n in range(90)])


async def test_using_a_key_protects_it_from_eviction() -> None:
    limiter, _ = memory(capacity=1, refill_per_second=TRICKLE, max_keys=2)
    await limiter.take("a", 1)
    await limiter.take("b", 1)
    await limiter.take("a", 1)  # "b" is now the stalest

    await limiter.take("c", 1)

    assert not (await limiter.take("a", 1)).allowed
    assert (await limiter.take("b", 1)).allowed


@pytest.mark.parametrize(
    ("capacity", "refill_per_second"), [(0, 1.0), (1, 0.0), (1, -1.0), (1, float("nan"))]
)
def test_nonsensical_settings_are_refused(capacity: int, refill_per_second: float) -> None:
    with pytest.raises(ValueError):
        MemoryRateLimiter(capacity=capacity, refill_per_second=refill_per_second)


# In Redis


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as error:  # any failure means "no server here"
        await client.aclose()
        missing_service(f"Redis unreachable at {REDIS_URL}: {error}")
    yield client
    await client.aclose()


@pytest.fixture
async def prefix(redis_client: Redis) -> AsyncIterator[str]:
    """A namespace of keys no other test (or run) shares, deleted afterwards."""
    prefix = f"quire:test:rl:{uuid.uuid4().hex}:"
    yield prefix
    keys = [key async for key in redis_client.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis_client.delete(*keys)


async def test_redis_allows_a_burst_then_refuses_with_the_wait_for_the_cost(
    redis_client: Redis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, capacity=3, refill_per_second=TRICKLE, prefix=prefix)

    decisions = [await limiter.take("client", 1) for _ in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[0].limit == 3
    assert decisions[0].retry_after == 0.0
    assert decisions[3].retry_after == pytest.approx(1 / TRICKLE, rel=0.01)
    assert decisions[3].reset_after == pytest.approx(3 / TRICKLE, rel=0.01)
    await limiter.close()


async def test_redis_costs_weigh_are_clamped_and_refusals_take_nothing(
    redis_client: Redis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, capacity=10, refill_per_second=TRICKLE, prefix=prefix)

    assert (await limiter.take("client", 7)).remaining == 3
    assert (await limiter.take("client", 0)).remaining == 2
    assert not (await limiter.take("client", 3)).allowed
    assert (await limiter.take("client", 2)).remaining == 0
    assert (await limiter.take("other", 1000)).allowed
    assert not (await limiter.take("other", 1000)).allowed


async def test_redis_refills_over_time(redis_client: Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis_client, capacity=2, refill_per_second=20, prefix=prefix)
    await limiter.take("client", 2)

    refused = await limiter.take("client", 1)
    assert not refused.allowed
    assert 0 < refused.retry_after <= 0.05

    await asyncio.sleep(refused.retry_after + 0.02)
    assert (await limiter.take("client", 1)).allowed


async def test_redis_keys_are_any_string_and_independent(redis_client: Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis_client, capacity=1, refill_per_second=TRICKLE, prefix=prefix)
    odd_keys = ["2001:db8::1", "ключ {*} \x00 ?[a]", "*"]

    assert all([(await limiter.take(key, 1)).allowed for key in odd_keys])
    assert not any([(await limiter.take(key, 1)).allowed for key in odd_keys])


async def test_two_workers_with_their_own_clients_share_one_budget(prefix: str) -> None:
    workers = [
        RedisRateLimiter.from_url(REDIS_URL, capacity=5, refill_per_second=TRICKLE, prefix=prefix)
        for _ in range(2)
    ]
    first, second = workers

    assert (await first.take("client", 3)).remaining == 2
    assert (await second.take("client", 2)).remaining == 0
    assert not (await first.take("client", 1)).allowed

    for worker in workers:
        await worker.close()


async def test_concurrent_takes_from_two_workers_never_overspend(prefix: str) -> None:
    workers = [
        RedisRateLimiter.from_url(REDIS_URL, capacity=10, refill_per_second=TRICKLE, prefix=prefix)
        for _ in range(2)
    ]

    decisions = await asyncio.gather(*(workers[n % 2].take("client", 1) for n in range(30)))

    assert sum(d.allowed for d in decisions) == 10
    for worker in workers:
        await worker.close()


async def test_redis_buckets_expire_once_they_would_be_full_again(
    redis_client: Redis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis_client, capacity=10, refill_per_second=1, prefix=prefix)

    await limiter.take("client", 4)

    ttl = await redis_client.pttl(f"{prefix}client")
    assert 4000 < ttl <= 5000


async def test_an_unreachable_redis_falls_back_to_limiting_in_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RedisRateLimiter.from_url(CLOSED_PORT_URL, capacity=2, refill_per_second=TRICKLE)

    with caplog.at_level(logging.WARNING, logger="quire.ratelimit"):
        decisions = [await limiter.take("client", 1) for _ in range(3)]

    assert [d.allowed for d in decisions] == [True, True, False]
    warnings = [r for r in caplog.records if r.name == "quire.ratelimit"]
    assert len(warnings) == 1
    assert "unreachable" in warnings[0].getMessage()
    await limiter.close()


async def test_a_redis_that_stops_answering_times_out_once_then_is_left_alone_a_while() -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # until the client hangs up
        finally:
            writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    limiter = RedisRateLimiter.from_url(
        f"redis://127.0.0.1:{port}/0", capacity=2, refill_per_second=TRICKLE
    )

    assert (await limiter.take("client", 1)).allowed  # waits for the socket timeout
    started = time.perf_counter()
    decisions = [await limiter.take("client", 1) for _ in range(2)]

    assert time.perf_counter() - started < 0.2
    assert [d.allowed for d in decisions] == [True, False]
    await limiter.close()
    server.close()
    await server.wait_closed()


async def test_create_rate_limiter_uses_redis_only_when_given_a_url() -> None:
    local = create_rate_limiter(redis_url=None, capacity=1, refill_per_second=1)
    shared = create_rate_limiter(redis_url=CLOSED_PORT_URL, capacity=1, refill_per_second=1)

    assert isinstance(local, MemoryRateLimiter)
    assert isinstance(shared, RedisRateLimiter)
    await local.close()
    await shared.close()
