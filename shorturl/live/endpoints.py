"""API v1 live clicks as Server-Sent Events: one link's, and every link of the caller's.

Authenticated like the API (`X-API-Key`, `Authorization: Bearer`) or, for the dashboard's
script, by its session cookie; the link stream is readable by whoever may read the link's
analytics. Each stored click is a `click` event whose id resumes the stream (`Last-Event-ID`),
a comment goes out every `LIVE_HEARTBEAT` seconds, and a `dropped` event tells a client too
slow for the clicks how many it missed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse

from shorturl.accounts.dependencies import CurrentPrincipal
from shorturl.dashboard.sessions import load_web_session
from shorturl.errors import Unauthorized
from shorturl.links.dependencies import LinkDomain, LinkServiceDep
from shorturl.live.events import EventId, LiveClick
from shorturl.live.hub import LiveHub, Subscription
from shorturl.ratelimit.api import enforce_api_rate_limit
from shorturl.storage.db import SessionDep

__all__ = ["router"]

_EVENTS_PER_WRITE: Final = 100  # queued clicks sent in one chunk


async def _session_cookie_principal(request: Request, session: SessionDep) -> None:
    """A browser's signed-in session stands for credentials when the request has none (an
    EventSource sends cookies, never headers). Read-only GETs: nothing to forge across sites
    (a SameSite=Lax cookie is not sent by another site's EventSource)."""
    if "x-api-key" in request.headers or "authorization" in request.headers:
        return
    if request.cookies:
        web = await load_web_session(request, session)
        if web.signed_in:
            request.state.principal = web.principal


router = APIRouter(
    prefix="/api/v1",
    tags=["analytics"],
    dependencies=[Depends(_session_cookie_principal), Depends(enforce_api_rate_limit)],
)

LastEventId = Annotated[
    str | None,
    Header(alias="Last-Event-ID", description="Resume after this event (browsers send it)"),
]


@router.get("/urls/{code}/clicks/stream", response_class=StreamingResponse)
async def link_click_stream(
    request: Request,
    code: str,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
    last_event_id: LastEventId = None,
    domain: LinkDomain = None,
) -> StreamingResponse:
    """This link's clicks as they are stored (`text/event-stream`): `click` events with
    `code`, `time`, `country`, `device`, `browser`, `referrer` and `kind` (`human`, `bot`…)."""
    resume = EventId.parse(last_event_id) if last_event_id else None
    link = await links.get_readable(session, code, principal, domain)
    link_id = link.id
    return _stream(request, lambda click: click.link_id == link_id, resume)


@router.get("/analytics/stream", response_class=StreamingResponse)
async def account_click_stream(
    request: Request, principal: CurrentPrincipal, last_event_id: LastEventId = None
) -> StreamingResponse:
    """The clicks of every link of the caller's as they are stored (events as above)."""
    resume = EventId.parse(last_event_id) if last_event_id else None
    owner = principal.user_id
    if owner is None:
        raise Unauthorized(details="Sign in with an API key, a bearer token or a session")
    return _stream(request, lambda click: click.owner_id == owner, resume)


def _stream(
    request: Request, wanted: Callable[[LiveClick], bool], resume: EventId | None
) -> StreamingResponse:
    runtime = request.app.state.runtime
    return StreamingResponse(
        _events(runtime.live, wanted, resume, runtime.settings.live_heartbeat),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    hub: LiveHub, wanted: Callable[[LiveClick], bool], resume: EventId | None, heartbeat: float
) -> AsyncIterator[str]:
    yield "retry: 2000\n: live clicks\n\n"  # headers out at once; reconnect after 2 s
    if hub.closing.is_set():
        return
    async with hub.subscribe(wanted, resume) as subscription:
        while True:
            try:
                first = await asyncio.wait_for(subscription.queue.get(), heartbeat)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            chunk, ended = _chunk(subscription, first)
            if chunk:
                yield chunk
            if ended:
                return


def _chunk(subscription: Subscription, first: tuple[EventId, LiveClick] | None) -> tuple[str, bool]:
    """The queued events as one chunk of text; True once the stream has ended."""
    parts: list[str] = []
    item = first
    for _ in range(_EVENTS_PER_WRITE):
        if item is None:
            return "".join(parts), True
        if subscription.unreported:
            lost = {"dropped": subscription.unreported, "total_dropped": subscription.dropped}
            parts.append(f"event: dropped\ndata: {json.dumps(lost)}\n\n")
            subscription.unreported = 0
        event_id, click = item
        parts.append(f"id: {event_id}\nevent: click\ndata: {json.dumps(click.public())}\n\n")
        if subscription.queue.empty():
            break
        item = subscription.queue.get_nowait()
    return "".join(parts), False
