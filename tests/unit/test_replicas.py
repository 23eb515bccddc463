"""Which replica an anonymous read goes to (app.replicas.Replicas.choose), from what the checks
found; the real replica's behaviour is tested in tests/test_read_replicas.py."""

from typing import Any

import pytest
from pydantic import ValidationError

from app.replicas import Replica, Replicas
from app.settings import Settings


def replica(name: str, *, position: int, lag: float = 0.0, up: bool = True) -> Replica:
    none: Any = None
    return Replica(name, none, none, None, position=position, lag=lag, up=up)


def replicas(*made: Replica, known: int | None = 10, max_lag: float = 5.0) -> Replicas:
    return Replicas(
        list(made), known=lambda: known, max_lag_seconds=max_lag, check_seconds=1, timeout=1
    )


def test_replicas_take_turns() -> None:
    chooser = replicas(replica("a", position=10), replica("b", position=12))
    assert [chooser.choose().name for _ in range(4)] == ["a", "b", "a", "b"]  # type: ignore[union-attr]


def test_nothing_is_fresh_before_the_event_listener_started() -> None:
    assert replicas(replica("a", position=99), known=None).choose() is None


def test_a_replica_behind_any_known_event_is_skipped() -> None:
    behind, current = replica("behind", position=9), replica("current", position=11)
    chooser = replicas(behind, current)
    assert {chooser.choose().name for _ in range(4)} == {"current"}  # type: ignore[union-attr]
    assert chooser.choose(at_least=12) is None  # the shared cache was purged further
    chooser.wrote(11)
    assert chooser.choose().name == "current"  # type: ignore[union-attr]
    chooser.wrote(12)  # this process's own write
    assert chooser.choose() is None


def test_a_replica_that_lags_or_is_down_is_skipped_until_a_check_finds_it_well() -> None:
    lagging = replica("lagging", position=10, lag=6.0)
    down = replica("down", position=10, up=False)
    chooser = replicas(lagging, down)
    assert chooser.choose() is None
    well = replica("well", position=10)
    chooser = replicas(well)
    chooser.failed(well, ConnectionError("refused"))
    assert chooser.choose() is None


def test_replicas_need_postgresql() -> None:
    with pytest.raises(ValidationError, match="QUIRE_DATABASE_REPLICA_URLS"):
        Settings(database_replica_urls=["postgresql+asyncpg://replica/quire"], _env_file=None)
    Settings(
        database_url="postgresql+asyncpg://primary/quire",
        database_replica_urls=["postgresql+asyncpg://replica/quire"],
        _env_file=None,
    )
