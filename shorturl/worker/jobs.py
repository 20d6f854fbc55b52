"""Periodic jobs the worker runs: expiry, unused links, click roll-ups and retention,
visitor salts.

Every `jobs_interval` seconds (with a little jitter) a worker runs them all, one after the
other. With Redis, one worker per interval does (a lock that lives a bit less than one
interval); embedded, the one in-process worker always does. Each job is idempotent and works
in short transactions, so a run cut short by a crash is simply finished by the next one, and
a run longer than the lock (a first roll-up of a large database) may overlap the next one
safely: roll-ups and retention lock the links they work on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from shorturl.analytics import service as analytics
from shorturl.analytics.visitors import VisitorSalts
from shorturl.storage.db import run_after_commit
from shorturl.timestamps import utcnow

if TYPE_CHECKING:
    from shorturl.runtime import Runtime

__all__ = ["JobsRun", "PeriodicJobs"]

log = logging.getLogger(__name__)

EXPIRE_BATCH: Final = 500  # links marked expired per transaction
ROLLUP_LINKS: Final = 100  # links one roll-up or retention transaction takes


@dataclass(slots=True)
class JobsRun:
    """What one run did: how many of each thing, and which jobs failed."""

    expired: int = 0
    deactivated: int = 0
    links_rolled_up: int = 0
    clicks_deleted: int = 0
    salts_forgotten: int = 0
    failed: list[str] = field(default_factory=list)


class PeriodicJobs:
    def __init__(self, runtime: Runtime, *, interval: float | None = None) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.interval = interval if interval is not None else runtime.settings.jobs_interval
        self.salts = VisitorSalts(runtime.database.sessionmaker)
        self.runs = 0  # runs this process did (tests, logs)

    async def run(self, stop: asyncio.Event) -> None:
        """Run the jobs every interval until `stop` is set (first run after one interval)."""
        while not stop.is_set():
            # Jitter, so workers started together do not all race for the lock at once.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval * random.uniform(0.9, 1.1))
            if stop.is_set():
                return
            try:
                if await self.acquire():
                    await self.run_once()
            except Exception:  # Redis away: the next interval tries again
                log.exception("periodic jobs could not run")

    async def acquire(self) -> bool:
        """With Redis, True for one worker per interval; embedded, always True."""
        redis = self.runtime.redis
        if redis is None:
            return True
        ttl = max(int(self.interval * 900), 1000)  # ms, a bit under one interval
        key = self.runtime.redis_key("lock", "periodic-jobs")
        return bool(await redis.set(key, secrets.token_hex(8), nx=True, px=ttl))

    async def run_once(self) -> JobsRun:
        """Every job once, here and now; a failing job is logged and the others still run."""
        done = JobsRun()
        jobs: list[tuple[str, str, Callable[[], Awaitable[int]]]] = [
            ("expire-links", "expired", self.expire_links),
            ("deactivate-unused", "deactivated", self.deactivate_unused),
            ("roll-up-clicks", "links_rolled_up", self.roll_up_clicks),
            ("click-retention", "clicks_deleted", self.delete_old_clicks),
            ("forget-visitor-salts", "salts_forgotten", self.salts.forget_old_salts),
        ]
        for name, counter, job in jobs:
            try:
                setattr(done, counter, await job())
            except Exception:
                log.exception("periodic job %s failed", name)
                done.failed.append(name)
        self.runs += 1
        if done.expired or done.deactivated or done.links_rolled_up or done.clicks_deleted:
            log.info(
                "periodic jobs: %d links expired, %d deactivated, %d rolled up, %d clicks deleted",
                done.expired,
                done.deactivated,
                done.links_rolled_up,
                done.clicks_deleted,
            )
        return done

    async def expire_links(self) -> int:
        """Mark every active link past its expiry date expired (`url.expired` for each)."""
        total = 0
        while True:
            async with self.runtime.database.sessionmaker() as session:
                codes = await self.runtime.links.expire_due(session, limit=EXPIRE_BATCH)
                await run_after_commit(session)
            total += len(codes)
            if len(codes) < EXPIRE_BATCH:
                return total

    async def deactivate_unused(self) -> int:
        """Seed 002: disable links unused for `deactivate_unused_days` (off when unset)."""
        days = self.settings.deactivate_unused_days
        if days is None:
            return 0
        async with self.runtime.database.sessionmaker() as session:
            codes = await self.runtime.links.deactivate_unused(session, days)
            await run_after_commit(session)
        return len(codes)

    async def roll_up_clicks(self) -> int:
        """Roll the finished days, then the finished hours, of every link clicked since its
        last roll-up up (always on: it is what keeps reports fast); how many links had days
        rolled up."""
        total = 0
        for step in (analytics.roll_up_finished_days, analytics.roll_up_finished_hours):
            while True:
                async with self.runtime.database.sessionmaker() as session:
                    taken = await step(session, links=ROLLUP_LINKS)
                    await session.commit()
                if step is analytics.roll_up_finished_days:
                    total += taken
                if taken < ROLLUP_LINKS:
                    break
        return total

    async def delete_old_clicks(self) -> int:
        """Retention: delete raw clicks older than `click_retention_days` whole UTC days
        (rolled up first); how many."""
        days = self.settings.click_retention_days
        if days is None:
            return 0
        keep_from = utcnow().date() - timedelta(days=days)
        total = 0
        while True:
            async with self.runtime.database.sessionmaker() as session:
                taken, deleted = await analytics.delete_rolled_up_clicks(
                    session, keep_from, links=ROLLUP_LINKS
                )
                await session.commit()
            total += deleted
            if taken < ROLLUP_LINKS:
                return total
