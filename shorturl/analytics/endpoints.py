"""API v1 analytics routes: per-link analytics (seed 003), stats (seed 004), summary (seed 003)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from shorturl.accounts.dependencies import CurrentPrincipal
from shorturl.analytics import service
from shorturl.analytics.periods import Period
from shorturl.analytics.schemas import LinkAnalytics, LinkStats, Summary
from shorturl.api.envelope import Envelope, ok
from shorturl.api.paging import MAX_OFFSET, MAX_PAGE
from shorturl.links.dependencies import LinkServiceDep
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(tags=["analytics"])

IncludeBots = Annotated[
    bool, Query(description="Count robots and link-preview fetchers too (HEAD never counts)")
]


@router.get("/urls/{code}/analytics", response_model=Envelope[LinkAnalytics])
async def link_analytics(
    request: Request,
    code: str,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
    period: Annotated[
        str | None, Query(description="1h, 24h, today, 7d, 30d, 90d, 1y or all")
    ] = None,
    granularity: Annotated[str | None, Query(description="hour, day, week or month")] = None,
    include_bots: IncludeBots = False,
) -> Envelope[LinkAnalytics]:
    """Clicks and unique visitors of one link over a period: a zero-filled time series
    (newest first), countries, referrers, devices, browsers and operating systems."""
    chosen = Period.parse(period, granularity)
    link = await links.get_readable(session, code, principal)
    return ok(request, await service.link_analytics(session, link, chosen, include_bots))


@router.get("/urls/{code}/stats", response_model=Envelope[LinkStats])
async def link_stats(
    request: Request,
    code: str,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
    page: Annotated[int | None, Query(ge=1, le=MAX_PAGE)] = None,
    include_bots: IncludeBots = False,
) -> Envelope[LinkStats]:
    """Visit count, unique visitors and the visits themselves, newest first (seed 004).
    Addresses are shown as `IP_STORAGE` keeps them."""
    start = offset if offset is not None else ((page or 1) - 1) * limit
    link = await links.get_readable(session, code, principal)
    stats = await service.link_stats(
        session, link, limit=limit, offset=start, include_bots=include_bots
    )
    return ok(request, stats)


@router.get("/analytics/summary", response_model=Envelope[Summary])
async def analytics_summary(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    period: Annotated[
        str | None, Query(description="1h, 24h, today, 7d, 30d, 90d, 1y or all")
    ] = None,
    include_bots: IncludeBots = False,
) -> Envelope[Summary]:
    """Totals over the caller's links (anonymous callers: links made anonymously): links,
    clicks, unique visitors, active links, the top ten, the daily average and the growth."""
    chosen = Period.parse(period or "30d", "day")
    return ok(request, await service.summary(session, principal.user_id, chosen, include_bots))
