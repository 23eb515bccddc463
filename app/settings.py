"""Configuration from QUIRE_* environment variables (and a .env file)."""

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "insecure-local-development-key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUIRE_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./quire.db"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    graphiql: bool = True
    cors_origins: list[str] = Field(default_factory=list)
    secret_key: str = PLACEHOLDER_SECRET
    db_pool_size: int = Field(default=10, ge=1)
    db_echo: bool = False

    @model_validator(mode="after")
    def _refuse_placeholder_secret_in_production(self) -> "Settings":
        if self.environment == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("QUIRE_SECRET_KEY must be set to a real secret in production")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
