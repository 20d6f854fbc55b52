"""The `webhooks` resource: URLs the server calls, HMAC-signed, when your links change or
are clicked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from shorturl.client._binding import AsyncResource, SyncResource, async_call, sync_call
from shorturl.client._http import Call, path_segment
from shorturl.client.models import Webhook, WebhookDeleted

__all__ = ["AsyncWebhooks", "Webhooks"]

Event = Literal["url.clicked", "url.created", "url.updated", "url.deleted", "url.expired"]


def _webhook_list(data: Any) -> list[Webhook]:
    items = data.get("webhooks", []) if isinstance(data, dict) else data
    return [Webhook.from_data(item) for item in items]


def list_webhooks() -> Call[list[Webhook]]:
    """Your webhooks (`GET /webhooks`)."""
    return Call("GET", "/webhooks", _webhook_list)


def create(url: str, *, events: Sequence[Event], secret: str | None = None) -> Call[Webhook]:
    """Register a webhook for `events` (`POST /webhooks`); deliveries are signed with
    HMAC-SHA256 of `secret` (the server makes one when not given)."""
    body: dict[str, Any] = {"url": url, "events": list(events)}
    if secret is not None:
        body["secret"] = secret
    return Call("POST", "/webhooks", Webhook.from_data, json=body)


def delete(webhook_id: str) -> Call[WebhookDeleted]:
    """Remove a webhook (`DELETE /webhooks/{id}`)."""
    return Call("DELETE", f"/webhooks/{path_segment(webhook_id)}", WebhookDeleted.from_data)


class Webhooks(SyncResource):
    """`client.webhooks`: your webhooks."""

    list = sync_call(list_webhooks)
    create = sync_call(create)
    delete = sync_call(delete)


class AsyncWebhooks(AsyncResource):
    """`client.webhooks` of the AsyncClient: your webhooks."""

    list = async_call(list_webhooks)
    create = async_call(create)
    delete = async_call(delete)
