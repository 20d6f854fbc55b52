"""The per-IP redirect limit, cheap enough for the hot path: no Redis round trip per redirect.

A redirect costs one Redis GET more than the whole redirect is worth (it halves throughput),
so each process decides alone, from numbers it keeps in memory, and shares them in batches:

* every process counts the redirects it lets through per client IP, in hourly slots;
* every `flush_interval` (0.5 s) it sends what it counted to Redis in one pipeline
  (`INCRBY` on `…:rl:redirect:<slot>:<ip>`) and gets back every process's totals for the
  IPs it saw, current and previous slot;
* a request is allowed while the sliding-window estimate (previous slot weighted by the part
  of it still inside the last hour, plus the current slot: the same approximation as
  `limits`' sliding window counter) is below the limit.

Trade-off, stated: the limit is approximate. A process learns what the others counted within
one flush interval, so N processes can let through at most about N × (one interval's
requests from that IP) beyond the limit before all of them refuse; one process alone is exact.
If Redis is unreachable each process keeps limiting on its own counts. Embedded (no Redis)
there is nothing to share and every process counts alone. Rejected redirects are not counted.
Memory is bounded: at most `max_tracked` IPs are remembered (the stalest are forgotten first),
and an IP first seen while that many are pending in one interval is let through uncounted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from typing import Final

from redis.asyncio import Redis

__all__ = ["RedirectLimiter"]

log = logging.getLogger(__name__)

_PIPELINE_IPS: Final = 2_000


class RedirectLimiter:
    def __init__(
        self,
        limit: int,
        window: int = 3600,
        *,
        redis: Redis | None = None,
        key_prefix: str = "rl:redirect",
        flush_interval: float = 0.5,
        max_tracked: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window = window
        self.redis = redis
        self.key_prefix = key_prefix
        self.flush_interval = flush_interval
        self.max_tracked = max_tracked
        self.clock = clock
        # ip → (slot, count in that slot, count in the slot before), all processes, as of the
        # last flush that carried hits from this IP.
        self._known: dict[str, tuple[int, int, int]] = {}
        # Hits let through since the last flush, per IP, in slot `_slot`; older slots' hits
        # wait in `_outbox` when the hour turns between two flushes.
        self._slot = int(clock() // window)
        self._pending: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}  # current-slot hits being sent to Redis
        self._outbox: list[tuple[int, dict[str, int]]] = []
        self._task: asyncio.Task[None] | None = None
        self._last_warning = 0.0

    # the hot path

    def allow(self, ip: str) -> bool:
        """Count a redirect for `ip` and say whether it may go ahead. O(1), no I/O."""
        now = self.clock()
        slot = int(now // self.window)
        if slot != self._slot:
            self._turn_slot(slot)
        if self._estimate(ip, slot, now) >= self.limit:
            return False
        pending = self._pending
        count = pending.get(ip)
        if count is None and len(pending) >= self.max_tracked:
            return True
        pending[ip] = (count or 0) + 1
        return True

    def retry_after(self, ip: str) -> int:
        """Seconds until `ip` may follow a redirect again, if nobody adds to its count."""
        now = self.clock()
        slot, into = divmod(now, self.window)
        current, previous = self._counts(ip, int(slot))
        if current < self.limit and previous > 0:
            wait = self.window * (1 - (self.limit - current) / previous) - into
        else:
            wait = (self.window - into) + self.window * max(0.0, 1 - self.limit / max(current, 1))
        return max(1, math.ceil(wait))

    def _counts(self, ip: str, slot: int) -> tuple[int, int]:
        known = self._known.get(ip)
        current = previous = 0
        if known is not None:
            if known[0] == slot:
                current, previous = known[1], known[2]
            elif known[0] == slot - 1:
                previous = known[1]
        for old_slot, counts in self._outbox:  # the hour turned since the last flush
            if old_slot == slot - 1:
                previous += counts.get(ip, 0)
        return current + self._pending.get(ip, 0) + self._in_flight.get(ip, 0), previous

    def _estimate(self, ip: str, slot: int, now: float) -> float:
        current, previous = self._counts(ip, slot)
        if not previous:
            return current
        weight = 1.0 - (now - slot * self.window) / self.window
        return previous * weight + current

    def _turn_slot(self, slot: int) -> None:
        if self._pending:
            self._outbox.append((self._slot, self._pending))
            self._pending = {}
        self._slot = slot

    # sharing

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="redirect-rate-limit-flush")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            try:
                await self.flush()
            except Exception:  # noqa: BLE001 - the loop must survive anything
                log.exception("redirect rate limit flush failed")

    async def flush(self) -> None:
        """Share the hits counted since the last flush and learn everyone's totals."""
        batches = [*self._outbox, (self._slot, self._pending)]
        # Until Redis answers, the hits being sent still count in this process's estimates.
        self._in_flight = self._pending
        self._outbox, self._pending = [], {}
        hits = [(slot, ip, count) for slot, counts in batches for ip, count in counts.items()]
        try:
            if not hits:
                return
            if self.redis is None:
                self._merge_locally(hits)
                return
            try:
                await self._share(hits)
            except Exception:  # noqa: BLE001 - Redis down: keep limiting on local counts
                now = time.monotonic()
                if now - self._last_warning > 60:
                    self._last_warning = now
                    log.warning("redirect rate limit: Redis unreachable, counting locally")
                self._merge_locally(hits)
        finally:
            self._in_flight = {}
            self._bound_memory()

    async def _share(self, hits: list[tuple[int, str, int]]) -> None:
        assert self.redis is not None
        ttl = 2 * self.window
        for start in range(0, len(hits), _PIPELINE_IPS):
            chunk = hits[start : start + _PIPELINE_IPS]
            pipe = self.redis.pipeline(transaction=False)
            for slot, ip, count in chunk:
                key = f"{self.key_prefix}:{slot}:{ip}"
                pipe.incrby(key, count)
                pipe.expire(key, ttl)
                pipe.get(f"{self.key_prefix}:{slot - 1}:{ip}")
            results = await pipe.execute()
            for index, (slot, ip, _) in enumerate(chunk):
                current, previous = results[3 * index], results[3 * index + 2]
                self._learn(ip, slot, int(current), int(previous or 0))

    def _merge_locally(self, hits: list[tuple[int, str, int]]) -> None:
        for slot, ip, count in hits:
            known = self._known.get(ip)
            if known is not None and known[0] == slot:
                self._learn(ip, slot, known[1] + count, known[2])
            elif known is not None and known[0] == slot - 1:
                self._learn(ip, slot, count, known[1])
            else:
                self._learn(ip, slot, count, 0)

    def _learn(self, ip: str, slot: int, current: int, previous: int) -> None:
        known = self._known.get(ip)
        if known is None or known[0] <= slot:
            self._known.pop(ip, None)  # re-insert: dict order is then least recently seen first
            self._known[ip] = (slot, current, previous)

    def _bound_memory(self) -> None:
        if len(self._known) <= self.max_tracked:
            return
        stale_before = self._slot - 1
        for ip in [ip for ip, known in self._known.items() if known[0] < stale_before]:
            del self._known[ip]
        excess = len(self._known) - int(self.max_tracked * 0.9)
        if excess > 0:
            for ip in list(self._known)[:excess]:
                del self._known[ip]
