"""`ClickConsumer`: reads click batches from the transport, enriches them, stores them, acks.

At-least-once delivery, exactly-once counting: a batch is acknowledged only after its clicks
and counters are committed, and storing is idempotent on the event id, so a batch delivered
twice (a worker died between commit and ack, and another reclaimed it) changes nothing twice.
A batch that fails to store (database down) is retried by the same consumer with a growing
pause; if the consumer stops first, the batch stays unacknowledged for another to reclaim.
While a consumer stores, it touches its batches every `heartbeat` seconds, so that a slow
transaction is not mistaken for a dead worker; a dead one's batches go to another within
`WORKER_RECLAIM_IDLE` (8 s) and a reclaim check. An outage is logged once, not every retry.

What one read returns is stored in transactions of at most `CLICKS_PER_TRANSACTION` clicks
(whole batches each): a backlog of large batches then moves the counters every fraction of a
second, not once per huge transaction, and a failure retries only its own share.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.analytics import service as analytics
from shorturl.analytics.enrich import ClickEnricher
from shorturl.analytics.events import ClickEvent
from shorturl.analytics.orphans import store_orphan_visits
from shorturl.analytics.visitors import VisitorSalts
from shorturl.background import cancel_and_wait
from shorturl.storage.db import run_after_commit
from shorturl.storage.outage import is_outage
from shorturl.worker.transports import ClickTransport, Delivery

__all__ = ["CLICKS_PER_TRANSACTION", "ClickConsumer", "ClicksStored", "ClicksStoring"]

log = logging.getLogger(__name__)

CLICKS_PER_TRANSACTION = 5_000

# Called with the rows stored by one batch, after commit.
ClicksStored = Callable[[list[dict[str, Any]]], Awaitable[None]]
# Called with the rows stored by one batch inside its transaction, so what it writes (webhook
# deliveries) commits with the clicks; it may defer work with `after_commit`.
ClicksStoring = Callable[[AsyncSession, list[dict[str, Any]]], Awaitable[None]]


class ClickConsumer:
    def __init__(
        self,
        transport: ClickTransport,
        sessionmaker: async_sessionmaker[AsyncSession],
        enricher: ClickEnricher,
        *,
        name: str,
        batch_size: int = 500,
        transaction_clicks: int = CLICKS_PER_TRANSACTION,
        listeners: Sequence[ClicksStored] = (),
        in_transaction: Sequence[ClicksStoring] = (),
        heartbeat: float | None = None,
        orphans_per_minute: int = 60,
    ) -> None:
        self.transport = transport
        self.sessionmaker = sessionmaker
        self.enricher = enricher
        self.salts = VisitorSalts(sessionmaker)
        self.name = name
        self.batch_size = batch_size
        self.transaction_clicks = transaction_clicks
        self.listeners = list(listeners)
        self.in_transaction = list(in_transaction)
        self.heartbeat = heartbeat  # seconds between touches of the batches in hand
        self.orphans_per_minute = orphans_per_minute
        self.stored = 0  # clicks stored by this consumer
        self.batches = 0
        self._failing = False  # in an outage already logged

    async def run(self, stop: asyncio.Event, *, poll: float = 0.5) -> None:
        """Consume until `stop` is set (finishing the batch in hand)."""
        while not stop.is_set():
            try:
                deliveries = await self.transport.receive(self.name, self.batch_size, poll)
            except Exception as exc:  # noqa: BLE001 - Redis away: wait and try again
                self._note_failure("reading click events failed", exc)
                await _pause(stop, 1.0)
                continue
            self._note_success()
            if deliveries:
                await self.handle_until_stored(deliveries, stop)

    async def run_until_idle(self) -> int:
        """Consume what can be had right now, then return how many clicks were stored."""
        before = self.stored
        while deliveries := await self.transport.receive(self.name, self.batch_size, 0):
            await self.handle(deliveries)
        return self.stored - before

    async def handle_until_stored(self, deliveries: list[Delivery], stop: asyncio.Event) -> bool:
        """Store these batches, retrying what fails until it is stored or `stop` is set
        (False: some are left unacknowledged)."""
        for group in self._transactions(deliveries):
            pause = 0.2
            while True:
                try:
                    await self._store(group)
                    self._note_success()
                    break
                except Exception as exc:  # noqa: BLE001 - kept unacknowledged and retried
                    self._note_failure(f"storing {len(group)} click batches failed", exc)
                if stop.is_set():
                    return False
                await _pause(stop, pause)
                pause = min(pause * 2, 10.0)
        return True

    def _note_failure(self, what: str, exc: Exception) -> None:
        if not is_outage(exc):
            log.error("%s; retrying", what, exc_info=exc)
        elif not self._failing:
            self._failing = True
            log.warning("%s (%s: %s); retrying until it works", what, type(exc).__name__, exc)

    def _note_success(self) -> None:
        if self._failing:
            self._failing = False
            log.warning("consumer %s: storage answers again", self.name)

    async def handle(self, deliveries: Sequence[Delivery]) -> None:
        """Enrich, store and acknowledge these batches."""
        for group in self._transactions(deliveries):
            await self._store(group)

    def _transactions(self, deliveries: Sequence[Delivery]) -> list[list[Delivery]]:
        """The deliveries in groups of whole batches, each of at most `transaction_clicks`
        clicks unless one batch alone holds more."""
        groups: list[list[Delivery]] = []
        clicks = 0
        for delivery in deliveries:
            size = len(delivery.events)
            if not groups or clicks + size > self.transaction_clicks:
                groups.append([])
                clicks = 0
            groups[-1].append(delivery)
            clicks += size
        return groups

    async def _store(self, deliveries: Sequence[Delivery]) -> None:
        """Enrich, store and acknowledge these batches in one transaction."""
        beat = None
        if self.heartbeat:
            beat = asyncio.create_task(self._keep_claimed(deliveries), name="click-heartbeat")
        try:
            await self._store_now(deliveries)
        finally:
            if beat is not None:
                await cancel_and_wait(beat)

    async def _keep_claimed(self, deliveries: Sequence[Delivery]) -> None:
        assert self.heartbeat
        while True:
            await asyncio.sleep(self.heartbeat)
            with contextlib.suppress(Exception):  # Redis away: the claim may run out, fine
                await self.transport.touch(self.name, deliveries)

    async def _store_now(self, deliveries: Sequence[Delivery]) -> None:
        events = [event for delivery in deliveries for event in delivery.events]
        if events:
            days = {datetime.fromtimestamp(event.at, UTC).date() for event in events}
            salts = dict(await self.salts.for_days(days))
            rows = await asyncio.to_thread(self.enricher.enrich, events, salts)
            clicks: list[tuple[ClickEvent, dict[str, Any]]] = []
            orphans: list[tuple[ClickEvent, dict[str, Any]]] = []
            for pair in zip(events, rows, strict=True):
                (orphans if pair[0].orphan is not None else clicks).append(pair)
            async with self.sessionmaker() as session:
                stored = (
                    await analytics.record_clicks(
                        session, [event for event, _ in clicks], [row for _, row in clicks]
                    )
                    if clicks
                    else []
                )
                if orphans:
                    await store_orphan_visits(
                        session,
                        [event for event, _ in orphans],
                        [row for _, row in orphans],
                        self.orphans_per_minute,
                    )
                for hook in self.in_transaction:
                    await hook(session, stored)
                await run_after_commit(session)
            self.stored += len(stored)
            for listener in self.listeners:
                try:
                    await listener(stored)
                except Exception:  # a listener's failure must not redeliver stored clicks
                    log.exception("click listener %r failed", listener)
        await self.transport.ack(deliveries)
        self.batches += len(deliveries)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
