"""API v1 analytics routes: per-link analytics (seed 003), stats (seed 004), raw click export,
summary (seed 003)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from shorturl.accounts.dependencies import CurrentPrincipal
from shorturl.analytics import export, service
from shorturl.analytics.periods import Period, parse_range
from shorturl.analytics.schemas import LinkAnalytics, LinkStats, Summary
from shorturl.api.envelope import Envelope, ok
from shorturl.api.paging import MAX_OFFSET, MAX_PAGE
from shorturl.links.dependencies import LinkDomain, LinkServiceDep
from shorturl.storage.db import SessionDep
from shorturl.timestamps import utcnow

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
        str | None,
        Query(description="1h, 24h, today, 7d, 30d, 90d, 1y or all (days: whole UTC days)"),
    ] = None,
    granularity: Annotated[str | None, Query(description="hour, day, week or month")] = None,
    include_bots: IncludeBots = False,
    domain: LinkDomain = None,
) -> Envelope[LinkAnalytics]:
    """Clicks and unique visitors of one link over a period: a zero-filled time series
    (newest first), countries, referrers, devices, browsers and operating systems."""
    chosen = Period.parse(period, granularity)
    link = await links.get_readable(session, code, principal, domain)
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


@router.get(
    "/urls/{code}/clicks",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/csv": {}, "application/x-ndjson": {}},
            "description": "The link's raw clicks, oldest first",
        }
    },
)
async def export_link_clicks(
    request: Request,
    code: str,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
    format: Annotated[str | None, Query(description="csv (default) or ndjson")] = None,
    start: Annotated[
        str | None, Query(alias="from", description="A day or ISO time; default: 30 days ago")
    ] = None,
    end: Annotated[str | None, Query(alias="to", description="A day (whole) or ISO time")] = None,
) -> StreamingResponse:
    """Every recorded request of one link in [from, to) (at most 366 days), streamed as CSV
    or NDJSON: robots, previews and HEAD requests too (`kind`, `counted`). `X-Total-Count`
    says how many rows follow."""
    form = export.parse_format(format)
    since, until = parse_range(
        start,
        end,
        utcnow(),
        default_span=export.DEFAULT_EXPORT_SPAN,
        max_span=export.MAX_EXPORT_SPAN,
    )
    link = await links.get_readable(session, code, principal)
    total = await export.count_clicks(session, link.id, since, until)
    # The stream reads in sessions of its own: this request's is closed before it runs.
    sessionmaker = request.app.state.runtime.database.sessionmaker
    return StreamingResponse(
        export.export_clicks(sessionmaker, link.id, since, until, form),
        media_type=export.MEDIA_TYPES[form],
        headers={
            "Content-Disposition": f'attachment; filename="clicks-{link.code}.{form}"',
            "X-Total-Count": str(total),
        },
    )


@router.get("/analytics/summary", response_model=Envelope[Summary])
async def analytics_summary(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    period: Annotated[
        str | None,
        Query(description="1h, 24h, today, 7d, 30d, 90d, 1y or all (days: whole UTC days)"),
    ] = None,
    include_bots: IncludeBots = False,
) -> Envelope[Summary]:
    """Totals over the caller's links (anonymous callers: links made anonymously): links,
    clicks, unique visitors, active links, the top ten, the daily average and the growth."""
    chosen = Period.parse(period or "30d", "day")
    report = await service.summary(
        session, principal.user_id, chosen, include_bots, with_orphans=principal.is_admin
    )
    return ok(request, report)
