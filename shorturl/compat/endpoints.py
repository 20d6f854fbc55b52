"""Seed-001 routes: unenveloped bodies and `{"error": …}` errors."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from shorturl.accounts.dependencies import CurrentPrincipal
from shorturl.analytics import service as analytics
from shorturl.analytics.schemas import ClickRecorded, RootAnalytics
from shorturl.compat.schemas import HealthOut, ShortenIn, ShortenOut
from shorturl.errors import ValidationFailed
from shorturl.health.checks import check_dependencies
from shorturl.links.codes import is_possible_code
from shorturl.links.dependencies import LinkServiceDep
from shorturl.links.service import NewLink, expiry_in_days
from shorturl.storage.db import SessionDep
from shorturl.timestamps import utcnow

__all__ = ["router"]

router = APIRouter(tags=["root API (seed 001)"])


@router.post("/shorten", status_code=status.HTTP_201_CREATED, response_model=ShortenOut)
async def shorten(
    body: ShortenIn, session: SessionDep, links: LinkServiceDep, principal: CurrentPrincipal
) -> ShortenOut:
    """Shorten a URL; it expires after `expiration_days` (default 30)."""
    days = body.expiration_days or links.settings.default_expiration_days
    link = await links.create(
        session,
        NewLink(long_url=body.url, custom_alias=body.custom_alias, expires_at=expiry_in_days(days)),
        principal,
    )
    return ShortenOut(
        short_url=links.short_url(link.code, link.domain),
        long_url=link.long_url,
        expires_at=link.expires_at,
        short_code=link.code,
    )


@router.get("/health", response_model=HealthOut)
async def health(request: Request) -> JSONResponse:
    """The state of the database and the cache: `healthy`, `degraded` (Redis away: still
    serving, 200) or `unhealthy` (the database away: 503)."""
    report = await check_dependencies(request.app.state.runtime)
    body = HealthOut(
        status=report.status, time=utcnow(), database=report.database, cache=report.cache
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=503 if report.status == "unhealthy" else 200
    )


def _short_id(short_id: str | None) -> str:
    if not short_id:
        raise ValidationFailed("Missing short_id parameter")
    if not is_possible_code(short_id):
        raise ValidationFailed("Invalid short ID")
    return short_id


@router.get("/analytics", response_model=RootAnalytics)
async def get_analytics(
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
    short_id: str | None = None,
) -> RootAnalytics:
    """Clicks of a short URL: total, by country, by device, and the last one (robots and
    HEAD requests not counted). A link with an owner: its owner or an admin only."""
    link = await links.get_readable(session, _short_id(short_id), principal)
    return await analytics.root_analytics(session, link)


@router.post("/analytics/click", response_model=ClickRecorded)
async def record_click(request: Request, short_id: str | None = None) -> ClickRecorded:
    """Record a click on a short URL as a redirect would (its click limit included)."""
    await request.app.state.runtime.clicks.record_api_click(request.scope, _short_id(short_id))
    return ClickRecorded()
