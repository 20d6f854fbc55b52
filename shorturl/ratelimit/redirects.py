"""The per-IP redirect limit, cheap enough for the hot path: no Redis round trip per redirect.

A Redis call per redirect costs more than the whole redirect (it halves throughput), so each
process decides alone, with two dict lookups, and shares its counts in batches:

* a redirect is allowed while the IP's hits since the last flush stay within its *budget*;
  allowed hits are counted in `_pending` (rejected ones are not counted);
* every `flush_interval` (0.5 s) the process sends, in one script call, the hits of the IPs
  that have made at least `share_threshold` (1% of the limit) since they were last sent
  (`HINCRBY` on the hash `…:rl:redirect:<slot>`, one per hour), gets back every process's
  totals for them, current and previous hour, and recomputes the budgets of every IP seen:
  the limit minus the sliding-window estimate (previous hour weighted by the part of it
  still inside the last hour, plus the current hour — the estimate of `limits`' sliding
  window counter), kept-back hits included. Most visitors make a handful of redirects and
  never cost a Redis write; a refused request recomputes its IP's budget on the spot, so an
  IP is let in again as soon as the window has slid far enough.

Trade-off, stated: the limit is approximate across processes. A process learns the others'
counts for an IP within one flush interval of their reaching 1% of the limit, so N
processes let through at most about N × (1% of the limit + one interval's requests from
that IP) beyond it before all of them refuse. One process alone is exact, except that hits
are filed under the hour of the flush that carries them (at most one interval's error at
the turn of each hour), and kept-back hits of a finished hour stay local. If Redis is
unreachable, each process keeps limiting on its own counts; embedded (no Redis) every
process counts alone. Memory is bounded: at most `max_tracked` IPs are remembered (the least
recently seen are forgotten first), and an IP first seen while that many are already pending
in one interval is let through uncounted.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Final

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from shorturl.background import cancel_and_wait

__all__ = ["RedirectLimiter"]

log = logging.getLogger(__name__)

_IPS_PER_CALL: Final = 2_000
# One call per flush (per 2,000 IPs): a hash per hourly slot, ip → hits. Returns, per IP,
# its total in this slot and in the previous one.
_SHARE_SCRIPT: Final = """
local totals = {}
for i = 2, #ARGV, 2 do
  totals[#totals + 1] = redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  totals[#totals + 1] = tonumber(redis.call('HGET', KEYS[2], ARGV[i]) or 0)
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return totals
"""


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
        # Scaled: hits of IPs with few hits are kept back until they make `share_threshold`
        # (1% of the limit), so a flush sends only the IPs that could come near the limit.
        self.share_threshold = max(1, limit // 100)
        self._unsent: dict[str, int] = {}
        self._unsent_slot = int(clock() // window)
        self._flushing = False
        self._script: AsyncScript | None = None
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
        """(hits in `slot`, hits in the slot before) as last learned, with those kept back."""
        unsent = self._unsent.get(ip, 0) if self._unsent_slot == slot else 0
        known = self._known.get(ip)
        if known is None:
            return unsent, 0
        if known[0] == slot:
            return known[1] + unsent, known[2]
        if known[0] == slot - 1:
            return unsent, known[1]
        return unsent, 0

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
            await cancel_and_wait(self._task)
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
        if slot != self._unsent_slot or len(self._unsent) > self.max_tracked:
            # Kept-back hits of a finished hour (or too many of them) stay local: each IP's
            # share is under 1% of the limit.
            self._merge_locally(self._unsent, self._unsent_slot)
            self._unsent, self._unsent_slot = {}, slot
        self._flushing = True
        try:
            # Until the totals are back, the hits being sent still use up their budgets.
            for ip, count in hits.items():
                self._budget[ip] = self._budget.get(ip, self.limit) - count
            if self.redis is None:
                self._merge_locally(hits, slot)
            else:
                await self._share_due(hits, slot)
            for ip in hits:
                self._recompute_budget(ip, now)
        finally:
            self._flushing = False
        self._bound_memory(slot)

    async def _share_due(self, hits: dict[str, int], slot: int) -> None:
        """Send the hits of the IPs whose kept-back count reached the threshold."""
        unsent, due = self._unsent, {}
        for ip, count in hits.items():
            total = unsent.pop(ip, 0) + count
            if total >= self.share_threshold:
                due[ip] = total
            else:
                unsent[ip] = total
        if not due:
            return
        try:
            await self._share(due, slot)
        except Exception:  # noqa: BLE001 - Redis down: keep limiting on local counts
            if time.monotonic() - self._last_warning > 60:
                self._last_warning = time.monotonic()
                log.warning("redirect rate limit: Redis unreachable, counting locally")
            self._merge_locally(due, slot)

    async def _share(self, hits: dict[str, int], slot: int) -> None:
        assert self.redis is not None
        if self._script is None:
            self._script = self.redis.register_script(_SHARE_SCRIPT)
        keys = [f"{self.key_prefix}:{slot}", f"{self.key_prefix}:{slot - 1}"]
        items = list(hits.items())
        for start in range(0, len(items), _IPS_PER_CALL):
            chunk = items[start : start + _IPS_PER_CALL]
            arguments: list[str | int] = [2 * self.window]
            for ip, count in chunk:
                arguments += (ip, count)
            totals = await self._script(keys=keys, args=arguments)
            for index, (ip, _) in enumerate(chunk):
                self._learn(ip, slot, int(totals[2 * index]), int(totals[2 * index + 1]))

    def _merge_locally(self, hits: dict[str, int], slot: int) -> None:
        for ip, count in hits.items():
            known = self._known.get(ip)
            if known is not None and known[0] == slot:
                self._learn(ip, slot, known[1] + count, known[2])
            elif known is not None and known[0] == slot - 1:
                self._learn(ip, slot, count, known[1])
            else:
                self._learn(ip, slot, count, 0)

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
