"""`RateLimits`: the limiters of one process, built from the settings (None when limits are off)."""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis

from shorturl.ratelimit.limiter import RateLimiter
from shorturl.ratelimit.login import LoginThrottle
from shorturl.ratelimit.plans import ANONYMOUS_PLAN
from shorturl.ratelimit.redirects import RedirectLimiter
from shorturl.storage.outage import Availability

__all__ = ["RateLimits"]


class RateLimits:
    """API v1 and root API limits (`api`), sign-in throttling (`login`), and the per-IP
    redirect limit (`redirects`, the anonymous plan's redirections per hour)."""

    def __init__(self, api: RateLimiter, redirects: RedirectLimiter) -> None:
        self.api = api
        self.login = LoginThrottle(api)
        self.redirects = redirects

    @classmethod
    def create(
        cls,
        redis: Redis | None,
        redis_key: Callable[..., str],
        *,
        availability: Availability | None = None,
        fail_open: bool = True,
    ) -> RateLimits:
        return cls(
            RateLimiter.create(
                redis, redis_key("rl"), availability=availability, fail_open=fail_open
            ),
            RedirectLimiter(
                ANONYMOUS_PLAN.redirect, redis=redis, key_prefix=redis_key("rl", "redirect")
            ),
        )

    async def start(self) -> None:
        await self.redirects.start()

    async def close(self) -> None:
        await self.redirects.close()
