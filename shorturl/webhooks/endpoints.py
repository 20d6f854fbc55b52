"""API v1 webhook routes (seed 003 "Webhooks"): subscriptions, test pings, delivery log.

Errors: 400 `VALIDATION_ERROR` (unknown event, bad secret, bad body) or `INVALID_URL`,
401 `UNAUTHORIZED`, 403 `FORBIDDEN` (read-only API key writing), 404 `NOT_FOUND` (no such
webhook or delivery among the caller's own), 429 `RATE_LIMITED`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.dependencies import CurrentUser
from shorturl.api.envelope import Envelope, ErrorEnvelope, ok
from shorturl.api.paging import MAX_OFFSET, MAX_PAGE
from shorturl.links.schemas import Pagination
from shorturl.storage.db import SessionDep, run_after_commit
from shorturl.webhooks import service
from shorturl.webhooks.dependencies import WebhookDispatcherDep
from shorturl.webhooks.presenter import (
    delivery_id_from,
    delivery_out,
    public_webhook_id,
    webhook_created,
    webhook_id_from,
    webhook_out,
)
from shorturl.webhooks.schemas import (
    DeliveryList,
    DeliveryOut,
    WebhookCreate,
    WebhookCreated,
    WebhookDeleted,
    WebhookList,
    WebhookOut,
    WebhookUpdate,
)

__all__ = ["router"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "`VALIDATION_ERROR` or `INVALID_URL`"},
    401: {"model": ErrorEnvelope, "description": "`UNAUTHORIZED`: no or wrong credentials"},
    403: {"model": ErrorEnvelope, "description": "`FORBIDDEN`: a read-only API key writing"},
    404: {"model": ErrorEnvelope, "description": "`NOT_FOUND`: not one of your webhooks"},
    429: {"model": ErrorEnvelope, "description": "`RATE_LIMITED`"},
}

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=_ERRORS)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Envelope[WebhookCreated])
async def create_webhook(
    request: Request,
    body: WebhookCreate,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: WebhookDispatcherDep,
) -> Envelope[WebhookCreated]:
    """Register a URL to receive `events`, signed with `secret` (generated when left out and
    shown only in this response)."""
    webhook = await service.create(
        session, dispatcher, user.id, url=body.url, events=body.events, secret=body.secret
    )
    return ok(request, webhook_created(webhook))


@router.get("", response_model=Envelope[WebhookList])
async def list_webhooks(
    request: Request, user: CurrentUser, session: SessionDep
) -> Envelope[WebhookList]:
    """The caller's webhooks."""
    webhooks = await service.list_webhooks(session, user.id)
    return ok(request, WebhookList(webhooks=[webhook_out(webhook) for webhook in webhooks]))


@router.get("/{webhook_id}", response_model=Envelope[WebhookOut])
async def get_webhook(
    request: Request, webhook_id: str, user: CurrentUser, session: SessionDep
) -> Envelope[WebhookOut]:
    """One of the caller's webhooks."""
    webhook = await service.get(session, user.id, webhook_id_from(webhook_id))
    return ok(request, webhook_out(webhook))


@router.patch("/{webhook_id}", response_model=Envelope[WebhookOut])
async def update_webhook(
    request: Request,
    webhook_id: str,
    body: WebhookUpdate,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: WebhookDispatcherDep,
) -> Envelope[WebhookOut]:
    """Change the URL, events, secret, or turn the webhook off and on again (which clears
    its consecutive failures)."""
    changes = service.WebhookChanges(
        url=body.url, events=body.events, is_active=body.is_active, secret=body.secret
    )
    webhook = await service.update(
        session, dispatcher, user.id, webhook_id_from(webhook_id), changes
    )
    return ok(request, webhook_out(webhook))


@router.delete("/{webhook_id}", response_model=Envelope[WebhookDeleted])
async def delete_webhook(
    request: Request, webhook_id: str, user: CurrentUser, session: SessionDep
) -> Envelope[WebhookDeleted]:
    """Remove a webhook and its delivery log."""
    number = webhook_id_from(webhook_id)
    await service.delete(session, user.id, number)
    return ok(
        request, WebhookDeleted(message="Webhook deleted", webhook_id=public_webhook_id(number))
    )


@router.post("/{webhook_id}/test", response_model=Envelope[DeliveryOut])
async def test_webhook(
    request: Request,
    webhook_id: str,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: WebhookDispatcherDep,
) -> Envelope[DeliveryOut]:
    """Send a signed `ping` now and report how the receiver answered (not retried)."""
    webhook = await service.get(session, user.id, webhook_id_from(webhook_id))
    await _release(session)
    return ok(request, delivery_out(await service.ping(dispatcher, webhook)))


@router.get("/{webhook_id}/deliveries", response_model=Envelope[DeliveryList])
async def list_deliveries(
    request: Request,
    webhook_id: str,
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
    page: Annotated[int | None, Query(ge=1, le=MAX_PAGE)] = None,
) -> Envelope[DeliveryList]:
    """The delivery log, newest first: event, status, attempts, last answer and error."""
    start = offset if offset is not None else ((page or 1) - 1) * limit
    found, total = await service.deliveries(
        session, user.id, webhook_id_from(webhook_id), limit=limit, offset=start
    )
    return ok(
        request,
        DeliveryList(
            deliveries=[delivery_out(delivery) for delivery in found],
            pagination=Pagination(
                total=total,
                limit=limit,
                offset=start,
                page=start // limit + 1,
                has_more=start + len(found) < total,
            ),
        ),
    )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver", response_model=Envelope[DeliveryOut]
)
async def redeliver(
    request: Request,
    webhook_id: str,
    delivery_id: str,
    user: CurrentUser,
    session: SessionDep,
    dispatcher: WebhookDispatcherDep,
) -> Envelope[DeliveryOut]:
    """Send an earlier delivery's payload again now, as a new delivery."""
    earlier = await service.get_delivery(
        session, user.id, webhook_id_from(webhook_id), delivery_id_from(delivery_id)
    )
    await _release(session)
    return ok(request, delivery_out(await service.redeliver(dispatcher, earlier)))


async def _release(session: AsyncSession) -> None:
    """Commit what the request wrote so far (authentication may note an API key's use)
    before it waits on a receiver: on SQLite an open write would block every other writer,
    the delivery's own rows included."""
    await run_after_commit(session)
