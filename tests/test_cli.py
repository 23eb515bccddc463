"""The `quire` command line, run as an operator would, on a throw-away SQLite file."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings
from schema import export_sdl

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("QUIRE_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def quire(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_upgrade_load_and_reload_only_when_asked(database: Path) -> None:
    assert "database: empty" in quire("db", "current")
    quire("db", "upgrade")
    assert "database: 0001" in quire("db", "current")
    assert re.search(
        r"Loaded \d+ posts, 30 authors, 15 tags", quire("demo", "load", "--posts", "20")
    )
    assert "Content exists" in quire("demo", "load", "--if-empty")
    refused = runner.invoke(cli, ["demo", "load"])
    assert refused.exit_code != 0 and "--replace" in refused.output
    assert "Loaded" in quire("demo", "load", "--posts", "20", "--seed", "2", "--replace")


def test_downgrade_to_base_empties_the_database(database: Path) -> None:
    quire("db", "upgrade")
    quire("db", "downgrade", "base")
    assert "database: empty" in quire("db", "current")


def test_schema_export_writes_the_sdl(tmp_path: Path) -> None:
    output = tmp_path / "schema.graphql"
    quire("schema", "export", "--output", str(output))
    assert output.read_text() == export_sdl()


@pytest.mark.parametrize("command", [[], ["serve"], ["db"], ["demo", "load"], ["schema", "export"]])
def test_every_command_has_help(command: list[str]) -> None:
    assert "Usage" in quire(*command, "--help")
