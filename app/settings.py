"""Configuration from QUIRE_* environment variables (and a .env file)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "insecure-local-development-key"


_PATH_WITH_SLUG = r"^/[A-Za-z0-9._~/-]*\{slug\}[A-Za-z0-9._~/-]*$"


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
    db_statement_timeout_ms: int = Field(default=5_000, ge=0)  # PostgreSQL only; 0 = none
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    # PostgreSQL streaming replicas for anonymous reads (see app.replicas): a JSON list of URLs.
    database_replica_urls: list[str] = Field(default_factory=list)
    replica_max_lag_seconds: float = Field(default=5.0, ge=0)  # a replica lagging more: skipped
    replica_check_seconds: float = Field(default=1.0, gt=0, le=60)  # how often each is checked
    introspection: bool = True
    metrics: bool = True  # serve Prometheus metrics at /metrics (keep it off the public edge)
    log_format: Literal["auto", "json", "text"] = "auto"  # auto: JSON in production

    # Query limits, checked before execution.
    max_body_bytes: int = Field(default=100_000, ge=1_000)
    max_query_tokens: int = Field(default=2_000, ge=100)
    max_query_depth: int = Field(default=12, ge=2)
    max_query_aliases: int = Field(default=30, ge=0)
    max_root_fields: int = Field(default=10, ge=1)
    max_query_cost: int = Field(default=5_000, ge=1)
    request_timeout_seconds: float = Field(default=10.0, gt=0)

    # Rate limiting per client (token bucket weighted by query cost).
    rate_limit_enabled: bool = True
    rate_limit_burst: int = Field(default=10_000, ge=1)
    rate_limit_per_second: float = Field(default=1_000.0, gt=0)
    redis_url: str | None = None

    # Editors' sessions and login throttling (attempts per window, per account and per client).
    session_ttl_hours: float = Field(default=168, gt=0)
    login_window_minutes: float = Field(default=15, gt=0)
    login_attempts_per_account: int = Field(default=10, ge=1)
    login_attempts_per_client: int = Field(default=50, ge=1)
    login_failure_delay_seconds: float = Field(default=0.5, ge=0)
    # How long a draft's preview link works: a reviewer elsewhere can open it the next day, and
    # a leaked link stops working soon after (short of rotating the secret key, nothing else
    # revokes it).
    preview_ttl_seconds: int = Field(default=86_400, ge=60)
    redis_prefix: str = "quire:"  # namespace of Quire's keys in a shared Redis
    trusted_proxy_header: str | None = None  # e.g. X-Forwarded-For behind one trusted proxy

    # Plan the hot read queries once and answer them without graphql-core's per-field
    # execution (see schema.compiled); off: every operation runs through Strawberry.
    compiled_reads: bool = True
    # PostgreSQL: run the read statements built once on asyncpg's own pool, without
    # SQLAlchemy's execution layer (see resolvers.direct_reads); off: through SQLAlchemy.
    direct_reads: bool = True
    # Caching of anonymous reads (see app.response_cache) and persisted queries.
    response_cache: bool = True
    response_cache_ttl_seconds: float = Field(default=300, gt=0)
    response_cache_max_entries: int = Field(default=2_000, ge=1)  # in-process cache only
    # For anonymous GET responses, which also carry an ETag: caches revalidate every time (a
    # 304 when nothing changed), so no reader is shown text older than the last save.
    cache_control: str = Field(
        default="public, max-age=0, must-revalidate", pattern=r"^[\x20-\x7e]+$"
    )
    # The header naming the cache keys of what a complete anonymous answer read (see
    # resolvers.cache_keys), for a CDN to purge by: Fastly's and Varnish's Surrogate-Key
    # (space-separated), or Cloudflare's Cache-Tag (comma-separated: any name ending in
    # "Cache-Tag"). Empty: no header.
    surrogate_key_header: str = Field(
        default="Surrogate-Key", pattern=r"^([A-Za-z0-9][A-Za-z0-9-]{0,63})?$"
    )
    # Atom feeds and the sitemap (see app.feeds); where they link posts, tags and authors on the
    # site (`site.url`): paths with {slug}, Ghost's by default.
    feeds: bool = True
    post_path: str = Field(default="/{slug}/", pattern=_PATH_WITH_SLUG)
    tag_path: str = Field(default="/tag/{slug}/", pattern=_PATH_WITH_SLUG)
    author_path: str = Field(default="/author/{slug}/", pattern=_PATH_WITH_SLUG)
    persisted_queries: Literal["apq", "allowlist", "off"] = "apq"
    persisted_queries_file: Path | None = None  # Apollo manifest of the allowlist

    # How long the event log keeps events (see resolvers.sync): a sync cursor older than this
    # gets SYNC_EXPIRED and the app starts a full sync.
    sync_retention_days: float = Field(default=30, gt=0)

    # After startup, keep what it built out of the garbage collector's sight (gc.freeze): full
    # collections under load then stay short (the p99 tail). Off in tests that build many apps.
    gc_freeze: bool = True

    # On SIGTERM, answer /readyz with 503 and keep serving this long before stopping, so a load
    # balancer stops sending new connections first (0: stop at once).
    shutdown_drain_seconds: float = Field(default=5, ge=0, le=300)

    # Subscriptions over WebSocket (see app.subscriptions, app.event_listener).
    ws_max_connections_per_client: int = Field(default=20, ge=1)  # per process
    ws_idle_seconds: float = Field(default=300, gt=0)  # without a subscription
    ws_recheck_seconds: float = Field(default=60, gt=0)  # the token, while nothing is saved
    live_poll_seconds: float = Field(default=0.5, gt=0, le=60)  # SQLite: how often to look

    # Background jobs (see app.background): scheduled posts' events at their instant, and
    # webhook deliveries. In every `quire serve` worker unless off (then run `quire worker`).
    background_jobs: bool = True
    background_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    # Deliver to endpoints on loopback or private networks (local receivers, tests).
    webhook_allow_private_targets: bool = False
    # An endpoint whose every delivery failed for this long is switched off.
    webhook_disable_after_hours: float = Field(default=120, gt=0)
    # How long a process holds a delivery it is attempting; a process that dies mid-attempt
    # leaves it to another after this. More than the 10 s request timeout, except in tests.
    webhook_claim_seconds: float = Field(default=60, gt=0)

    @property
    def json_logs(self) -> bool:
        return self.log_format == "json" or (
            self.log_format == "auto" and self.environment == "production"
        )

    @model_validator(mode="after")
    def _refuse_placeholder_secret_in_production(self) -> "Settings":
        if self.environment == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("QUIRE_SECRET_KEY must be set to a real secret in production")
        return self

    @model_validator(mode="after")
    def _replicate_postgresql_only(self) -> "Settings":
        urls = [self.database_url, *self.database_replica_urls]
        if self.database_replica_urls and not all(u.startswith("postgresql") for u in urls):
            raise ValueError(
                "QUIRE_DATABASE_REPLICA_URLS needs PostgreSQL URLs, and a PostgreSQL "
                "QUIRE_DATABASE_URL for the primary"
            )
        return self

    @model_validator(mode="after")
    def _require_a_manifest_for_the_allowlist(self) -> "Settings":
        if self.persisted_queries == "allowlist" and self.persisted_queries_file is None:
            raise ValueError("QUIRE_PERSISTED_QUERIES=allowlist needs QUIRE_PERSISTED_QUERIES_FILE")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
