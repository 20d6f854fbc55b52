"""Storing enriched clicks (for the worker) and building the reports (for the endpoints).

Never commits: the worker's transaction or the request's session does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.analytics.enrich import BOT, PREVIEW, UTM_FIELDS, campaign, country_name
from shorturl.analytics.events import ClickEvent
from shorturl.analytics.hourly import epoch_seconds, slice_end
from shorturl.analytics.models import Click
from shorturl.analytics.orphans import OrphanFilter, OrphanRepository
from shorturl.analytics.period_totals import PeriodTotalsRepository
from shorturl.analytics.periods import Period, bucket_of, bucket_starts
from shorturl.analytics.repository import Breakdown, ClickFilter, ClickRepository, LinkTally
from shorturl.analytics.rollups import DIMENSIONS, CountedClicks, RollupRepository, min_days
from shorturl.analytics.schemas import (
    BotShare,
    BrowserShare,
    CampaignData,
    CampaignShare,
    ClickTrends,
    CountryShare,
    DestinationShare,
    DeviceShare,
    LinkAnalytics,
    LinkStats,
    OrphanVisitList,
    OrphanVisitOut,
    OsShare,
    ReferrerShare,
    RootAnalytics,
    SeriesPoint,
    Summary,
    TopLink,
    Visit,
)
from shorturl.links.models import Link, LinkStatus
from shorturl.storage.db import reuse_generic_plans
from shorturl.timestamps import as_utc, utcnow

__all__ = [
    "add_counted_clicks",
    "delete_rolled_up_clicks",
    "link_analytics",
    "link_stats",
    "orphan_visits",
    "owner_time_series",
    "record_clicks",
    "roll_up_finished_days",
    "roll_up_finished_hours",
    "root_analytics",
    "summary",
]

UNKNOWN = "unknown"
Share = TypeVar("Share", bound=BaseModel)


async def record_clicks(
    session: AsyncSession, events: Sequence[ClickEvent], rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Store enriched clicks (`rows`, one per event) and add them to their links' counters.

    Idempotent: an event already stored (delivered twice) is skipped, counters included.
    Events of links that are gone or deleted are dropped. Returns the rows stored now."""
    await reuse_generic_plans(session)  # many rows, each with a foreign-key check
    repository = ClickRepository(session)
    states = await repository.lock_links(event.link_id for event in events)
    unique: dict[str, tuple[ClickEvent, dict[str, Any]]] = {}
    for event, row in zip(events, rows, strict=True):
        if states.get(event.link_id, LinkStatus.DELETED) != LinkStatus.DELETED:
            unique.setdefault(event.event_id, (event, row))  # twice in one batch: once
    live = list(unique.values())
    await _add_destination_campaigns(repository, [row for _, row in live])
    inserted_ids = await repository.insert_new([row for _, row in live])
    await _roll_up_late(repository, [row for _, row in live if row["event_id"] in inserted_ids])
    clicks: dict[int, int] = defaultdict(int)
    last: dict[int, datetime] = {}
    uses: dict[int, int] = defaultdict(int)
    stored = []
    for event, row in live:
        if event.use:  # even a duplicate: the counter's high-water mark is what matters
            uses[event.link_id] = max(uses[event.link_id], event.use)
        if row["event_id"] not in inserted_ids:
            continue
        stored.append(row)
        uses.setdefault(event.link_id, 0)
        if row["is_counted"] and not row["is_bot"]:
            clicks[event.link_id] += 1
            seen = last.get(event.link_id)
            if seen is None or row["clicked_at"] > seen:
                last[event.link_id] = row["clicked_at"]
    await repository.add_to_links(
        [
            LinkTally(link_id, clicks.get(link_id, 0), last.get(link_id), highest_use)
            for link_id, highest_use in uses.items()
        ]
    )
    return stored


