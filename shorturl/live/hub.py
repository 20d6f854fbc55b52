"""`LiveHub`: one web process's readers of live clicks, fed by one task that reads the feed.

Each client gets a `Subscription` with a bounded queue: a reader too slow for the clicks
loses the newest ones (counted, and told in a `dropped` event) instead of growing the
server's memory. `close` ends every stream (server shutdown); `end_streams_on_exit_signals`
does so as soon as uvicorn is told to stop, since it waits for open responses to finish
before it shuts the application down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from types import FrameType
from typing import Any, Final

from shorturl.background import cancel_and_wait
from shorturl.live.events import EventId, LiveClick
from shorturl.live.feeds import HISTORY, LiveFeed

__all__ = ["LiveHub", "Subscription", "end_streams_on_exit_signals"]

log = logging.getLogger(__name__)

MAX_QUEUED: Final = 1000  # clicks waiting for one client before the newest are dropped
_CLOSED: Final = None
_PAGE: Final = 500  # entries a replay reads at a time


class Subscription:
    """One client's clicks, in feed order, each once."""

    def __init__(self, wanted: Callable[[LiveClick], bool], max_queued: int) -> None:
        self.wanted = wanted
        self.queue: asyncio.Queue[tuple[EventId, LiveClick] | None] = asyncio.Queue()
        self.max_queued = max_queued
        self.dropped = 0  # clicks lost to a full queue, in all
        self.unreported = 0  # of those, not yet told to the client
        self._last: tuple[int, int, int] | None = None  # key of the newest click queued
        self._held: list[tuple[str, list[dict[str, Any]]]] | None = None  # during a replay

    def offer(self, entry: str, clicks: list[dict[str, Any]]) -> int:
        """Queue this entry's clicks the client wants; how many were dropped."""
        if self._held is not None:
            self._held.append((entry, clicks))
            del self._held[: -self.max_queued]
            return 0
        lost = 0
        for index, data in enumerate(clicks):
            event_id = EventId(entry, index)
            if self._last is not None and event_id.key <= self._last:
                continue  # already sent (replayed, then read live again)
            click = LiveClick.from_json(data)
            if not self.wanted(click):
                continue
            self._last = event_id.key
            if self.queue.qsize() >= self.max_queued:
                lost += 1
                continue
            self.queue.put_nowait((event_id, click))
        self.dropped += lost
        self.unreported += lost
        return lost

    def close(self) -> None:
        self.queue.put_nowait(_CLOSED)


class LiveHub:
    def __init__(self, feed: LiveFeed, *, max_queued: int = MAX_QUEUED) -> None:
        self.feed = feed
        self.max_queued = max_queued
        self.dropped = 0  # clicks dropped for slow clients since start, all clients
        self.closing = asyncio.Event()
        self._subscriptions: set[Subscription] = set()
        self._reader: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    @property
    def listeners(self) -> int:
        return len(self._subscriptions)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, wanted: Callable[[LiveClick], bool], resume_after: EventId | None = None
    ) -> AsyncIterator[Subscription]:
        """A subscription for the block's duration; with `resume_after`, first the kept
        clicks after that one."""
        subscription = Subscription(wanted, self.max_queued)
        if resume_after is not None:
            subscription._held = []
        await self._start_reading()
        self._subscriptions.add(subscription)
        if self.closing.is_set():  # the server began to stop meanwhile
            subscription.close()
        try:
            if resume_after is not None:
                await self._replay(subscription, resume_after)
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    async def _replay(self, subscription: Subscription, after: EventId) -> None:
        held = subscription._held or []
        subscription._held = None
        subscription._last = after.key
        entries, read = await self.feed.read_from(after.entry, _PAGE), 0
        while entries:
            for entry_id, clicks in entries:
                self._count(subscription.offer(entry_id, clicks))
            read += len(entries)
            if len(entries) < _PAGE or read >= HISTORY:
                break
            entries = await self.feed.read_after(entries[-1][0], _PAGE, 0)
        for entry_id, clicks in held:  # read live meanwhile: the offer skips what was sent
            self._count(subscription.offer(entry_id, clicks))

    async def _start_reading(self) -> None:
        async with self._starting:
            if self._reader is None or self._reader.done():
                start = await self.feed.tail()
                self._reader = asyncio.create_task(self._read(start), name="live-clicks")

    async def _read(self, position: str) -> None:
        while not self.closing.is_set():
            try:
                entries = await self.feed.read_after(position, 100, 1.0)
            except Exception as exc:  # noqa: BLE001 - Redis or the file away: wait, go on
                log.warning("reading live clicks failed: %s", exc)
                await asyncio.sleep(1.0)
                continue
            for entry, clicks in entries:
                position = entry
                for subscription in list(self._subscriptions):
                    self._count(subscription.offer(entry, clicks))

    def _count(self, lost: int) -> None:
        if lost:
            self.dropped += lost
            log.info("a slow live-clicks client lost %d clicks", lost)

    def end_streams(self) -> None:
        """Every open stream ends (after what it has queued); new ones end at once."""
        self.closing.set()
        for subscription in list(self._subscriptions):
            subscription.close()

    async def close(self) -> None:
        self.end_streams()
        if self._reader is not None:
            await cancel_and_wait(self._reader)
            self._reader = None


def end_streams_on_exit_signals(hub: LiveHub) -> None:
    """Chain SIGINT and SIGTERM (uvicorn's handlers, installed before the app starts) so that
    they end the open streams first: uvicorn then finds them finished instead of waiting."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue

        def handler(
            sig: int, frame: FrameType | None, previous: Callable[..., Any] = previous
        ) -> None:
            loop.call_soon_threadsafe(hub.end_streams)
            previous(sig, frame)

        with contextlib.suppress(ValueError):  # not the main thread: nothing to chain
            signal.signal(signum, handler)
