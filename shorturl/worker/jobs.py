"""Periodic jobs the worker runs: expiry, unused links, click retention, visitor salts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shorturl.runtime import Runtime

__all__ = ["PeriodicJobs"]

log = logging.getLogger(__name__)


class PeriodicJobs:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.interval = runtime.settings.jobs_interval

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
