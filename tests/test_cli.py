"""The `quire` command line, run as an operator would, on a throw-away SQLite file."""

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app import migrations
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
    assert f"database: {migrations.head_revision()}" in quire("db", "current")
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


def test_users_and_tokens_are_managed_from_the_command_line(database: Path) -> None:
    quire("db", "upgrade")
    created = runner.invoke(
        cli,
        ["users", "create", "--email", "Ed@Example.com", "--role", "editor", "--name", "Ed"],
        input="a long enough password\n",
    )
    assert created.exit_code == 0, created.output
    assert "Created ed@example.com (editor)" in created.output
    short = runner.invoke(
        cli, ["users", "create", "--email", "x@example.com", "--role", "admin"], input="short\n"
    )
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    assert "ed@example.com\teditor\tactive\tEd" in quire("users", "list")
    assert "is now admin" in quire("users", "set-role", "ed@example.com", "--role", "admin")
    assert "deactivated" in quire("users", "deactivate", "ed@example.com")
    assert "ed@example.com\tadmin\toff\tEd" in quire("users", "list")

    secret = quire("tokens", "create", "--name", "build-bot", "--role", "editor").splitlines()[0]
    assert secret.startswith("qt_") and len(secret) > 40
    listed = quire("tokens", "list")
    assert "build-bot\teditor\tactive" in listed and secret not in listed
    assert "revoked" in quire("tokens", "revoke", "1")
    assert "build-bot\teditor\trevoked" in quire("tokens", "list")


def test_password_is_never_a_command_line_argument() -> None:
    result = runner.invoke(cli, ["users", "create", "--help"])
    assert "--password" not in result.output


def test_search_rebuild_catches_the_index_up_with_writes_made_outside_the_api(
    database: Path,
) -> None:
    quire("db", "upgrade")
    quire("demo", "load", "--posts", "5")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE posts SET title = 'Quixotic by hand' WHERE id = 1")
        # What the index holds for the post, and what it holds after a rebuild.
        before = connection.execute("SELECT title FROM post_search WHERE rowid = 1").fetchone()
    assert before is not None and "quixot" not in before[0]
    assert re.search(r"Indexed \d+ posts", quire("search", "rebuild"))
    with sqlite3.connect(database) as connection:
        after = connection.execute(
            "SELECT rowid FROM post_search WHERE post_search MATCH 'title : quixot'"
        ).fetchall()
        counts = connection.execute(
            "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM post_search)"
        ).fetchone()
    assert after == [(1,)]
    assert counts[0] == counts[1]


IMPORTS = Path(__file__).parent / "fixtures" / "imports"


def test_an_import_is_reported_tried_dry_and_refused_whole_when_an_item_is_bad(
    database: Path,
) -> None:
    quire("db", "upgrade")
    lexical = str(IMPORTS / "ghost" / "v5_lexical.json")
    site = ["--site-url", "https://old.example.com"]
    dry = quire("import", "ghost", lexical, *site, "--dry-run")
    assert "posts: 6 created" in dry and "Dry run: nothing was written." in dry
    assert "Skipped: post p6: a page (Quire has posts only)" in dry
    assert "Adjusted: post p5: for members readers in Ghost: a draft here" in dry
    assert "posts: 6 created" in quire("import", "ghost", lexical, *site)
    assert "posts: 6 unchanged" in quire("import", "ghost", lexical, *site)

    bad = runner.invoke(cli, ["import", "ghost", str(IMPORTS / "ghost" / "invalid_items.json")])
    assert bad.exit_code == 1
    assert "Invalid: post p1: `title` is limited to 300 characters." in bad.output
    assert "Nothing was imported" in bad.output and "--skip-invalid" in bad.output

    refused = runner.invoke(
        cli, ["import", "wordpress", str(IMPORTS / "wordpress" / "external-entity.xml")]
    )
    assert refused.exit_code == 2
    assert "Refused: not a WordPress export: the XML is refused" in refused.output
    assert "Traceback" not in refused.output
    wordpress = quire("import", "wordpress", str(IMPORTS / "wordpress" / "valid-wxr-1.1.xml"))
    assert "authors: 2 created" in wordpress and "posts: 1 created" in wordpress


def test_an_account_writes_as_the_author_it_is_linked_to(database: Path) -> None:
    quire("db", "upgrade")
    quire("import", "wordpress", str(IMPORTS / "wordpress" / "valid-wxr-1.1.xml"))
    created = runner.invoke(
        cli,
        ["users", "create", "--email", "jo@example.com", "--role", "admin", "--author", "john"],
        input="a long enough password\n",
    )
    assert created.exit_code == 0 and "writing as john" in created.output
    assert "writes as jane" in quire("users", "set-author", "jo@example.com", "--author", "jane")
    assert "is unlinked" in quire("users", "set-author", "jo@example.com")
    missing = runner.invoke(cli, ["users", "set-author", "jo@example.com", "--author", "nobody"])
    assert missing.exit_code != 0 and "No author with slug 'nobody'" in missing.output


def test_export_then_restore_from_the_command_line(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quire("db", "upgrade")
    quire("demo", "load", "--posts", "20")
    backup = tmp_path / "backup.json"
    quire("export", "--output", str(backup), "--revisions")
    assert not (tmp_path / "backup.json.partial").exists()
    assert b'"quire_export"' in backup.read_bytes()[:100]
    ghost = tmp_path / "ghost.json"
    quire("export", "--format", "ghost", "--output", str(ghost))
    assert '"db"' in ghost.read_text()[:10]

    refused = runner.invoke(cli, ["import", "quire", str(backup)])
    assert refused.exit_code == 2 and "restore into an empty database" in refused.output

    monkeypatch.setenv("QUIRE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}")
    get_settings.cache_clear()
    quire("db", "upgrade")
    assert re.search(
        r"Restored \d+ posts, 30 authors, 15 tags\.", quire("import", "quire", str(backup))
    )
