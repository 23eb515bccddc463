"""Read replicas: anonymous reads go to a PostgreSQL streaming replica that has every write this
process knows of, within the lag bound; everything else stays on the primary.

Which reads: an anonymous query (no `Authorization`, no preview token). Editors' requests,
mutations (and what a request reads after it wrote), preview links and subscriptions read the
primary, so an editor never reads a replica that has not caught up with their own save.

Fresh enough, exactly: event ids grow in commit order (resolvers.events) and every change a
reader can see records one, so a replica whose log reaches event N shows every change up to N.
A read may go to a replica only once its log reaches the newest event this process knows of:
its own writes' (at commit), the ones the event listener has heard of (LISTEN/NOTIFY, within
milliseconds of any process's commit), and the newest one whose write purged the shared
response cache (returned by the lookup every anonymous request makes anyway, and recorded before
any write's response goes out, whatever order writes purge in: so with Redis, no worker reads a
replica behind an acknowledged write). A replica behind that is skipped until it catches up;
the checker looks again at once.

Healthy: a checker asks each replica, on a connection of its own, every `check_seconds` (and
when a replica is behind a write) how far its log reaches and how far its replay lags (0 when
it has replayed everything it received; else the time since the last transaction it replayed;
a replica not streaming from a primary counts that too). A replica that lags more than
`max_lag_seconds`, or does not answer, is skipped until a check finds it well again; a request
whose replica fails under it reads the primary instead (resolvers.context), so a replica
going down costs no client an error.
"""

import asyncio
import itertools
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # ships no type information
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.database import configured_direct_reads, configured_engine, create_session_factory
from app.settings import Settings
from resolvers.direct_reads import DirectReads, asyncpg_arguments

logger = logging.getLogger("quire.replicas")

APPLICATION_NAME = "quire-replica-check"  # its name in the replica's pg_stat_activity
# How far the replica's log reaches, and how many seconds its replay lags.
CHECK = """
SELECT
  (SELECT coalesce(max(id), 0) FROM content_events) AS position,
  CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
      AND EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
    ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 'Infinity')
  END::float8 AS lag
"""


@dataclass
class Replica:
    """One replica's pools (as the primary's reads have: app.database) and what its last check
    found."""

    name: str  # host:port/database, for logs (never the password)
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    direct: DirectReads | None
    position: int = -1  # the newest event its log was seen to hold
    lag: float = float("inf")
    up: bool | None = None  # its last check answered (None: not checked yet)
    _connection: Any = field(default=None, repr=False)  # the checker's


def replica_name(url: str) -> str:
    parsed = make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


class Replicas:
    """Chooses the replica of an anonymous read, and keeps checking every replica."""

    def __init__(
        self,
        replicas: list[Replica],
        *,
        known: Callable[[], int | None],
        max_lag_seconds: float,
        check_seconds: float,
        timeout: float,
    ) -> None:
        """`known`: the newest event id the event listener has read (None before it started:
        until then, nothing is known to be fresh enough)."""
        self.replicas = replicas
        self._known = known
        self._max_lag = max_lag_seconds
        self._check_seconds = check_seconds
        self._timeout = timeout
        self._written = 0  # the newest event id this process's own writes recorded
        self._turns = itertools.cycle(range(len(replicas)))
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._check_forever(), name="quire-replica-check")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        for replica in self.replicas:
            await self._disconnect(replica)
            if replica.direct is not None:
                await replica.direct.close()
            await replica.engine.dispose()

    def wrote(self, last_event: int) -> None:
        """This process committed events up to `last_event`: no read goes to a replica that
        does not hold them."""
        self._written = max(self._written, last_event)
        self._wake.set()

    async def heard(self) -> None:
        """The event listener read new events: replicas behind them are checked again."""
        self._wake.set()

    def choose(self, *, at_least: int = 0) -> Replica | None:
        """A replica holding every event up to `at_least` and every event this process knows
        of, up and within the lag bound (in turn); None: read the primary."""
        known = self._known()
        if known is None:
            return None
        needed = max(at_least, known, self._written)
        for _ in range(len(self.replicas)):
            replica = self.replicas[next(self._turns)]
            if replica.up and replica.lag <= self._max_lag and replica.position >= needed:
                return replica
        if any(replica.up for replica in self.replicas):
            self._wake.set()  # behind, perhaps only until the next check
        return None

    def failed(self, replica: Replica, error: BaseException) -> None:
        """A request's read failed on `replica` as if it were down: skip it until a check
        finds it well."""
        if replica.up:
            logger.warning("Read replica %s failed (%s); reading the primary", replica.name, error)
        replica.up = False
        self._wake.set()

    async def _check_forever(self) -> None:
        while True:
            for replica in self.replicas:
                await self._check(replica)
            with suppress(TimeoutError):
                async with asyncio.timeout(self._check_seconds):
                    await self._wake.wait()
            self._wake.clear()

    async def _check(self, replica: Replica) -> None:
        was = (bool(replica.up), replica.lag <= self._max_lag)
        try:
            async with asyncio.timeout(self._timeout):
                if replica._connection is None or replica._connection.is_closed():
                    replica._connection = await self._connect(replica)
                row = await replica._connection.fetchrow(CHECK)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            await self._disconnect(replica)
            if replica.up is not False:
                logger.warning("Read replica %s is down (%s)", replica.name, error)
            replica.up = False
            return
        replica.position, replica.lag, replica.up = int(row["position"]), row["lag"], True
        now = (True, replica.lag <= self._max_lag)
        if now == was:
            return
        if not now[1]:
            logger.warning(
                "Read replica %s lags %.1f s (bound: %s s); reading elsewhere",
                replica.name,
                replica.lag,
                self._max_lag,
            )
        else:
            logger.info("Read replica %s is in use", replica.name)

    async def _connect(self, replica: Replica) -> Any:
        arguments = asyncpg_arguments(replica.engine)
        arguments.pop("server_settings", None)
        return await asyncpg.connect(
            **arguments, server_settings={"application_name": APPLICATION_NAME}
        )

    async def _disconnect(self, replica: Replica) -> None:
        connection, replica._connection = replica._connection, None
        if connection is not None:
            with suppress(Exception):
                await connection.close(timeout=1)


async def create_replicas(settings: Settings, *, known: Callable[[], int | None]) -> Replicas:
    """The replicas of `settings`, their pools made as the primary's reads' are, and started."""
    made = []
    for url in settings.database_replica_urls:
        engine = configured_engine(settings, url, read_only=True)
        direct = await configured_direct_reads(settings, engine)
        made.append(Replica(replica_name(url), engine, create_session_factory(engine), direct))
    replicas = Replicas(
        made,
        known=known,
        max_lag_seconds=settings.replica_max_lag_seconds,
        check_seconds=settings.replica_check_seconds,
        timeout=settings.db_connect_timeout_seconds,
    )
    replicas.start()
    return replicas
