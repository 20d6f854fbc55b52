"""The signed-in user's webhook pages: create (secret shown once), list, turn off and on,
delete, send a test ping, and each webhook's delivery log with redelivery."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.dashboard.csrf import VerifiedForm
from shorturl.dashboard.forms import field_text
from shorturl.dashboard.rendering import plain_error, render
from shorturl.dashboard.security import HtmlRoute
from shorturl.dashboard.sessions import SignedInSession, WebSession
from shorturl.errors import AppError
from shorturl.storage.db import SessionDep, run_after_commit
from shorturl.webhooks import service as webhooks
from shorturl.webhooks.dependencies import WebhookDispatcherDep
from shorturl.webhooks.events import EVENTS
from shorturl.webhooks.presenter import (
    delivery_id_from,
    public_delivery_id,
    public_webhook_id,
    webhook_id_from,
)

__all__ = ["router"]

router = APIRouter(prefix="/dashboard/webhooks", route_class=HtmlRoute, include_in_schema=False)

LOG_PAGE = 50
_FLASHES = {
    "deleted": "The webhook was deleted.",
    "on": "The webhook is on again; its failures are forgotten.",
    "off": "The webhook is off: nothing is sent until you turn it back on.",
}


async def _list_page(
    request: Request, web: WebSession, db: AsyncSession, status: int = 200, **context: Any
) -> Response:
    context.setdefault("created", None)
    context.setdefault("error", None)
    context.setdefault("url", "")
    context.setdefault("chosen", ["url.created", "url.clicked"])
    flash = next((text for key, text in _FLASHES.items() if key in request.query_params), None)
    return render(
        request,
        "webhooks.html",
        {
            "webhooks": await webhooks.list_webhooks(db, web.user_id),
            "events": EVENTS,
            "flash": flash,
            "public_id": public_webhook_id,
            **context,
        },
        status=status,
    )


@router.get("")
async def webhooks_page(request: Request, web: SignedInSession, db: SessionDep) -> Response:
    return await _list_page(request, web, db)


@router.post("")
async def create_webhook(
    request: Request,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    dispatcher: WebhookDispatcherDep,
) -> Response:
    url = field_text(form, "url", 8192)
    events = [value for value in form.getlist("events") if isinstance(value, str)]
    secret = field_text(form, "secret", 255) or None
    try:
        created = await webhooks.create(
            db, dispatcher, web.user_id, url=url, events=events, secret=secret
        )
    except AppError as error:
        await db.rollback()
        return await _list_page(
            request, web, db, error.status_code, error=plain_error(error), url=url, chosen=events
        )
    # The secret is on this response only (no-store).
    return await _list_page(request, web, db, created=created)


@router.get("/{webhook_id}")
async def webhook_page(
    request: Request, webhook_id: str, web: SignedInSession, db: SessionDep
) -> Response:
    webhook = await webhooks.get(db, web.user_id, webhook_id_from(webhook_id))
    log, total = await webhooks.deliveries(db, web.user_id, webhook.id, limit=LOG_PAGE, offset=0)
    sent = request.query_params.get("sent")
    return render(
        request,
        "webhook.html",
        {
            "webhook": webhook,
            "webhook_id": public_webhook_id(webhook.id),
            "deliveries": log,
            "total": total,
            "delivery_id": public_delivery_id,
            "sent": sent if sent in ("delivered", "failed", "pending") else None,
        },
    )


@router.post("/{webhook_id}/active")
async def set_active(
    request: Request,
    webhook_id: str,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    dispatcher: WebhookDispatcherDep,
) -> Response:
    turn_on = field_text(form, "active", 8) == "on"
    changes = webhooks.WebhookChanges(is_active=turn_on)
    await webhooks.update(db, dispatcher, web.user_id, webhook_id_from(webhook_id), changes)
    return RedirectResponse(f"/dashboard/webhooks?{'on' if turn_on else 'off'}=1", 303)


@router.post("/{webhook_id}/delete")
async def delete_webhook(
    request: Request, webhook_id: str, form: VerifiedForm, web: SignedInSession, db: SessionDep
) -> Response:
    await webhooks.delete(db, web.user_id, webhook_id_from(webhook_id))
    return RedirectResponse("/dashboard/webhooks?deleted=1", 303)


@router.post("/{webhook_id}/test")
async def send_ping(
    request: Request,
    webhook_id: str,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    dispatcher: WebhookDispatcherDep,
) -> Response:
    webhook = await webhooks.get(db, web.user_id, webhook_id_from(webhook_id))
    await run_after_commit(db)  # nothing of this request held open while the receiver answers
    delivery = await webhooks.ping(dispatcher, webhook)
    return RedirectResponse(
        f"/dashboard/webhooks/{public_webhook_id(webhook.id)}?sent={delivery.status}", 303
    )


@router.post("/{webhook_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(
    request: Request,
    webhook_id: str,
    delivery_id: str,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    dispatcher: WebhookDispatcherDep,
) -> Response:
    earlier = await webhooks.get_delivery(
        db, web.user_id, webhook_id_from(webhook_id), delivery_id_from(delivery_id)
    )
    await run_after_commit(db)
    delivery = await webhooks.redeliver(dispatcher, earlier)
    return RedirectResponse(
        f"/dashboard/webhooks/{public_webhook_id(earlier.webhook_id)}?sent={delivery.status}", 303
    )
