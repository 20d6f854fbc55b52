"""`StreamWithInbox`: the scaled click transport, which keeps clicks in a local inbox file while
Redis is away and forwards them to the stream once it is back.

A web process publishes to the Redis stream as long as Redis answers. When it does not, the
batch goes to an `InboxTransport` file on local disk (`CLICK_INBOX`, by default
`<namespace>-clicks-inbox.db` in the working directory), the embedded mode's inbox: it
survives the process, so a restart during the outage loses nothing either. Once the
`Availability` probe sees Redis again, every process on that file forwards the rows to the
stream, as they were encoded (their event ids too), and deletes each row once its XADD is
answered. A crash between the two sends the batch twice; the worker stores each event id
once, so nothing is counted twice. Workers only ever read the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from redis.asyncio import Redis

from shorturl.analytics.events import ClickBatch
from shorturl.background import cancel_and_wait
from shorturl.storage.outage import Availability
from shorturl.worker.inbox import InboxTransport
from shorturl.worker.transports import RedisStreamTransport, wait_until_empty

__all__ = ["StreamWithInbox"]

log = logging.getLogger(__name__)

_FORWARD_BATCHES: Final = 50  # inbox rows claimed at a time
_LOOK_EVERY: Final = 1.0  # seconds between looks for rows other processes kept


class StreamWithInbox(RedisStreamTransport):
    def __init__(
        self,
        redis: Redis,
        stream: str,
        inbox: InboxTransport,
        availability: Availability,
        *,
        maxlen: int = 100_000,
        reclaim_idle: float = 60.0,
    ) -> None:
        super().__init__(redis, stream, maxlen=maxlen, reclaim_idle=reclaim_idle)
        self.inbox = inbox
        self.availability = availability
        self.kept = 0  # batches this process put in the inbox
        self.forwarded = 0  # batches it moved from the inbox to the stream
        self._kept_one = asyncio.Event()
        self._forwarder: asyncio.Task[None] | None = None

    async def publish(self, batch: ClickBatch) -> None:
        if self.availability.available:
            # Twice: a connection Redis dropped (a proxy, CLIENT KILL) is opened again by the
            # second; only a Redis that refuses both sends the batch to the inbox. An XADD
            # that landed anyway is stored once, by event id.
            for attempt in (1, 2):
                try:
                    await super().publish(batch)
                    return
                except Exception as exc:  # noqa: BLE001 - kept below
                    if attempt == 2:
                        self.availability.failed(exc)
        await self.inbox.publish(batch)
        self.kept += 1
        self._kept_one.set()

    async def start(self) -> None:
        if self._forwarder is None:
            self._forwarder = asyncio.create_task(self._forward_forever(), name="click-forwarder")

    async def close(self) -> None:
        if self._forwarder is not None:
            await cancel_and_wait(self._forwarder)
            self._forwarder = None
        await super().close()
        await self.inbox.close()

    async def backlog(self) -> int:
        kept = await self.inbox.backlog() if self.inbox.exists() else 0
        return kept + await super().backlog()

    async def wait_empty(self, seconds: float) -> None:
        await wait_until_empty(self, seconds, f"click stream {self.stream} and its inbox")

    async def forward(self) -> int:
        """Move what waits in the inbox to the stream now; how many batches that was.
        A failure gives the rows not yet sent back to the inbox and raises."""
        moved = 0
        while self.inbox.exists() and (rows := await self.inbox.claim(_FORWARD_BATCHES)):
            sent: list[int] = []
            try:
                for row_id, raw in rows:
                    await self.publish_encoded(raw)
                    sent.append(row_id)
            finally:
                await self.inbox.delete(sent)
                await self.inbox.release([row_id for row_id, _ in rows if row_id not in sent])
            moved += len(sent)
            self.forwarded += len(sent)
        if moved:
            log.warning("forwarded %d click batches kept while Redis was away", moved)
        return moved

    async def _forward_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kept_one.wait(), _LOOK_EVERY)
            if not self.availability.available:
                await asyncio.sleep(_LOOK_EVERY)
                continue
            self._kept_one.clear()
            try:
                await self.forward()
            except Exception as exc:  # noqa: BLE001 - Redis went again: the probe says when back
                self.availability.failed(exc)