async def _add_destination_campaigns(
    repository: ClickRepository, rows: Sequence[dict[str, Any]]
) -> None:
    """A `utm_*` value the request did not carry is taken from the link's destination URL,
    when set there (a link made for one campaign)."""
    wanting = [row for row in rows if None in (row.get(field) for field in UTM_FIELDS)]
    if not wanting:
        return
    destinations = await repository.destinations({row["link_id"] for row in wanting})
    campaigns = {link_id: campaign(urlsplit(url).query) for link_id, url in destinations.items()}
    for row in wanting:
        for field, value in campaigns.get(row["link_id"], {}).items():
            if row.get(field) is None:
                row[field] = value


async def _roll_up_late(repository: ClickRepository, rows: Sequence[dict[str, Any]]) -> None:
    """Clicks stored for a day already rolled up go into its rollups at once (the reports
    read that day there only)."""
    if not rows:
        return
    links = list({row["link_id"] for row in rows})
    watermarks = await repository.rollups.watermarks(links)
    late = [
        row
        for row in rows
        if (day := watermarks.get(row["link_id"])) is not None and row["clicked_at"].date() < day
    ]
    for start in range(0, len(late), 5000):  # a backlog replayed: bound the IN lists
        chunk = [row["event_id"] for row in late[start : start + 5000]]
        await repository.rollups.add([Click.event_id.in_(chunk)])
    if late:
        first_days = min_days((row["link_id"], row["clicked_at"].date()) for row in late)
        await repository.rollups.run_totals_from(first_days)
        await PeriodTotalsRepository(repository.session).sum_days(list(first_days), utcnow().date())
    marks = await repository.hourly.watermarks(links)
    late_hours = [
        row["event_id"]
        for row in rows
        if (mark := marks.get(row["link_id"])) is not None
        and epoch_seconds(row["clicked_at"]) < mark
    ]
    if late_hours:
        await repository.hourly.add_late(late_hours)
        late_ids = set(late_hours)
        await PeriodTotalsRepository(repository.session).sum_today(
            sorted({row["link_id"] for row in rows if row["event_id"] in late_ids}),
            utcnow().date(),
        )


async def add_counted_clicks(session: AsyncSession, counted: Sequence[CountedClicks]) -> None:
    """Add clicks counted elsewhere (an importer's history, no raw rows) to the rollups and
    to the period totals of their links."""
    repository = RollupRepository(session)
    await repository.add_counted(counted)
    await PeriodTotalsRepository(session).sum_days(
        sorted({item.link_id for item in counted}), utcnow().date()
    )


async def roll_up_finished_days(session: AsyncSession, *, links: int) -> int:
    """The roll-up job, one step: add the finished UTC days of up to `links` links clicked
    since their last roll-up to the rollups (analytics/rollups.py); how many links it took
    (0: none left). Call it again, one transaction each, until it returns 0.

    The links are locked against the worker storing clicks and their watermark re-read, so
    two jobs at once, or a crash before the commit, never count a click twice."""
    today = utcnow().date()
    repository = ClickRepository(session)
    candidates = await repository.rollups.links_to_roll_up(today, links)
    if candidates:
        await repository.lock_links(candidates)
        watermarks = await repository.rollups.watermarks(candidates)
        due = [link_id for link_id, day in watermarks.items() if day is None or day < today]
        if due:
            await repository.rollups.roll_up(due, today)
            await PeriodTotalsRepository(session).sum_days(due, today)
    return len(candidates)


async def roll_up_finished_hours(session: AsyncSession, *, links: int) -> int:
    """The hourly roll-up job, one step: add the clicks of up to `links` links clicked since
    their last hourly roll-up, up to the last `SLICE` boundary (the hour in progress too), to
    the hourly rollups (analytics/hourly.py); how many links it took (0: none left). Locks
    the links as `roll_up_finished_days` does."""
    now = utcnow()
    end = slice_end(now)
    repository = ClickRepository(session)
    candidates = await repository.hourly.links_to_roll_up(end, links)
    if candidates:
        await repository.lock_links(candidates)
        watermarks = await repository.hourly.watermarks(candidates)
        due = [link_id for link_id, mark in watermarks.items() if mark is None or mark < end]
        if due:
            await repository.hourly.roll_up(due, end, now.date())
            await PeriodTotalsRepository(session).sum_today(due, now.date())
    return len(candidates)


