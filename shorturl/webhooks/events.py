"""The events a webhook can subscribe to, and the payload each delivery carries (seed 003)."""

from __future__ import annotations

from typing import Any, Final, Literal

from shorturl.links.events import LINK_EVENTS
from shorturl.links.models import Link
from shorturl.timestamps import iso_z, utcnow

__all__ = [
    "CLICKED",
    "EVENTS",
    "PING",
    "WebhookEvent",
    "click_payload",
    "link_payload",
    "ping_payload",
]

WebhookEvent = Literal["url.clicked", "url.created", "url.updated", "url.deleted", "url.expired"]
CLICKED: Final = "url.clicked"
# What `POST /webhooks/{id}/test` sends; nobody subscribes to it.
PING: Final = "ping"
EVENTS: Final[tuple[str, ...]] = (CLICKED, *LINK_EVENTS)


def _envelope(event: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"event": event, "timestamp": iso_z(utcnow().replace(microsecond=0)), "data": data}


def link_payload(event: str, link: Link, base_url: str) -> dict[str, Any]:
    """`{event, timestamp, data: {short_code, short_url, long_url}}` for a link event."""
    return _envelope(
        event,
        {
            "short_code": link.code,
            "short_url": f"{base_url}/{link.code}",
            "long_url": link.long_url,
        },
    )


def click_payload(code: str, long_url: str, base_url: str, click: dict[str, Any]) -> dict[str, Any]:
    """The seed-003 `url.clicked` payload of one stored click row. The address is the one
    stored under `IP_STORAGE` (anonymized or None), never the raw one."""
    return _envelope(
        CLICKED,
        {
            "short_code": code,
            "short_url": f"{base_url}/{code}",
            "long_url": long_url,
            "click_data": {
                "ip_address": click.get("ip"),
                "user_agent": click.get("user_agent"),
                "referrer": click.get("referrer"),
                "country": click.get("country"),
                "device_type": click.get("device"),
                "clicked_at": iso_z(click["clicked_at"]) if click.get("clicked_at") else None,
            },
        },
    )


def ping_payload(webhook_public_id: str) -> dict[str, Any]:
    return _envelope(
        PING, {"webhook_id": webhook_public_id, "message": "Webhook test from shorturl"}
    )
