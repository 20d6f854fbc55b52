"""The `webhooks` resource: URLs the server calls, HMAC-signed, when your links change or
are clicked; their delivery log, test pings and redeliveries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from shorturl.client._binding import (
    AsyncResource,
    SyncResource,
    async_call,
    async_pages,
    sync_call,
    sync_pages,
)
from shorturl.client._http import NOT_GIVEN, Call, NotGiven, path_segment
from shorturl.client.models import (
    Webhook,
    WebhookCreated,
    WebhookDeleted,
    WebhookDelivery,
    WebhookDeliveryPage,
)

__all__ = ["AsyncWebhooks", "Webhooks"]

Event = Literal["url.clicked", "url.created", "url.updated", "url.deleted", "url.expired"]


def _webhook_list(data: Any) -> list[Webhook]:
    items = data.get("webhooks", []) if isinstance(data, dict) else data
    return [Webhook.from_data(item) for item in items]


def _path(webhook_id: str, *rest: str) -> str:
    return "/".join(("/webhooks", path_segment(webhook_id), *rest))


def list_webhooks() -> Call[list[Webhook]]:
    """Your webhooks (`GET /webhooks`)."""
    return Call("GET", "/webhooks", _webhook_list)


def create(url: str, *, events: Sequence[Event], secret: str | None = None) -> Call[WebhookCreated]:
    """Register a webhook for `events` (`POST /webhooks`); deliveries are signed with
    HMAC-SHA256 of `secret` (the server makes one when not given, returned this once)."""
    body: dict[str, Any] = {"url": url, "events": list(events)}
    if secret is not None:
        body["secret"] = secret
    return Call("POST", "/webhooks", WebhookCreated.from_data, json=body)


def get(webhook_id: str) -> Call[Webhook]:
    """One of your webhooks (`GET /webhooks/{id}`)."""
    return Call("GET", _path(webhook_id), Webhook.from_data)


def update(
    webhook_id: str,
    *,
    url: str | NotGiven = NOT_GIVEN,
    events: Sequence[Event] | NotGiven = NOT_GIVEN,
    is_active: bool | NotGiven = NOT_GIVEN,
    secret: str | NotGiven = NOT_GIVEN,
) -> Call[Webhook]:
    """Change a webhook (`PATCH /webhooks/{id}`): only the arguments given change.
    `is_active=True` turns a disabled webhook back on and clears its failure count."""
    body = {
        "url": url,
        "events": list(events) if not isinstance(events, NotGiven) else events,
        "is_active": is_active,
        "secret": secret,
    }
    given = {k: v for k, v in body.items() if not isinstance(v, NotGiven)}
    return Call("PATCH", _path(webhook_id), Webhook.from_data, json=given, idempotent=True)


def delete(webhook_id: str) -> Call[WebhookDeleted]:
    """Remove a webhook and its delivery log (`DELETE /webhooks/{id}`)."""
    return Call("DELETE", _path(webhook_id), WebhookDeleted.from_data)


def test(webhook_id: str) -> Call[WebhookDelivery]:
    """Send a signed `ping` now (`POST /webhooks/{id}/test`); how the receiver answered."""
    return Call("POST", _path(webhook_id, "test"), WebhookDelivery.from_data)


def deliveries_page(
    webhook_id: str, *, limit: int = 20, offset: int = 0
) -> Call[WebhookDeliveryPage]:
    """One page of the delivery log, newest first (`GET /webhooks/{id}/deliveries`)."""
    return Call(
        "GET",
        _path(webhook_id, "deliveries"),
        WebhookDeliveryPage.from_data,
        params={"limit": limit, "offset": offset},
    )


def all_deliveries(webhook_id: str, *, page_size: int = 100) -> Call[WebhookDeliveryPage]:
    """Every delivery in the log, newest first, fetched `page_size` at a time as you go."""
    return deliveries_page(webhook_id, limit=page_size, offset=0)


def redeliver(webhook_id: str, delivery_id: str) -> Call[WebhookDelivery]:
    """Send an earlier delivery's payload again now, as a new delivery
    (`POST /webhooks/{id}/deliveries/{delivery_id}/redeliver`)."""
    path = _path(webhook_id, "deliveries", path_segment(delivery_id), "redeliver")
    return Call("POST", path, WebhookDelivery.from_data)


class Webhooks(SyncResource):
    """`client.webhooks`: your webhooks."""

    list = sync_call(list_webhooks)
    create = sync_call(create)
    get = sync_call(get)
    update = sync_call(update)
    delete = sync_call(delete)
    test = sync_call(test)
    deliveries_page = sync_call(deliveries_page)
    deliveries = sync_pages(all_deliveries)
    redeliver = sync_call(redeliver)


class AsyncWebhooks(AsyncResource):
    """`client.webhooks` of the AsyncClient: your webhooks."""

    list = async_call(list_webhooks)
    create = async_call(create)
    get = async_call(get)
    update = async_call(update)
    delete = async_call(delete)
    test = async_call(test)
    deliveries_page = async_call(deliveries_page)
    deliveries = async_pages(all_deliveries)
    redeliver = async_call(redeliver)