async def delete_rolled_up_clicks(
    session: AsyncSession, keep_from: date, *, links: int
) -> tuple[int, int]:
    """Retention, one step: delete the raw clicks before `keep_from` of up to `links` links,
    only those already rolled up; (links taken, clicks deleted), (0, 0) when none is left."""
    repository = ClickRepository(session)
    candidates = await repository.rollups.links_to_purge(keep_from, links)
    if not candidates:
        return 0, 0
    await repository.lock_links(candidates)
    return len(candidates), await repository.rollups.purge(candidates, keep_from)


async def root_analytics(session: AsyncSession, link: Link) -> RootAnalytics:
    """Seed 001: `{total_clicks, clicks_by_country, clicks_by_device, last_click}`."""
    repository = ClickRepository(session)
    spec = ClickFilter(link_ids=[link.id])
    counts = await repository.breakdown(spec, ["country", "device"])
    countries = counts.counts("country", spec.include_bots)
    devices = counts.counts("device", spec.include_bots)
    return RootAnalytics(
        total_clicks=link.click_count,
        clicks_by_country={code or UNKNOWN: clicks for code, clicks in countries},
        clicks_by_device={device or UNKNOWN: clicks for device, clicks in devices},
        last_click=link.last_clicked_at,
    )


async def link_analytics(
    session: AsyncSession, link: Link, period: Period, include_bots: bool = False
) -> LinkAnalytics:
    """Seed 003 `GET /urls/{code}/analytics`."""
    now = utcnow()
    since = period.start(now, None)
    spec = ClickFilter(link_ids=[link.id], since=since, include_bots=include_bots)
    repository = ClickRepository(session)
    total, unique = await repository.totals(spec)
    counts = await repository.breakdown(spec, DIMENSIONS)
    bot_clicks, preview_clicks, bot_data = _robots(counts)
    return LinkAnalytics(
        short_code=link.code,
        total_clicks=total,
        unique_clicks=unique,
        period=period.name,
        granularity=period.granularity,
        time_series=await _series(repository, spec, period, since or as_utc(link.created_at), now),
        geographic_data=[
            CountryShare(
                country=country_name(code) or "Unknown",
                country_code=code,
                clicks=clicks,
                percentage=_percent(clicks, total),
            )
            for code, clicks in counts.counts("country", include_bots)
        ],
        referrer_data=_shares(
            counts, "referrer_host", include_bots, total, ReferrerShare, "referrer"
        ),
        device_data=_shares(counts, "device", include_bots, total, DeviceShare, "device_type"),
        browser_data=_shares(counts, "browser", include_bots, total, BrowserShare, "browser"),
        os_data=_shares(counts, "os", include_bots, total, OsShare, "os"),
        utm_data=CampaignData(
            **{
                field.removeprefix("utm_"): _campaign_shares(counts, field, include_bots, total)
                for field in UTM_FIELDS
            }
        ),
        bot_clicks=bot_clicks,
        preview_clicks=preview_clicks,
        bot_data=bot_data,
        destination_data=destination_shares(counts, link, include_bots, total),
    )


