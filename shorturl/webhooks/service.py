"""The webhooks API's operations on a user's own webhooks. Never commits: the request does.

A user only ever sees their own webhooks: someone else's answers 404, as if it did not exist.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.errors import InvalidUrl, NotFound, ValidationFailed
from shorturl.links.urls import normalize_long_url
from shorturl.net.safe_fetch import is_public_address
from shorturl.timestamps import utcnow
from shorturl.webhooks.dispatcher import WebhookDispatcher
from shorturl.webhooks.events import EVENTS, ping_payload
from shorturl.webhooks.models import Webhook, WebhookDelivery
from shorturl.webhooks.presenter import public_webhook_id
from shorturl.webhooks.repository import WebhookRepository
from shorturl.webhooks.secret_box import SecretBox

__all__ = [
    "MAX_WEBHOOKS",
    "WebhookChanges",
    "create",
    "delete",
    "deliveries",
    "get",
    "get_delivery",
    "list_webhooks",
    "ping",
    "redeliver",
    "reencrypt",
    "update",
]

MAX_WEBHOOKS: Final = 25  # per user
MIN_SECRET: Final = 8
_LOCAL_NAMES: Final = ("localhost", "localhost.localdomain")


@dataclass(slots=True)
class WebhookChanges:
    """Fields to change; None leaves a field alone."""

    url: str | None = None
    events: Sequence[str] | None = None
    is_active: bool | None = None
    secret: str | None = None


async def create(
    session: AsyncSession,
    dispatcher: WebhookDispatcher,
    user_id: int,
    *,
    url: str,
    events: Sequence[str],
    secret: str | None = None,
) -> Webhook:
    """A new active webhook; its secret is generated when not given. Raises InvalidUrl,
    ValidationFailed (events, secret, too many webhooks)."""
    repository = WebhookRepository(session)
    plain = _secret(secret) if secret is not None else "whsec_" + secrets.token_urlsafe(32)
    webhook = Webhook(
        user_id=user_id,
        url=_target_url(url, dispatcher),
        events=_event_list(events),
        sealed_secret=dispatcher.secret_box.seal(plain),
        is_active=True,
        consecutive_failures=0,
    )
    webhook.secret = plain
    if await repository.count_owned(user_id) >= MAX_WEBHOOKS:
        raise ValidationFailed(f"An account may have at most {MAX_WEBHOOKS} webhooks")
    return await repository.add(webhook)


async def list_webhooks(session: AsyncSession, user_id: int) -> Sequence[Webhook]:
    return await WebhookRepository(session).list_owned(user_id)


async def get(session: AsyncSession, user_id: int, webhook_id: int) -> Webhook:
    """The caller's webhook `webhook_id`; NotFound when it is not theirs or does not exist."""
    webhook = await WebhookRepository(session).get_owned(user_id, webhook_id)
    if webhook is None:
        raise NotFound("Webhook not found", details=f"No webhook '{public_webhook_id(webhook_id)}'")
    return webhook


async def update(
    session: AsyncSession,
    dispatcher: WebhookDispatcher,
    user_id: int,
    webhook_id: int,
    changes: WebhookChanges,
) -> Webhook:
    """Change a webhook. Turning it back on clears its consecutive failures."""
    webhook = await get(session, user_id, webhook_id)
    if changes.url is not None:
        webhook.url = _target_url(changes.url, dispatcher)
    if changes.events is not None:
        webhook.events = _event_list(changes.events)
    if changes.secret is not None:
        webhook.sealed_secret = dispatcher.secret_box.seal(_secret(changes.secret))
    if changes.is_active is True and not webhook.is_active:
        webhook.is_active, webhook.consecutive_failures, webhook.disabled_at = True, 0, None
    elif changes.is_active is False and webhook.is_active:
        webhook.is_active, webhook.disabled_at = False, utcnow()
    await session.flush()
    return webhook


async def reencrypt(session: AsyncSession, box: SecretBox) -> int:
    """Seal every webhook secret with the first key of `box` (after a new key was put in
    front, and for secrets stored before encryption); how many changed."""
    changed = 0
    for webhook in await WebhookRepository(session).all_webhooks():
        if not box.is_current(webhook.sealed_secret):
            webhook.sealed_secret = box.seal(box.open(webhook.sealed_secret))
            changed += 1
    await session.flush()
    return changed


async def delete(session: AsyncSession, user_id: int, webhook_id: int) -> None:
    """Remove a webhook and its delivery log; pending deliveries are never sent."""
    repository = WebhookRepository(session)
    await repository.remove(await get(session, user_id, webhook_id))


async def deliveries(
    session: AsyncSession, user_id: int, webhook_id: int, *, limit: int, offset: int
) -> tuple[Sequence[WebhookDelivery], int]:
    """The webhook's delivery log, newest first, and its length."""
    await get(session, user_id, webhook_id)
    return await WebhookRepository(session).list_deliveries(webhook_id, limit=limit, offset=offset)


async def get_delivery(
    session: AsyncSession, user_id: int, webhook_id: int, delivery_id: int
) -> WebhookDelivery:
    """A delivery of the caller's webhook `webhook_id`; NotFound otherwise."""
    webhook = await get(session, user_id, webhook_id)
    delivery = await WebhookRepository(session).get_delivery(webhook.id, delivery_id)
    if delivery is None:
        raise NotFound("Delivery not found", details=f"No delivery {delivery_id} of this webhook")
    return delivery


async def ping(dispatcher: WebhookDispatcher, webhook: Webhook) -> WebhookDelivery:
    """Send a `ping` delivery now (even to a disabled webhook) and return how it went.

    Waits for the receiver: call it with no write of the caller's pending (see endpoints)."""
    return await dispatcher.create_and_send(
        webhook.id, "ping", ping_payload(public_webhook_id(webhook.id))
    )


async def redeliver(dispatcher: WebhookDispatcher, earlier: WebhookDelivery) -> WebhookDelivery:
    """Send the payload of an earlier delivery again, now, as a new delivery (retried like
    any other if it fails). Waits for the receiver, like `ping`."""
    return await dispatcher.create_and_send(
        earlier.webhook_id, earlier.event, dict(earlier.payload)
    )


def _target_url(raw: str, dispatcher: WebhookDispatcher) -> str:
    """The link-target rules, and no loopback or private address written as such (names
    are resolved and checked again at every delivery)."""
    url = normalize_long_url(raw, short_host=dispatcher.settings.short_host)
    if dispatcher.settings.allow_private_targets:
        return url
    host = (urlsplit(url).hostname or "").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        raise InvalidUrl(details="Webhooks cannot be sent to localhost")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url
    if not is_public_address(address):
        raise InvalidUrl(
            details=f"Webhooks cannot be sent to {address}: a private or reserved address"
        )
    return url


def _event_list(events: Sequence[str]) -> list[str]:
    unknown = [event for event in events if event not in EVENTS]
    if unknown:
        raise ValidationFailed(
            f"Unknown event '{unknown[0]}'",
            details={"field": "events", "allowed": list(EVENTS), "unknown": unknown},
        )
    if not events:
        raise ValidationFailed(
            "Subscribe to at least one event", details={"field": "events", "allowed": list(EVENTS)}
        )
    return list(dict.fromkeys(events))


def _secret(secret: str) -> str:
    secret = secret.strip()
    if len(secret) < MIN_SECRET:
        raise ValidationFailed(
            f"secret must be at least {MIN_SECRET} characters", details={"field": "secret"}
        )
    return secret
