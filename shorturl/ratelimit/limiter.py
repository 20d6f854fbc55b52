"""The moving-window limiter every API limit uses (`limits`; Redis storage when there is
Redis, so every process shares the counts, process memory otherwise).

Redis unreachable: requests pass (`fail_open`, the default) or are refused with 429 and
`Retry-After` until it is back, said once per outage; the limiter does not ask Redis again
before the outage's probe has seen it answer."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from shorturl.api.envelope import RateLimitMeta
from shorturl.storage.outage import Availability

__all__ = ["LimitState", "RateLimiter"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LimitState:
    """Where one caller stands against one limit after a request."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when the oldest counted request leaves the window

    def retry_after(self, now: float | None = None) -> int:
        """Whole seconds to wait before a request can succeed (at least 1)."""
        return max(1, math.ceil(self.reset_at - (now or time.time())))

    def reset_in(self, now: float | None = None) -> int:
        return max(0, math.ceil(self.reset_at - (now or time.time())))

    def meta(self) -> RateLimitMeta:
        return RateLimitMeta(limit=self.limit, remaining=self.remaining, reset=int(self.reset_at))


class RateLimiter:
    """Counts requests per (limit name, identity) in a moving window of `period` seconds."""

    def __init__(
        self,
        storage: Storage,
        *,
        availability: Availability | None = None,
        fail_open: bool = True,
    ) -> None:
        self.storage = storage
        self._strategy = MovingWindowRateLimiter(storage)
        self._last_warning = 0.0
        self.availability = availability
        self.fail_open = fail_open
        self._outage_told = 0  # the outage whose fallback was logged

    @classmethod
    def create(
        cls,
        redis: Redis | None,
        key_prefix: str,
        *,
        availability: Availability | None = None,
        fail_open: bool = True,
    ) -> RateLimiter:
        """On Redis (sharing the process's connection pool) when given, else in memory."""
        if redis is None:
            return cls(MemoryStorage())
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=key_prefix,
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]
        )
        return cls(storage, availability=availability, fail_open=fail_open)

    async def hit(
        self, name: str, identity: str, limit: int, period: int, cost: int = 1
    ) -> LimitState:
        """Count `cost` requests unless that would pass `limit`; the state afterwards."""
        item = _item(limit, period)
        if self._storage_down():
            return self._without_storage(limit, period)
        try:
            allowed = await self._strategy.hit(item, name, identity, cost=cost)
            return await self._state(item, name, identity, allowed)
        except Exception as exc:  # noqa: BLE001 - an unreachable limiter must not take the API down
            return self._storage_failed(exc, name, limit, period)

    async def peek(self, name: str, identity: str, limit: int, period: int) -> LimitState:
        """The state without counting anything: `allowed` says whether one more would pass."""
        item = _item(limit, period)
        if self._storage_down():
            return self._without_storage(limit, period)
        try:
            allowed = await self._strategy.test(item, name, identity)
            return await self._state(item, name, identity, allowed)
        except Exception as exc:  # noqa: BLE001
            return self._storage_failed(exc, name, limit, period)

    async def clear(self, name: str, identity: str, limit: int, period: int) -> None:
        if self._storage_down():
            return
        try:
            await self._strategy.clear(_item(limit, period), name, identity)
        except Exception:  # noqa: BLE001
            self._warn(f"rate limiter unavailable; {name} not cleared")

    def _storage_down(self) -> bool:
        return self.availability is not None and not self.availability.available

    def _storage_failed(self, exc: Exception, name: str, limit: int, period: int) -> LimitState:
        if self.availability is None:
            self._warn(f"rate limiter unavailable; letting requests through ({name})")
            return LimitState(True, limit, limit, time.time() + period)
        self.availability.failed(exc)
        return self._without_storage(limit, period)

    def _without_storage(self, limit: int, period: int) -> LimitState:
        """Open or closed, by the setting, while the shared counts cannot be read."""
        assert self.availability is not None
        if self._outage_told != self.availability.outages:
            self._outage_told = self.availability.outages
            log.warning(
                "rate limits fail %s while Redis is unavailable",
                "open (requests pass uncounted)" if self.fail_open else "closed (429)",
            )
        if self.fail_open:
            return LimitState(True, limit, limit, time.time() + period)
        return LimitState(False, limit, 0, time.time() + self.availability.retry_after)

    def _warn(self, message: str) -> None:
        """Log a storage failure at most once a minute (it would otherwise be every request)."""
        now = time.monotonic()
        if now - self._last_warning > 60:
            self._last_warning = now
            log.warning(message, exc_info=True)

    async def _state(
        self, item: RateLimitItem, name: str, identity: str, allowed: bool
    ) -> LimitState:
        reset_at, remaining = await self._strategy.get_window_stats(item, name, identity)
        return LimitState(allowed, item.amount, max(0, remaining), reset_at)


def _item(limit: int, period: int) -> RateLimitItem:
    return RateLimitItemPerSecond(limit, period)
