"""`WebhookDispatcher`: turns link and click events into delivery rows, and sends them.

Rows are written inside the transaction that made the change, so an event is never lost to a
crash between the change and its webhook. Once committed, a sweep of due rows starts in
`BackgroundTasks` (or, already running, takes another round); the periodic sweep sends
retries and what a stopped process left. Each attempt first *claims* its row with one UPDATE
(see `WebhookRepository.claim`), so with several processes a delivery is never sent twice at
the same time, and a process that dies mid-send only delays the row by its lease.

Failures are retried with exponential backoff (`webhook_retry_base` doubling, capped) up to
`webhook_max_attempts`; `webhook_disable_after` consecutive failures disable the webhook.
Nothing here runs on the redirect path or holds up the click worker: sends happen in
one background task per process, at most `_CONCURRENCY` at a time, each within
`webhook_timeout`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.background import BackgroundTasks
from shorturl.config import Settings
from shorturl.links.events import LinkEvent
from shorturl.links.models import Link
from shorturl.storage.db import after_commit
from shorturl.timestamps import utcnow
from shorturl.webhooks.delivery import Attempt, Outgoing, WebhookSender
from shorturl.webhooks.events import CLICKED, PING, click_payload, link_payload
from shorturl.webhooks.models import Webhook, WebhookDelivery
from shorturl.webhooks.presenter import public_delivery_id
from shorturl.webhooks.repository import DeliveryStatus, WebhookRepository
from shorturl.webhooks.secret_box import SecretBox, secret_box_for

__all__ = ["WebhookDispatcher"]

log = logging.getLogger(__name__)

_SWEEP_BATCH: Final = 200
# Sends in flight per process; they run in one task (the sweep), so however slow the
# receivers, webhooks hold at most one of the BackgroundTasks workers.
_CONCURRENCY: Final = 16
_MAX_ROUNDS: Final = 50  # of _SWEEP_BATCH rows per sweep; the next sweep goes on
_LEASE_MARGIN: Final = timedelta(seconds=30)
_LOG_RETENTION: Final = timedelta(days=30)


class WebhookDispatcher:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        background: BackgroundTasks,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.background = background
        self.sender = WebhookSender(
            allow_private=settings.allow_private_targets, timeout=settings.webhook_timeout
        )
        self.lease = timedelta(seconds=settings.webhook_timeout) + _LEASE_MARGIN
        # Replaced at start-up when SECRET_KEY is the generated one (Runtime.start).
        self.secret_box: SecretBox = secret_box_for(
            settings.encryption_keys, settings.secret_keys or [""]
        )
        self._pumping = False  # a sweep is running in this process
        self._again = False  # rows were committed meanwhile: it takes another round

    # events → rows (inside the caller's transaction)

    async def on_link_event(self, session: AsyncSession, event: LinkEvent, link: Link) -> None:
        """Queue `event` for the link owner's active webhooks that subscribe to it."""
        if link.owner_id is None:
            return
        # One query per owner and transaction (the expiry job fires hundreds of events).
        known: dict[int, Sequence[Webhook]] = _per_transaction(session, "webhooks_of_owner")
        hooks = known.get(link.owner_id)
        if hooks is None:
            hooks = await WebhookRepository(session).active_of_owner(link.owner_id)
            known[link.owner_id] = hooks
        subscribed = [hook for hook in hooks if event in hook.events]
        if subscribed:
            payload = link_payload(event, link, self.settings.base_url)
            await self._queue(session, [(hook, event, payload) for hook in subscribed])

    async def on_clicks_stored(
        self, session: AsyncSession, clicks: Sequence[dict[str, Any]]
    ) -> None:
        """Queue `url.clicked` for the human clicks just stored (robots, HEAD requests and
        link previews are left out), in the click worker's transaction."""
        human = [row for row in clicks if row.get("is_counted") and not row.get("is_bot")]
        if not human:
            return
        rows = await WebhookRepository(session).active_of_links(row["link_id"] for row in human)
        hooks_of: dict[int, list[tuple[str, str, Webhook]]] = {}
        for link_id, code, long_url, hook in rows:
            if CLICKED in hook.events:
                hooks_of.setdefault(link_id, []).append((code, long_url, hook))
        queued = [
            (hook, CLICKED, click_payload(code, long_url, self.settings.base_url, row))
            for row in human
            for code, long_url, hook in hooks_of.get(row["link_id"], ())
        ]
        if queued:
            await self._queue(session, queued)

    async def _queue(
        self, session: AsyncSession, items: Sequence[tuple[Webhook, str, dict[str, Any]]]
    ) -> None:
        now = utcnow()
        await WebhookRepository(session).insert_deliveries(
            [
                {"webhook_id": hook.id, "event": event, "payload": payload, "next_attempt_at": now}
                for hook, event, payload in items
            ]
        )
        # One wake-up per transaction, however many events it fires (bulk creation, expiry).
        woken: dict[str, bool] = _per_transaction(session, "webhooks_woken")
        if not woken:
            woken["yes"] = True
            after_commit(session, self._wake)

    async def _wake(self) -> None:
        if self._pumping:
            self._again = True  # the running pump takes another round
        else:
            self.background.submit("webhooks", self.sweep)

    # sending

    async def create_and_send(
        self, webhook_id: int, event: str, payload: dict[str, Any]
    ) -> WebhookDelivery:
        """A new delivery sent right now, whether or not the webhook is active (test pings,
        manual redeliveries); the delivery as it stands after this first attempt."""
        async with self.sessionmaker() as session:
            delivery = WebhookDelivery(
                webhook_id=webhook_id, event=event, payload=payload, next_attempt_at=utcnow()
            )
            (delivery_id,) = await WebhookRepository(session).add_deliveries([delivery])
            await session.commit()
        await self.send(delivery_id, even_if_inactive=True)
        async with self.sessionmaker() as session:
            found = await session.get(WebhookDelivery, delivery_id)
        assert found is not None
        return found

    async def _send_all(self, delivery_ids: Sequence[int]) -> None:
        """Send these deliveries in up to `_CONCURRENCY` lanes."""
        pending = iter(delivery_ids)

        async def lane() -> None:
            for delivery_id in pending:
                try:
                    await self.send(delivery_id)
                except Exception:  # the row is due again after its lease
                    log.exception("webhook delivery %s failed to run", delivery_id)

        await asyncio.gather(*(lane() for _ in range(min(_CONCURRENCY, len(delivery_ids)))))

    async def send(self, delivery_id: int, *, even_if_inactive: bool = False) -> Attempt | None:
        """One attempt at a delivery if it is due and nobody else is sending it (None if not)."""
        now = utcnow()
        async with self.sessionmaker() as session:
            repository = WebhookRepository(session)
            won = await repository.claim(
                delivery_id, now, now + self.lease, even_if_inactive=even_if_inactive
            )
            claimed = await repository.claimed(delivery_id) if won else None
            await session.commit()
        if claimed is None:
            return None
        delivery, webhook = claimed
        attempt = await self.sender.send(
            Outgoing(
                url=webhook.url,
                secret=self.secret_box.open(webhook.sealed_secret),
                delivery_id=public_delivery_id(delivery.id),
                event=delivery.event,
                payload=delivery.payload,
            )
        )
        await self._record(delivery, webhook, attempt)
        return attempt

    async def _record(self, delivery: WebhookDelivery, webhook: Webhook, attempt: Attempt) -> None:
        now = utcnow()
        values: dict[str, Any] = {
            "response_status": attempt.response_status,
            "last_error": attempt.error,
        }
        counts = delivery.event != PING  # a test ping neither retries nor disables
        if attempt.delivered:
            values.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
        elif not counts or delivery.attempts >= self.settings.webhook_max_attempts:
            values.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        else:
            values["next_attempt_at"] = now + timedelta(seconds=self.retry_delay(delivery.attempts))
        async with self.sessionmaker() as session:
            repository = WebhookRepository(session)
            if not await repository.record(delivery.id, delivery.attempts, **values):
                return
            if attempt.delivered:
                if webhook.consecutive_failures:  # as claimed; most often 0: no statement
                    await repository.count_success(webhook.id)
            elif counts and await repository.count_failure(
                webhook.id, self.settings.webhook_disable_after, now
            ):
                log.warning(
                    "webhook %s disabled after %d consecutive failures",
                    webhook.id,
                    self.settings.webhook_disable_after,
                )
            await session.commit()

    def retry_delay(self, attempts: int) -> float:
        """Seconds between attempt number `attempts` (1, 2, …) and the next one."""
        settings = self.settings
        return min(
            settings.webhook_retry_base * 2 ** (attempts - 1), settings.webhook_retry_max_delay
        )

    async def sweep(self) -> int:
        """Send what is due (new rows, retries, what a stopped process left) until nothing
        is; how many rows were tried. One sweep runs per process: a call while one runs asks
        it for another round and returns at once, so a background worker never waits here."""
        if self._pumping:
            self._again = True
            return 0
        self._pumping, tried = True, 0
        try:
            for _ in range(_MAX_ROUNDS):
                self._again = False
                async with self.sessionmaker() as session:
                    ids = await WebhookRepository(session).due(utcnow(), _SWEEP_BATCH)
                if ids:
                    await self._send_all(ids)
                    tried += len(ids)
                elif not self._again:
                    break
        finally:
            self._pumping = False
        return tried

    async def prune(self) -> int:
        """Forget finished deliveries older than the log keeps."""
        async with self.sessionmaker() as session:
            removed = await WebhookRepository(session).prune(utcnow() - _LOG_RETENTION)
            await session.commit()
        return removed

    async def aclose(self) -> None:
        await self.sender.aclose()


def _per_transaction(session: AsyncSession, key: str) -> dict[Any, Any]:
    """A dict in `session.info` that starts empty with each transaction of the session."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(key)
    if held is None or held[0] is not transaction:
        held = session.info[key] = (transaction, {})
    return held[1]
