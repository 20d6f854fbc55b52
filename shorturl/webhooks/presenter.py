"""How webhooks and their deliveries are shown to API clients, and their public ids."""

from __future__ import annotations

from shorturl.errors import NotFound
from shorturl.webhooks.models import Webhook, WebhookDelivery
from shorturl.webhooks.schemas import DeliveryOut, WebhookCreated, WebhookOut

__all__ = [
    "delivery_id_from",
    "delivery_out",
    "public_delivery_id",
    "public_webhook_id",
    "webhook_created",
    "webhook_id_from",
    "webhook_out",
]


def public_webhook_id(webhook_id: int) -> str:
    return f"wh_{webhook_id}"


def public_delivery_id(delivery_id: int) -> str:
    return f"dlv_{delivery_id}"


def _number(text: str, prefix: str, what: str) -> int:
    number = text.removeprefix(prefix)
    if not (number.isascii() and number.isdigit()) or len(number) > 18:
        raise NotFound(f"{what} not found", details=f"No {what.lower()} '{text}'")
    return int(number)


def webhook_id_from(text: str) -> int:
    """The numeric id in `wh_12` (or `12`); NotFound for anything else."""
    return _number(text, "wh_", "Webhook")


def delivery_id_from(text: str) -> int:
    """The numeric id in `dlv_34` (or `34`); NotFound for anything else."""
    return _number(text, "dlv_", "Delivery")


def webhook_out(webhook: Webhook) -> WebhookOut:
    return WebhookOut(
        webhook_id=public_webhook_id(webhook.id),
        url=webhook.url,
        events=list(webhook.events),
        is_active=webhook.is_active,
        consecutive_failures=webhook.consecutive_failures,
        created_at=webhook.created_at,
        disabled_at=webhook.disabled_at,
    )


def webhook_created(webhook: Webhook) -> WebhookCreated:
    assert webhook.secret is not None, "only a webhook just created has its secret at hand"
    return WebhookCreated(**webhook_out(webhook).model_dump(), secret=webhook.secret)


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        delivery_id=public_delivery_id(delivery.id),
        webhook_id=public_webhook_id(delivery.webhook_id),
        event=delivery.event,
        status=delivery.status,
        attempts=delivery.attempts,
        response_status=delivery.response_status,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        delivered_at=delivery.delivered_at,
        payload=delivery.payload,
    )
