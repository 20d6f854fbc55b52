"""Settings: every knob of the service, read from `SHORTURL_*` environment variables and `.env`."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Configuration of one shorturl process. Defaults give the embedded single-process system."""

    model_config = SettingsConfigDict(
        env_prefix="SHORTURL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///./shorturl.db"
    redis_url: str | None = None
    # Prefix of every Redis key, stream and channel, so several deployments (or test runs)
    # can share one Redis server.
    redis_namespace: str = "shorturl"
    base_url: str = "http://localhost:8080"
    # Comma-separated, newest first: the first signs tokens, session cookies and CSRF tokens,
    # any verifies them (rotation: put the new key first, drop the old one a session later).
    secret_key: str | None = None
    # Fernet keys (newest first) that encrypt webhook secrets at rest: the first encrypts,
    # any decrypts (`shorturl webhooks reencrypt` after adding one). Unset: derived from
    # SECRET_KEY. Keep them out of the database's backups.
    encryption_keys: Annotated[list[str], NoDecode] = []
    code_length: int = Field(7, ge=4, le=32)
    default_expiration_days: int = Field(30, ge=1, le=36500)
    redirect_status: Literal[301, 302, 307, 308] = 301
    redirect_cache_control: str = "public, max-age=3600"
    trusted_proxies: Annotated[list[str], NoDecode] = []
    ip_storage: Literal["full", "anonymized", "none"] = "anonymized"
    geoip_db: str | None = None
    rate_limit_enabled: bool = True
    # Redis unreachable: API limits let requests through uncounted (open) or answer 429 (closed)
    rate_limit_without_redis: Literal["open", "closed"] = "open"
    cors_origins: Annotated[list[str], NoDecode] = []
    allow_private_targets: bool = False
    # Links to private/loopback IP addresses (intranets); unset: as ALLOW_PRIVATE_TARGETS.
    allow_private_link_targets: bool | None = None
    # Request bodies past these sizes are refused with 413 (api/body_limit.py): bytes.
    max_body_size: int = Field(1024 * 1024, ge=1024)
    max_bulk_body_size: int = Field(10 * 1024 * 1024, ge=1024)  # bulk create, CSV import
    # A dashboard session unused this long (seconds) is over; it lasts 14 days at most.
    session_idle_timeout: int = Field(12 * 3600, ge=60)
    # Link extras: page metadata, safety checks (shorturl/metadata, shorturl/safety).
    fetch_metadata: bool = True  # read each new target page's title, description and image
    blocklist_file: str | None = None  # domains/patterns refused; None: the shipped empty list
    safety_recheck_interval: float = Field(3600.0, gt=0)  # seconds between block-list re-checks
    check_reachability: bool = False  # refuse new links whose target does not answer
    # Links to other shorteners (bit.ly, …), which could hide a blocked target: "resolve"
    # follows them to their target and checks every hop, "refuse" refuses them, "allow".
    shortener_targets: Literal["resolve", "refuse", "allow"] = "resolve"
    shortener_hosts: Annotated[list[str], NoDecode] = []  # more hosts to treat as shorteners
    # Hot links are kept in each process for this long; with Redis, edits reach every process
    # at once through pub/sub, without it (embedded, several workers) this bounds staleness.
    local_cache_ttl: float = Field(5.0, ge=0)
    local_cache_size: int = Field(10_000, ge=0)
    redis_cache_ttl: int = Field(3600, ge=1)
    environment: Literal["development", "production", "test"] = "development"
    log_format: Literal["text", "json"] = "text"  # json: one object a line (shorturl/logs.py)
    # Click analytics (shorturl/analytics, shorturl/worker).
    click_tracking: bool = True  # false: redirects record nothing (benchmarks, privacy)
    worker_in_process: bool = True  # `serve --no-worker`: `shorturl worker` runs elsewhere
    click_buffer_size: int = Field(100_000, ge=100)  # events a process holds before dropping
    # embedded: the click inbox's SQLite file (default: the database file's path + `-inbox`);
    # scaled: where clicks wait while Redis is away (default: `<namespace>-clicks-inbox.db`)
    click_inbox: str | None = None
    click_flush_interval: float = Field(0.02, gt=0, le=1)  # seconds between buffer flushes
    # Each web process also copies its clicks into a file of its own until they are sent, so
    # one killed outright loses none (analytics/spool.py); the directory (default: beside the
    # inbox, `<inbox>-spool`) and each file's size (0: no spool).
    click_spool: str | None = None
    click_spool_size: int = Field(16 * 1024 * 1024, ge=0, le=1024**3)
    click_stream_maxlen: int = Field(100_000, ge=1000)  # stream entries (batches) kept, about
    # Stream entries (each a web process's flush, up to 1,000 clicks) stored per transaction:
    # small enough that a backlog is worked off in steps of a few thousand clicks.
    worker_batch_size: int = Field(100, ge=1, le=10_000)
    # Seconds without a heartbeat before another worker takes over a worker's batches: a
    # killed worker's clicks are stored by another within ~10 s (reclaim checks: every 1/4).
    worker_reclaim_idle: float = Field(8.0, ge=0)
    # Requests that match no link, kept at most so many a minute (the rest counted); 0: none.
    orphan_visits_per_minute: int = Field(60, ge=0, le=100_000)
    click_retention_days: int | None = Field(None, ge=3)  # raw clicks kept; rollups stay
    deactivate_unused_days: int | None = Field(None, ge=1)  # seed 002 job, off by default
    jobs_interval: float = Field(300.0, gt=0)  # seconds between periodic job runs
    live_heartbeat: float = Field(15.0, gt=0, le=300)  # seconds between SSE heartbeat comments
    # Webhooks (shorturl/webhooks): retries wait base, 2×base, 4×base… up to the cap.
    webhook_timeout: float = Field(5.0, gt=0, le=60)  # seconds a receiver has to answer
    webhook_retry_base: float = Field(10.0, gt=0)  # seconds before the first retry
    webhook_retry_max_delay: float = Field(3600.0, gt=0)  # longest wait between attempts
    webhook_max_attempts: int = Field(8, ge=1, le=100)  # then the delivery is `failed`
    webhook_disable_after: int = Field(50, ge=1)  # consecutive failures before auto-disable
    webhook_sweep_interval: float = Field(5.0, gt=0)  # seconds between sends of due retries

    @field_validator(
        "trusted_proxies", "cors_origins", "encryption_keys", "shortener_hosts", mode="before"
    )
    @classmethod
    def _split_comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("BASE_URL must be an absolute http(s) URL")
        return value.rstrip("/")

    @field_validator("secret_key")
    @classmethod
    def _check_secret_key(cls, value: str | None) -> str | None:
        if value is None:
            return None
        keys = [key.strip() for key in value.split(",")]
        if any(len(key) < 32 for key in keys):
            raise ValueError(
                "SECRET_KEY must be at least 32 characters, each key of a comma-separated "
                "list too (or unset to generate one)"
            )
        return ",".join(keys)

    @property
    def secret_keys(self) -> list[str]:
        """`SECRET_KEY` as its list of keys, newest (the signing one) first; empty if unset."""
        return self.secret_key.split(",") if self.secret_key else []

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: cache, limiter and queue live in this process."""
        return not self.redis_url

    @property
    def click_inbox_url(self) -> str | None:
        """Embedded on a SQLite file: where its clicks wait for a worker (worker/inbox.py),
        `click_inbox` or beside the database (`shorturl.db` → `shorturl.db-inbox`). None with
        Redis (the stream), and for PostgreSQL without Redis or SQLite in memory: their
        clicks wait in the web process's memory."""
        url = make_url(self.database_url)
        if not self.embedded or url.get_backend_name() != "sqlite":
            return None
        if url.database in (None, "", ":memory:"):
            return None
        inbox = self.click_inbox or f"{url.database}-inbox"
        return url.set(database=inbox).render_as_string(hide_password=False)

    @property
    def click_fallback_inbox_url(self) -> str:
        """Scaled: the SQLite file where this host's clicks wait while Redis is unreachable
        (worker/fallback.py), `click_inbox` or `<namespace>-clicks-inbox.db` here."""
        path = self.click_inbox or f"{self.redis_namespace}-clicks-inbox.db"
        return f"sqlite+aiosqlite:///{path}"

    @property
    def click_spool_directory(self) -> Path | None:
        """Where the web processes keep their unsent clicks: None when they leave no trace
        that outlives the process anyway (clicks queued in memory), or `click_spool_size` 0."""
        if not self.click_spool_size or not self.clicks_leave_the_process:
            return None
        if self.click_spool:
            return Path(self.click_spool)
        inbox = self.click_inbox_url if self.embedded else self.click_fallback_inbox_url
        assert inbox is not None
        return Path(f"{make_url(inbox).database}-spool")

    @property
    def clicks_leave_the_process(self) -> bool:
        """Another process can consume this one's clicks: through Redis or the inbox file."""
        return not self.embedded or self.click_inbox_url is not None

    @cached_property
    def short_host(self) -> str:
        """Host (with port when not default) that short links are served from."""
        return (urlsplit(self.base_url).netloc or "").lower()