async def summary(
    session: AsyncSession,
    owner_id: int | None,
    period: Period,
    include_bots: bool = False,
    *,
    with_orphans: bool = False,
) -> Summary:
    """Seed 003 `GET /analytics/summary`: the links of `owner_id` (None: anonymous links).
    `with_orphans` (admins): also the requests in the period that matched no link."""
    now = utcnow()
    since = period.start(now, None)
    repository = ClickRepository(session)
    spec = ClickFilter(owner_id=owner_id, since=since, include_bots=include_bots)
    ranking = await repository.ranking(spec, 10)
    total, unique = ranking.clicks, ranking.unique_visitors
    links, active = await repository.link_summary(owner_id)
    if period.in_days and period.span is not None:
        days: float | None = period.span.days  # today counts as one of them
    else:
        days = max((now - since).total_seconds() / 86400, 1 / 24) if since else None
    if days is None:
        first = await repository.series(False, spec)
        start = min((bucket for bucket, _, _ in first), default=now.replace(tzinfo=None))
        days = max((now.replace(tzinfo=None) - start).total_seconds() / 86400, 1.0)

    # Growth: the last 7 and 30 whole UTC days (today, unfinished, left out) against the as
    # many days before: the same length on both sides, from the clicks of the last 7, 14, 30
    # and 60 days (period totals hold them).
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    windows = (7, 14, 30, 60)
    last = dict(
        zip(
            windows,
            await repository.clicks_of(
                [
                    ClickFilter(
                        owner_id=owner_id,
                        since=midnight - timedelta(days=days),
                        until=midnight,
                        include_bots=include_bots,
                    )
                    for days in windows
                ]
            ),
            strict=True,
        )
    )

    robots = await repository.breakdown(spec, ["bot"], robots_only=True)
    bot_clicks, preview_clicks, bot_data = _robots(robots)
    return Summary(
        total_urls=links,
        total_clicks=total,
        unique_clicks=unique,
        active_urls=active,
        top_performing_urls=[
            TopLink(short_code=code, clicks=clicks, click_rate=_percent(clicks, total))
            # Anonymous links belong to nobody in particular: their codes are not listed to
            # an anonymous caller (they would reveal everyone's links), only totals.
            for code, clicks in (ranking.top if owner_id else [])
        ],
        click_trends=ClickTrends(
            daily_average=round(total / days, 2),
            weekly_growth=_growth(last[7], last[14] - last[7]),
            monthly_growth=_growth(last[30], last[60] - last[30]),
        ),
        bot_clicks=bot_clicks,
        preview_clicks=preview_clicks,
        bot_data=bot_data,
        orphan_visits=(
            await OrphanRepository(session).count(OrphanFilter(since=since))
            if with_orphans
            else None
        ),
    )


def _growth(current: int, previous: int) -> float | None:
    """`current` clicks against `previous`, in percent; None when both are 0."""
    if previous == 0:
        return None if current == 0 else 100.0
    return round((current - previous) / previous * 100, 2)


async def orphan_visits(
    session: AsyncSession, spec: OrphanFilter, *, limit: int, offset: int
) -> OrphanVisitList:
    """A page of orphan visits, newest first, with how many match and how many the cap left out."""
    repository = OrphanRepository(session)
    visits = await repository.page(spec, limit=limit, offset=offset)
    total = await repository.count(spec)
    return OrphanVisitList(
        visits=[
            OrphanVisitOut(
                visited_at=visit.visited_at,
                type=visit.type,
                method=visit.method,
                path=visit.path,
                query=visit.query,
                referrer=visit.referrer,
                user_agent=visit.user_agent,
                ip_address=visit.ip,
                country=visit.country,
                kind=visit.kind,
                bot_name=visit.bot_name,
            )
            for visit in visits
        ],
        total=total,
        left_out=await repository.left_out(spec),
        limit=limit,
        offset=offset,
        has_more=offset + len(visits) < total,
    )


async def owner_time_series(
    session: AsyncSession, owner_id: int | None, period: Period, include_bots: bool = False
) -> list[SeriesPoint]:
    """Clicks and unique visitors per bucket over every link of `owner_id` (None: anonymous
    links), zero-filled, newest first: the trend chart of a user's dashboard."""
    now = utcnow()
    since = period.start(now, None)
    spec = ClickFilter(owner_id=owner_id, since=since, include_bots=include_bots)
    return await _series(ClickRepository(session), spec, period, since, now)


