"""The per-IP redirect limit, cheap enough for the hot path: no Redis round trip per redirect.

A Redis call per redirect costs more than the whole redirect (it halves throughput), so each
process decides alone, with two dict lookups, and shares its counts in batches:

* a redirect is allowed while the IP's hits since the last flush stay within its *budget*;
  allowed hits are counted in `_pending` (rejected ones are not counted);
* every `flush_interval` (0.5 s) the process sends what it counted to Redis in one pipeline
  (`INCRBY` on `…:rl:redirect:<slot>:<ip>`, hourly slots), gets back every process's totals
  for those IPs, current and previous slot, and recomputes their budgets: the limit minus
  the sliding-window estimate (previous slot weighted by the part of it still inside the last
  hour, plus the current slot — the estimate of `limits`' sliding window counter). A refused
  request recomputes its IP's budget on the spot, so an IP is let in again as soon as the
  window has slid far enough.

Trade-off, stated: the limit is approximate across processes. A process learns what the
others counted within one flush interval, so N processes can let through up to about
N × (one interval's requests from that IP) beyond the limit before all of them refuse. One
process alone is exact, except that hits are filed under the hour slot of the flush that
carries them (an error of at most one interval at the turn of each hour). If Redis is
unreachable, each process keeps limiting on its own counts; embedded (no Redis) every
process counts alone. Memory is bounded: at most `max_tracked` IPs are remembered (the least
recently seen are forgotten first), and an IP first seen while that many are already pending
in one interval is let through uncounted.
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
        # ip → (slot, hits in that slot, hits in the slot before), all processes, as of the
        # last flush that carried hits from this IP.
        self._known: dict[str, tuple[int, int, int]] = {}
        # ip → how many more hits may pass before the next flush (absent: the whole limit).
        self._budget: dict[str, int] = {}
        self._pending: dict[str, int] = {}  # hits let through since the last flush
        self._flushing = False
        self._task: asyncio.Task[None] | None = None
        self._last_warning = 0.0

    # the hot path

    def allow(self, ip: str) -> bool:
        """Count a redirect for `ip` and say whether it may go ahead. Two dict lookups, no I/O."""
        pending = self._pending
        count = pending.get(ip, 0) + 1
        if count > self._budget.get(ip, self.limit) and not self._budget_has_grown(ip, count):
            return False
        if count == 1 and len(pending) >= self.max_tracked:
            return True
        pending[ip] = count
        return True

    def retry_after(self, ip: str) -> int:
        """Seconds until `ip` may follow a redirect again, if nobody adds to its count."""
        now = self.clock()
        slot, into = divmod(now, self.window)
        current, previous = self._counts(ip, int(slot))
        current += self._pending.get(ip, 0)
        if current < self.limit and previous > 0:
            wait = self.window * (1 - (self.limit - current) / previous) - into
        else:
            wait = (self.window - into) + self.window * max(0.0, 1 - self.limit / max(current, 1))
        return max(1, math.ceil(wait))

    # budgets

    def _budget_has_grown(self, ip: str, count: int) -> bool:
        """On refusal only: the window may have slid since the budget was computed."""
        if self._flushing:  # the hits being sent are in neither `_known` nor `_pending`
            return False
        self._recompute_budget(ip, self.clock())
        return count <= self._budget.get(ip, self.limit)

    def _counts(self, ip: str, slot: int) -> tuple[int, int]:
        """(hits in `slot`, hits in the slot before) as last learned."""
        known = self._known.get(ip)
        if known is None:
            return 0, 0
        if known[0] == slot:
            return known[1], known[2]
        if known[0] == slot - 1:
            return 0, known[1]
        return 0, 0

    def _recompute_budget(self, ip: str, now: float) -> None:
        slot = int(now // self.window)
        current, previous = self._counts(ip, slot)
        estimate = current + previous * (1.0 - (now - slot * self.window) / self.window)
        budget = max(0, math.ceil(self.limit - estimate))
        if budget >= self.limit:
            self._budget.pop(ip, None)
        else:
            self._budget[ip] = budget

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
        """Share the hits counted since the last flush, learn everyone's totals, and
        recompute the budgets of the IPs seen since."""
        if not self._pending:
            return
        hits, self._pending = self._pending, {}
        now = self.clock()
        slot = int(now // self.window)
        self._flushing = True
        try:
            # Until the totals are back, the hits being sent still use up their budgets.
            for ip, count in hits.items():
                self._budget[ip] = self._budget.get(ip, self.limit) - count
            if self.redis is None:
                self._merge_locally(hits, slot)
            else:
                try:
                    await self._share(hits, slot)
                except Exception:  # noqa: BLE001 - Redis down: keep limiting on local counts
                    if time.monotonic() - self._last_warning > 60:
                        self._last_warning = time.monotonic()
                        log.warning("redirect rate limit: Redis unreachable, counting locally")
                    self._merge_locally(hits, slot)
            for ip in hits:
                self._recompute_budget(ip, now)
        finally:
            self._flushing = False
        self._bound_memory(slot)

    async def _share(self, hits: dict[str, int], slot: int) -> None:
        assert self.redis is not None
        ttl = 2 * self.window
        items = list(hits.items())
        for start in range(0, len(items), _PIPELINE_IPS):
            chunk = items[start : start + _PIPELINE_IPS]
            pipe = self.redis.pipeline(transaction=False)
            for ip, count in chunk:
                key = f"{self.key_prefix}:{slot}:{ip}"
                pipe.incrby(key, count)
                pipe.expire(key, ttl)
                pipe.get(f"{self.key_prefix}:{slot - 1}:{ip}")
            results = await pipe.execute()
            for index, (ip, _) in enumerate(chunk):
                current, previous = results[3 * index], results[3 * index + 2]
                self._learn(ip, slot, int(current), int(previous or 0))

    def _merge_locally(self, hits: dict[str, int], slot: int) -> None:
        for ip, count in hits.items():
            current, previous = self._counts(ip, slot)
            self._learn(ip, slot, current + count, previous)

    def _learn(self, ip: str, slot: int, current: int, previous: int) -> None:
        self._known.pop(ip, None)  # re-insert: dict order is then least recently seen first
        self._known[ip] = (slot, current, previous)

    def _bound_memory(self, slot: int) -> None:
        if len(self._known) <= self.max_tracked:
            return
        for ip in [ip for ip, known in self._known.items() if known[0] < slot - 1]:
            del self._known[ip]
            self._budget.pop(ip, None)
        excess = len(self._known) - int(self.max_tracked * 0.9)
        for ip in list(self._known)[: max(0, excess)]:
            del self._known[ip]
            self._budget.pop(ip, None)
