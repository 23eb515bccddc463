"""Settings come from QUIRE_* variables and fail closed in production."""

import pytest
from pydantic import ValidationError

from app.settings import PLACEHOLDER_SECRET, Settings


def test_defaults_serve_a_local_sqlite_file_with_graphiql() -> None:
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert (settings.host, settings.port, settings.graphiql) == ("127.0.0.1", 8000, True)


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUIRE_PORT", "9001")
    monkeypatch.setenv("QUIRE_CORS_ORIGINS", '["https://blog.example.com"]')
    settings = Settings(_env_file=None)
    assert settings.port == 9001
    assert settings.cors_origins == ["https://blog.example.com"]


def test_production_refuses_the_placeholder_secret() -> None:
    with pytest.raises(ValidationError, match="QUIRE_SECRET_KEY"):
        Settings(_env_file=None, environment="production", secret_key=PLACEHOLDER_SECRET)
    assert Settings(_env_file=None, environment="production", secret_key="s3cr3t").secret_key