async def link_stats(
    session: AsyncSession, link: Link, *, limit: int, offset: int, include_bots: bool = False
) -> LinkStats:
    """Seed 004 `GET /urls/{code}/stats`: counts and the visits themselves, newest first."""
    repository = ClickRepository(session)
    spec = ClickFilter(link_ids=[link.id], include_bots=include_bots)
    total, unique = await repository.totals(spec)
    visits = await repository.visits(spec, limit=limit, offset=offset)
    # the visits still listed: every click but those whose raw rows retention deleted
    matching = max(total - await repository.deleted_by_retention(spec), offset + len(visits))
    return LinkStats(
        alias=link.code,
        visit_count=total,
        unique_visitors=unique,
        visits=[
            Visit(
                timestamp=click.clicked_at,
                ip_address=click.ip,
                referrer=click.referrer,
                country=click.country,
                device=click.device,
                browser=click.browser,
                os=click.os,
            )
            for click in visits
        ],
        total=matching,
        limit=limit,
        offset=offset,
        has_more=offset + len(visits) < matching,
    )


async def _series(
    repository: ClickRepository,
    spec: ClickFilter,
    period: Period,
    since: datetime | None,
    now: datetime,
) -> list[SeriesPoint]:
    rows = await repository.series(period.granularity == "hour", spec)
    totals: dict[datetime, list[int]] = {}
    for start, clicks, unique in rows:
        bucket = bucket_of(start, period.granularity)
        point = totals.setdefault(bucket, [0, 0])
        point[0] += clicks
        point[1] += unique  # daily-salted hashes: uniques of different days add up
    # `all` starts at the link's creation, or at its first click if that is older (imports)
    first = min([since.replace(tzinfo=None), *totals]) if since else now.replace(tzinfo=None)
    points = []
    for bucket in bucket_starts(first, now.replace(tzinfo=None), period.granularity):
        clicks, unique = totals.get(bucket, (0, 0))
        points.append(SeriesPoint.at(bucket, period.granularity, clicks, unique))
    points.reverse()  # newest first, as seed 003 shows
    return points


def destination_shares(
    breakdown: Breakdown, link: Link, include_bots: bool, total: int
) -> list[DestinationShare]:
    """Clicks per destination, most first; clicks that recorded none went to the long_url."""
    counts: dict[str, int] = {}
    for value, clicks in breakdown.counts("destination", include_bots):
        url = value or link.long_url
        counts[url] = counts.get(url, 0) + clicks
    return [
        DestinationShare(
            destination=url,
            is_default=url == link.long_url,
            clicks=clicks,
            percentage=_percent(clicks, total),
        )
        for url, clicks in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _shares(
    breakdown: Breakdown,
    dimension: str,
    include_bots: bool,
    total: int,
    share: type[Share],
    key: str,
) -> list[Share]:
    """`[share(key=value, clicks, percentage)]`, most clicked first."""
    return [
        share.model_validate(
            {key: value or UNKNOWN, "clicks": clicks, "percentage": _percent(clicks, total)}
        )
        for value, clicks in breakdown.counts(dimension, include_bots)
    ]


def _robots(breakdown: Breakdown) -> tuple[int, int, list[BotShare]]:
    """(bot clicks, preview clicks, clicks per robot) of a breakdown with `bot`, whether the
    report counts robots or not."""
    counts = breakdown.counts("bot", include_bots=True)
    robots = []
    for value, clicks in counts:
        kind, _, name = (value or "").partition(":")
        if kind in (BOT, PREVIEW):
            robots.append(BotShare(name=name or UNKNOWN, kind=kind, clicks=clicks))
    bots = sum(robot.clicks for robot in robots if robot.kind == BOT)
    previews = sum(robot.clicks for robot in robots if robot.kind == PREVIEW)
    return bots, previews, robots


def _campaign_shares(
    breakdown: Breakdown, field: str, include_bots: bool, total: int
) -> list[CampaignShare]:
    """Clicks per value of one `utm_*` field, most first; clicks without it left out."""
    return [
        CampaignShare(value=value, clicks=clicks, percentage=_percent(clicks, total))
        for value, clicks in breakdown.counts(field, include_bots)
        if value
    ]


def _percent(part: int, whole: int) -> float:
    return round(part / whole * 100, 2) if whole else 0.0
