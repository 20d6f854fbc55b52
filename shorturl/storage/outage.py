"""`Availability`: whether a shared dependency (Redis, the database) answers, one warning per outage.

The first failure marks the dependency down and logs one warning; a probe then asks it every
second whether it is back, and when it is logs how long the outage lasted and runs the
recovery actions (forward the clicks kept meanwhile, send the cache invalidations that could
not be sent). While it is down, callers that have a fallback skip the dependency entirely
instead of paying a failed round trip (and a log line) on every request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Final

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

__all__ = ["Availability", "is_outage"]

log = logging.getLogger(__name__)

PROBE_INTERVAL: Final = 1.0  # seconds between "are you back?" while a dependency is down
PROBE_TIMEOUT: Final = 2.0

Probe = Callable[[], Awaitable[object]]
Recovery = Callable[[], Awaitable[None]]


def is_outage(exc: BaseException) -> bool:
    """True for errors that mean a dependency cannot be reached (not a bug, not bad input)."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeoutError)):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc, (OSError, TimeoutError, RedisConnectionError, RedisTimeoutError))


class Availability:
    def __init__(self, name: str, probe: Probe, *, interval: float = PROBE_INTERVAL) -> None:
        self.name = name
        self.interval = interval
        self._probe = probe
        self.available = True
        self.down_since: float | None = None
        self.outages = 0  # how many began since start (tests, /health)
        self.on_recovery: list[Recovery] = []
        self._probing: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def retry_after(self) -> int:
        """Seconds a client should wait before trying again (whole, at least 1)."""
        return max(1, math.ceil(self.interval * 2))

    def failed(self, exc: BaseException) -> None:
        """Note a failure: the first of an outage logs a warning and starts the probe."""
        if not self.available or self._closed:
            return
        self.available = False
        self.down_since = time.monotonic()
        self.outages += 1
        log.warning(
            "%s unavailable (%s: %s); degraded until it answers", self.name, type(exc).__name__, exc
        )
        with contextlib.suppress(RuntimeError):  # no running loop: the next caller retries
            self._probing = asyncio.get_running_loop().create_task(
                self._until_back(), name=f"probe-{self.name}"
            )

    async def check(self) -> bool:
        """Ask the dependency now (health checks); a failure starts an outage like any other."""
        try:
            await asyncio.wait_for(self._probe(), PROBE_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - any failure means down
            self.failed(exc)
            return False
        return True

    async def _until_back(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.interval)
            try:
                await asyncio.wait_for(self._probe(), PROBE_TIMEOUT)
            except Exception:  # noqa: BLE001, S112 - still down: ask again later
                continue
            break
        self._probing = None
        if not self._closed:
            await self._recovered()

    async def _recovered(self) -> None:
        lasted = time.monotonic() - (self.down_since or time.monotonic())
        self.available = True
        self.down_since = None
        log.warning("%s available again after %.1f s", self.name, lasted)
        for action in self.on_recovery:
            try:
                await action()
            except Exception as exc:  # noqa: BLE001 - it went again: the next recovery retries
                log.warning("after %s came back: %s failed (%s)", self.name, action, exc)

    async def close(self) -> None:
        self._closed = True
        if self._probing is not None:
            self._probing.cancel()  # it only sleeps and pings: one cancel ends it
            with contextlib.suppress(asyncio.CancelledError):
                await self._probing
            self._probing = None
