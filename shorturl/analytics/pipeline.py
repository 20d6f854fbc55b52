"""`ClickPipeline`: one process's click path — the max_clicks counter, the buffer, the transport,
the orphan-visit gate and, when this process consumes too, the in-process worker."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from shorturl.analytics.click_limit import ClickLimit
from shorturl.analytics.orphans import OrphanGate
from shorturl.analytics.tracker import ClickTracker
from shorturl.errors import LinkExpired, LinkNotFound
from shorturl.links.models import LinkStatus
from shorturl.worker.fallback import StreamWithInbox
from shorturl.worker.inbox import InboxTransport
from shorturl.worker.transports import ClickTransport, QueueTransport

if TYPE_CHECKING:
    from shorturl.runtime import Runtime
    from shorturl.worker.runner import Worker

__all__ = ["ClickPipeline"]


class ClickPipeline:
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.limit = ClickLimit(
            runtime.database.sessionmaker, runtime.redis, runtime.redis_key("clicks-used")
        )
        self.transport: ClickTransport
        if runtime.redis is not None and runtime.redis_availability is not None:
            # the stream, and a local inbox file while Redis is away (worker/fallback.py)
            self.transport = StreamWithInbox(
                runtime.redis,
                runtime.redis_key("clicks"),
                InboxTransport(
                    settings.click_fallback_inbox_url, reclaim_idle=settings.worker_reclaim_idle
                ),
                runtime.redis_availability,
                maxlen=settings.click_stream_maxlen,
                reclaim_idle=settings.worker_reclaim_idle,
            )
        elif inbox := settings.click_inbox_url:  # outlives a crash
            self.transport = InboxTransport(inbox, reclaim_idle=settings.worker_reclaim_idle)
        else:  # PostgreSQL without Redis, SQLite in memory: in this process's memory
            self.transport = QueueTransport(max_events=settings.click_buffer_size * 10)
        self.tracker: ClickTracker | None = (
            ClickTracker(
                self.transport.publish,
                runtime.client_ip,
                max_buffered=settings.click_buffer_size,
                flush_interval=settings.click_flush_interval,
                spool_directory=settings.click_spool_directory,
                spool_size=settings.click_spool_size,
            )
            if settings.click_tracking
            else None
        )
        self.orphans = OrphanGate(self.tracker, settings.orphan_visits_per_minute)
        # Nobody else can consume an in-memory queue: then the worker always runs here.
        self.runs_worker = settings.worker_in_process or isinstance(self.transport, QueueTransport)
        self.worker: Worker | None = None

    async def start(self) -> None:
        if isinstance(self.transport, StreamWithInbox):
            await self.transport.start()
        if self.tracker is not None:
            await self.tracker.start()
        if self.runs_worker:
            from shorturl.worker.runner import Worker

            self.worker = Worker(self.runtime, in_web_process=True)
            await self.worker.start()

    async def close(self) -> None:
        """Graceful stop: send what is buffered, then (in-process worker) store what is queued."""
        if self.tracker is not None:
            await self.tracker.close()
        if self.worker is not None:
            await self.worker.stop(finish_queued=True)
            self.worker = None
        await self.transport.close()

    async def drain(self, seconds: float = 10.0) -> None:
        """Return once every click recorded so far is stored (tests, admin tools).

        Needs a consumer running somewhere; TimeoutError after `seconds`."""
        if self.tracker is not None and not await self.tracker.flush():
            raise RuntimeError("click events could not be sent to the transport")
        await self.transport.wait_empty(seconds)

    async def record_api_click(self, scope: dict[str, Any], code: str) -> None:
        """Seed 001 `POST /analytics/click`: count a click on `code` as a redirect would
        (max_clicks included). LinkNotFound (404) or LinkExpired (410) otherwise."""
        link = await self.runtime.resolver.resolve(code)
        if link is None or link.status in (LinkStatus.DELETED, LinkStatus.DISABLED):
            raise LinkNotFound(details=f"No short URL with code '{code}'")
        expired = link.expires_at is not None and link.expires_at <= time.time()
        if link.status == LinkStatus.EXPIRED or expired:
            raise LinkExpired()
        use = 0
        if link.max_clicks is not None:
            taken = await self.limit.take(link)
            if taken is None:
                raise LinkExpired(details="Its clicks are used up")
            use = taken
        if self.tracker is not None:
            self.tracker.record(scope, link.id, use)
