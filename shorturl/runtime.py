"""The per-process objects every part of the service shares: settings, database, Redis, cache.

Built by `create_app`, connected in the app's lifespan, closed on shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Final

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError
from sqlalchemy import text

from shorturl.accounts.browser_sessions import prune_sessions
from shorturl.analytics.pipeline import ClickPipeline
from shorturl.background import BackgroundTasks
from shorturl.config import Settings
from shorturl.domains.registry import DomainRegistry
from shorturl.links.service import LinkService
from shorturl.live.hub import LiveHub
from shorturl.live.publisher import live_feed
from shorturl.metadata.service import MetadataService
from shorturl.net.client_ip import ClientIpResolver
from shorturl.net.safe_fetch import FetchPolicy, SafeFetcher
from shorturl.ratelimit.service import RateLimits
from shorturl.redirect.resolver import LinkResolver
from shorturl.safety.service import RECHECK_JOB, SafetyService
from shorturl.storage.cache import LinkCache
from shorturl.storage.db import Database
from shorturl.storage.outage import Availability
from shorturl.storage.secrets import load_or_create_secret
from shorturl.webhooks.dispatcher import WebhookDispatcher
from shorturl.webhooks.secret_box import secret_box_for

__all__ = ["Runtime"]

log = logging.getLogger(__name__)

# Per process. Redirects never hold one for long (cache misses and batched flushes only).
REDIS_MAX_CONNECTIONS: Final = 64


class Runtime:
    def __init__(self, settings: Settings, *, role: str = "") -> None:
        self.settings = settings
        self.name = f"shorturl {role}" if role else "shorturl"  # in its log lines
        self.database = Database(settings.database_url)
        self.redis: Redis | None = (
            Redis(connection_pool=_redis_pool(settings.redis_url)) if settings.redis_url else None
        )
        # Whether Redis and the database answer: one warning per outage, and what the
        # service does meanwhile (storage/outage.py). None: no Redis configured.
        self.redis_availability: Availability | None = (
            Availability("redis", self.redis.ping) if self.redis is not None else None
        )
        self.database_availability = Availability("database", self._ping_database)
        self.cache = LinkCache(
            local_size=settings.local_cache_size,
            local_ttl=settings.local_cache_ttl,
            redis=self.redis,
            namespace=settings.redis_namespace,
            redis_ttl=settings.redis_cache_ttl,
            availability=self.redis_availability,
        )
        self.resolver = LinkResolver(
            self.cache, self.database.sessionmaker, self.database_availability
        )
        self.links = LinkService(settings, self.cache)
        self.domains = DomainRegistry(self.database.sessionmaker)
        # SECRET_KEY's keys, newest first: `secret_key` signs, any of `secret_keys` verifies.
        self.secret_keys: tuple[str, ...] = tuple(settings.secret_keys)
        self.secret_key: str = self.secret_keys[0] if self.secret_keys else ""
        self.accepting = False  # started and not stopping: /health/ready
        self.client_ip = ClientIpResolver(settings.trusted_proxies)
        self.limits: RateLimits | None = (
            RateLimits.create(
                self.redis,
                self.redis_key,
                availability=self.redis_availability,
                fail_open=settings.rate_limit_without_redis == "open",
            )
            if settings.rate_limit_enabled
            else None
        )
        self.clicks = ClickPipeline(self)  # max_clicks, click buffer, transport, worker
        # Stored clicks, live: the worker publishes them, this process's SSE clients read them.
        self.live_feed = live_feed(settings, self.redis, self.redis_key("live-clicks"))
        self.live = LiveHub(self.live_feed)
        # Off the request path: page metadata, block-list re-checks, webhook deliveries.
        self.background = BackgroundTasks(
            redis=self.redis, lock_prefix=self.redis_key("lock"), on_outage=self.report_outage
        )
        self.fetcher = SafeFetcher(FetchPolicy(allow_private=settings.allow_private_targets))
        self.metadata = MetadataService(
            self.database.sessionmaker,
            self.fetcher,
            self.background,
            enabled=settings.fetch_metadata,
        )
        self.links.event_handlers.append(self.metadata.on_link_event)
        self.background.every("metadata-sweep", 300.0, self.metadata.sweep)
        self.safety = SafetyService(settings, self.database.sessionmaker, self.links, self.fetcher)
        self.links.target_checks.extend(self.safety.checks)
        self.background.every(RECHECK_JOB, settings.safety_recheck_interval, self.safety.recheck)
        self.webhooks = WebhookDispatcher(settings, self.database.sessionmaker, self.background)
        self.links.event_handlers.append(self.webhooks.on_link_event)
        self.background.every("webhook-sweep", settings.webhook_sweep_interval, self.webhooks.sweep)
        self.background.every("webhook-prune", 3600.0, self.webhooks.prune)
        self.background.every("session-prune", 3600.0, self.prune_sessions)

    async def prune_sessions(self) -> int:
        """Delete dashboard sessions past their lifetime or idle timeout."""
        idle = timedelta(seconds=self.settings.session_idle_timeout)
        async with self.database.sessionmaker() as session:
            removed = await prune_sessions(session, idle)
            await session.commit()
        return removed

    def report_outage(self, exc: BaseException) -> None:
        """Note that Redis or the database failed to answer (one warning per outage)."""
        if self.redis_availability is not None and isinstance(exc, RedisError):
            self.redis_availability.failed(exc)
        else:
            self.database_availability.failed(exc)

    async def _ping_database(self) -> None:
        async with self.database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    def redis_key(self, *parts: str) -> str:
        """A Redis key (or stream, or channel) in this deployment's namespace."""
        return ":".join((self.settings.redis_namespace, *parts))

    async def start(self) -> None:
        if not self.secret_key:
            self.secret_key = await load_or_create_secret(self.database.sessionmaker, "secret_key")
            self.secret_keys = (self.secret_key,)
            log.warning(
                "SHORTURL_SECRET_KEY is not set: tokens, sessions and (without "
                "SHORTURL_ENCRYPTION_KEYS) webhook secrets are protected by a key stored in "
                "the database itself, so a copy of the database is enough to forge sessions "
                "and read webhook secrets. Set SHORTURL_SECRET_KEY (docs/security.md)."
            )
            self.webhooks.secret_box = secret_box_for(
                self.settings.encryption_keys, self.secret_keys
            )
        await self.cache.start()
        await self.domains.start()
        if self.limits is not None:
            await self.limits.start()
        await self.clicks.start()
        await self.background.start()
        self.accepting = True
        log.info(
            "%s ready: database=%s cache=%s loop=%s",
            self.name,
            self.database.dialect,
            self.cache.backend,
            type(asyncio.get_running_loop()).__module__.split(".")[0],  # uvloop, not asyncio
        )

    async def close(self) -> None:
        self.accepting = False
        await self.live.close()
        await self.clicks.close()
        await self.live_feed.close()
        await self.background.close()
        await self.domains.close()
        await self.webhooks.aclose()
        await self.fetcher.aclose()
        if self.limits is not None:
            await self.limits.close()
        await self.cache.close()
        await self.database_availability.close()
        if self.redis_availability is not None:
            await self.redis_availability.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self.database.dispose()
        log.info("%s stopped", self.name)


def _redis_pool(url: str) -> BlockingConnectionPool:
    """A bounded pool where a burst waits its turn for a connection instead of failing."""
    return BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=5,
        health_check_interval=30,
        # a Redis that went away unannounced (a host down) fails in seconds, not minutes
        socket_connect_timeout=2,
    )
