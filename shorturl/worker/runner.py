"""`Worker`: the click consumer and the periodic jobs of one process, started and stopped as one.

The same runner serves both modes: inside the web process (embedded always; with Redis unless
`serve --no-worker`) and as `shorturl worker` on its own, several side by side in one group.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from typing import TYPE_CHECKING

from shorturl.analytics.enrich import ClickEnricher
from shorturl.background import cancel_and_wait
from shorturl.live.publisher import LivePublisher
from shorturl.storage.outage import is_outage
from shorturl.worker.consumer import CLICKS_PER_TRANSACTION, ClickConsumer
from shorturl.worker.jobs import PeriodicJobs

if TYPE_CHECKING:
    from shorturl.runtime import Runtime

__all__ = ["Worker"]

log = logging.getLogger(__name__)


def consumer_name() -> str:
    """Unique per process, so a restarted worker never inherits a dead one's pending list."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


# Inside a web process the consumer shares the event loop with the redirects, and storing a
# click holds the loop for tens of µs (SQLAlchemy's parameter processing): smaller
# transactions keep each stretch short, so a redirect waits milliseconds behind one, not a
# tenth of a second.
IN_WEB_PROCESS_TRANSACTION_CLICKS = 500


class Worker:
    def __init__(
        self, runtime: Runtime, *, jobs: bool = True, in_web_process: bool = False
    ) -> None:
        settings = runtime.settings
        self.enricher = ClickEnricher(ip_storage=settings.ip_storage, geoip_db=settings.geoip_db)
        self.consumer = ClickConsumer(
            runtime.clicks.transport,
            runtime.database.sessionmaker,
            self.enricher,
            name=consumer_name(),
            batch_size=settings.worker_batch_size,
            transaction_clicks=(
                IN_WEB_PROCESS_TRANSACTION_CLICKS if in_web_process else CLICKS_PER_TRANSACTION
            ),
            in_transaction=[runtime.webhooks.on_clicks_stored],
            heartbeat=settings.worker_reclaim_idle / 3 or None,
            listeners=[
                LivePublisher(runtime.live_feed, runtime.database.sessionmaker).on_clicks_stored
            ],
            orphans_per_minute=settings.orphan_visits_per_minute,
        )
        self.jobs = PeriodicJobs(runtime) if jobs else None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        # The user agent parser loads its rules on first use (~0.5 s): not on the first batch.
        await asyncio.to_thread(self.enricher.agent, "Mozilla/5.0 (X11; Linux x86_64)")
        self._stop.clear()
        self._tasks = [
            asyncio.create_task(self.consumer.run(self._stop), name="click-consumer"),
        ]
        if self.jobs is not None:
            self._tasks.append(asyncio.create_task(self.jobs.run(self._stop), name="jobs"))
        log.info("worker %s started", self.consumer.name)

    async def stop(self, *, finish_queued: bool = True, seconds: float = 15.0) -> None:
        """Stop after the batch in hand; with `finish_queued`, first store what is waiting."""
        self._stop.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=seconds)
            for task in pending:
                await cancel_and_wait(task)
            self._tasks = []
        if finish_queued:
            try:
                stored = await asyncio.wait_for(self.consumer.run_until_idle(), seconds)
            except Exception as exc:  # noqa: BLE001 - logged; what is left stays for another
                if is_outage(exc):
                    log.warning(
                        "worker %s left the queued clicks for another: %s", self.consumer.name, exc
                    )
                else:
                    log.exception("worker %s could not store the queued clicks", self.consumer.name)
            else:
                if stored:
                    log.info(
                        "worker %s stored %d queued clicks on stop", self.consumer.name, stored
                    )
        self.enricher.close()
        log.info("worker %s stopped", self.consumer.name)
