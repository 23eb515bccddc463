"""The background jobs of a Quire process: scheduled posts going live on time, and webhook
deliveries. They run in every `quire serve` worker (or in `quire worker`), every process
safely beside the others: each job's writes are conditional or claimed (see
`resolvers.schedule` and `resolvers.webhooks`), so any number of processes on one database do
each piece of work once, and a process that dies leaves nothing another cannot finish.

Each tick (`QUIRE_BACKGROUND_INTERVAL_SECONDS`, 1 s by default): posts whose instant has come
go live with their `post.published` event (the publish-date range since the last tick; every
scheduled post on the first tick and every few minutes, which is also how a process catches up
with what went live while none was running); new events become deliveries; due deliveries are
claimed and sent, a few at a time. Every few minutes, events older than the sync retention
are pruned.
"""

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.deliveries import Sender
from app.response_cache import ResponseCache
from resolvers import events, schedule, sync, webhooks

logger = logging.getLogger("quire.background")

FULL_CHECK_EVERY = timedelta(minutes=5)
PRUNE_EVERY = timedelta(minutes=5)
OVERLAP = timedelta(seconds=5)
"""Each tick's range of publish dates starts this much before the last tick's instant."""
MAX_IN_FLIGHT = 8
"""Deliveries a process attempts at once; each runs as a task of its own, so a slow receiver
delays neither scheduled posts nor the other deliveries."""


class BackgroundJobs:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], datetime],
        sender: Sender,
        interval: float,
        disable_after: timedelta,
        retention: timedelta = timedelta(days=30),
        claim: timedelta = webhooks.CLAIM,
        cache: ResponseCache | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self.sender = sender
        self.interval = interval
        self.disable_after = disable_after
        self.claim = claim
        self.retention = retention
        self.cache = cache
        self._pruned: datetime | None = None
        self._checked: datetime | None = None
        self._full_check: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="quire-background-jobs")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        await asyncio.gather(*self._sending, return_exceptions=True)  # each ends by its timeout
        await self.sender.close()

    async def run(self) -> None:
        failing: str | None = None  # logged once, not every second
        while not self._stop.is_set():
            try:
                await self.tick()
            except Exception as error:  # the database is down, say: the next tick tries again
                what = f"{type(error).__name__}: {str(error).partition(chr(10))[0]}"
                if what != failing:
                    logger.warning("Background jobs failed; trying every tick", exc_info=True)
                failing = what
            else:
                if failing is not None:
                    logger.warning("Background jobs work again")
                failing = None
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval)

    async def tick(self) -> None:
        await self.go_live()
        while await self.fan_out():
            pass
        await self.deliver()
        await self.prune()

    async def prune(self) -> int:
        """Events past the retention, a batch per transaction, every PRUNE_EVERY."""
        now = self.clock()
        if self._pruned is not None and now - self._pruned < PRUNE_EVERY:
            return 0
        count, batch = 0, sync.PRUNE_BATCH
        while batch == sync.PRUNE_BATCH:
            async with self.session_factory() as session, session.begin():
                batch = await sync.prune(session, before=now - self.retention)
            count += batch
        self._pruned = now
        return count

    async def go_live(self) -> int:
        now = self.clock()
        since = None if self._full_check_due(now) else self._checked
        count, batch = 0, schedule.GO_LIVE_BATCH
        while batch == schedule.GO_LIVE_BATCH:
            async with self.session_factory() as session:
                async with session.begin():
                    batch = await schedule.go_live(session, now=now, since=since)
                if self.cache is not None:  # a sync answer of "nothing new" is out of date
                    recorded = events.recorded_span(session)
                    await self.cache.purge(events.purged(session), events=recorded)
            count += batch
        self._checked = now - OVERLAP
        if since is None:
            self._full_check = now
        return count

    async def fan_out(self) -> int:
        async with self.session_factory() as session, session.begin():
            return await webhooks.fan_out(session, now=self.clock())

    async def deliver(self) -> int:
        """Claim due deliveries while there is room, each sent by a task of its own."""
        room = MAX_IN_FLIGHT - len(self._sending)
        if room <= 0:
            return 0
        async with self.session_factory() as session, session.begin():
            claimed = await webhooks.claim(session, now=self.clock(), limit=room, hold=self.claim)
        for delivery in claimed:
            task = asyncio.create_task(self._attempt(delivery))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return len(claimed)

    async def _attempt(self, claimed: webhooks.Claimed) -> None:
        started = self.clock()
        outcome = await self.sender.send(claimed, now=started)
        try:
            async with self.session_factory() as session, session.begin():
                status = await webhooks.record_attempt(
                    session,
                    claimed=claimed,
                    outcome=outcome,
                    started_at=started,
                    now=self.clock(),
                    disable_after=self.disable_after,
                )
        except Exception:  # the claim expires, and the delivery is attempted again
            logger.warning("Could not record webhook attempt %s", claimed.message_id, exc_info=True)
            return
        logger.info(
            "Webhook %s attempt %d: %s (%s)",
            claimed.message_id,
            claimed.attempt,
            status.value,
            outcome.error or outcome.status_code,
        )

    def _full_check_due(self, now: datetime) -> bool:
        return self._full_check is None or now - self._full_check >= FULL_CHECK_EVERY
