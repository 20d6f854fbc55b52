"""Every query of the webhooks domain: subscriptions, their deliveries, and claiming due ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.links.models import Link
from shorturl.webhooks.models import Webhook, WebhookDelivery

__all__ = ["DeliveryStatus", "LinkHooks", "WebhookRepository"]

# Core statements on the table: no ORM bookkeeping on the busiest paths (claims, click rows).
_DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[assignment]


class DeliveryStatus:
    PENDING = "pending"  # waiting for its next attempt (or being sent: see `claim`)
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last attempt


LinkHooks = tuple[int, str, str, Webhook]  # link id, code, long URL, an active webhook


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # subscriptions

    async def add(self, webhook: Webhook) -> Webhook:
        self.session.add(webhook)
        await self.session.flush()
        return webhook

    async def get_owned(self, user_id: int, webhook_id: int) -> Webhook | None:
        return await self.session.scalar(
            select(Webhook).where(Webhook.id == webhook_id, Webhook.user_id == user_id)
        )

    async def all_webhooks(self) -> Sequence[Webhook]:
        return (await self.session.scalars(select(Webhook).order_by(Webhook.id))).all()

    async def list_owned(self, user_id: int) -> Sequence[Webhook]:
        found = await self.session.scalars(
            select(Webhook).where(Webhook.user_id == user_id).order_by(Webhook.id)
        )
        return found.all()

    async def count_owned(self, user_id: int) -> int:
        return (
            await self.session.scalar(
                select(func.count()).select_from(Webhook).where(Webhook.user_id == user_id)
            )
            or 0
        )

    async def remove(self, webhook: Webhook) -> None:
        await self.session.execute(
            delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
        )
        await self.session.delete(webhook)
        await self.session.flush()

    async def active_of_owner(self, user_id: int) -> Sequence[Webhook]:
        found = await self.session.scalars(
            select(Webhook).where(Webhook.user_id == user_id, Webhook.is_active.is_(True))
        )
        return found.all()

    async def active_of_links(self, link_ids: Iterable[int]) -> Sequence[LinkHooks]:
        """The active webhooks of the owners of these links, with each link's code and URL."""
        ids = sorted(set(link_ids))
        if not ids:
            return []
        rows = await self.session.execute(
            select(Link.id, Link.code, Link.long_url, Webhook)
            .join(Webhook, Webhook.user_id == Link.owner_id)
            .where(Link.id.in_(ids), Webhook.is_active.is_(True))
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows.all()]

    # deliveries

    async def insert_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        """New deliveries, in one multi-row statement (the click worker writes one a click)."""
        await self.session.execute(insert(_DELIVERIES), list(rows))

    async def add_deliveries(self, deliveries: Sequence[WebhookDelivery]) -> list[int]:
        self.session.add_all(deliveries)
        await self.session.flush()
        return [delivery.id for delivery in deliveries]

    async def list_deliveries(
        self, webhook_id: int, *, limit: int, offset: int
    ) -> tuple[Sequence[WebhookDelivery], int]:
        total = await self.session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
        )
        found = await self.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return found.all(), total or 0

    async def get_delivery(self, webhook_id: int, delivery_id: int) -> WebhookDelivery | None:
        return await self.session.scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id
            )
        )

    async def due(self, now: datetime, limit: int) -> Sequence[int]:
        """Pending deliveries of active webhooks whose next attempt is due, oldest first."""
        found = await self.session.scalars(
            select(WebhookDelivery.id)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                Webhook.is_active.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
        return found.all()

    async def claim(
        self, delivery_id: int, now: datetime, lease_until: datetime, *, even_if_inactive: bool
    ) -> bool:
        """Take a due delivery for one attempt: one UPDATE that only one process can win.

        The winner counts the attempt and moves `next_attempt_at` to the end of its lease,
        so the row is not due for anybody else while it is being sent; if the sender dies,
        the row is due again when the lease ends."""
        condition = [
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        ]
        if not even_if_inactive:
            active = select(Webhook.id).where(Webhook.is_active.is_(True))
            condition.append(WebhookDelivery.webhook_id.in_(active))
        result = await self.session.execute(
            update(_DELIVERIES)
            .where(*condition)
            .values(attempts=WebhookDelivery.attempts + 1, next_attempt_at=lease_until)
        )
        return bool(getattr(result, "rowcount", 0))

    async def claimed(self, delivery_id: int) -> tuple[WebhookDelivery, Webhook] | None:
        row = (
            await self.session.execute(
                select(WebhookDelivery, Webhook)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(WebhookDelivery.id == delivery_id)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def record(self, delivery_id: int, attempts: int, **values: Any) -> bool:
        """Write the outcome of attempt number `attempts`; False when the row moved on
        meanwhile (its lease ran out and another process took it, or it was deleted)."""
        result = await self.session.execute(
            update(_DELIVERIES)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.attempts == attempts)
            .values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def count_success(self, webhook_id: int) -> None:
        await self.session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id, Webhook.consecutive_failures != 0)
            .values(consecutive_failures=0)
            .execution_options(synchronize_session=False)
        )

    async def count_failure(self, webhook_id: int, disable_after: int, now: datetime) -> bool:
        """One more consecutive failure; True when this one disabled the webhook."""
        await self.session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id)
            .values(consecutive_failures=Webhook.consecutive_failures + 1)
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(
            update(Webhook)
            .where(
                Webhook.id == webhook_id,
                Webhook.is_active.is_(True),
                Webhook.consecutive_failures >= disable_after,
            )
            .values(is_active=False, disabled_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def prune(self, finished_before: datetime) -> int:
        """Forget delivered and failed deliveries created before `finished_before`."""
        result = await self.session.execute(
            delete(WebhookDelivery)
            .where(
                WebhookDelivery.status != DeliveryStatus.PENDING,
                WebhookDelivery.created_at < finished_before,
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
