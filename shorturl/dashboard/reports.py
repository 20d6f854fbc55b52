"""What the analytics pages show, built from the analytics service's reports: a chart, the
top lists with their bars, and the latest clicks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.analytics import service as analytics
from shorturl.analytics.periods import Period
from shorturl.analytics.schemas import BotShare, SeriesPoint, Visit
from shorturl.dashboard.charts import ChartPoint, clicks_chart
from shorturl.links.models import Link
from shorturl.timestamps import as_utc, utcnow

__all__ = ["PERIOD_CHOICES", "LinkReport", "Overview", "Share", "link_report", "owner_overview"]

PERIOD_CHOICES: Final = (
    ("24h", "24 hours"),
    ("7d", "7 days"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("1y", "1 year"),
    ("all", "All time"),
)
DEFAULT_PERIOD: Final = "30d"
TOP: Final = 8
RECENT_CLICKS: Final = 20


@dataclass(frozen=True, slots=True)
class Share:
    """One row of a top list: its label, clicks, percent of the period, bar length (0–1)."""

    label: str
    count: int
    share: float | None
    fraction: float


def top_list(rows: Iterable[tuple[str, int, float | None]], limit: int = TOP) -> list[Share]:
    ranked = sorted(rows, key=lambda row: row[1], reverse=True)[:limit]
    most = max((count for _, count, _ in ranked), default=0)
    return [
        Share(label, count, share, round(count / most, 4) if most else 0.0)
        for label, count, share in ranked
    ]


def _granularity(name: str, link_created: datetime | None) -> str:
    if name == "24h":
        return "hour"
    if name == "1y":
        return "week"
    if name == "all" and link_created is not None:
        return "day" if utcnow() - as_utc(link_created) <= timedelta(days=120) else "week"
    return "day"


def _label(point: SeriesPoint, granularity: str) -> str:
    if granularity == "hour":
        return point.date[11:16]  # 2024-01-15T10:00:00Z -> 10:00
    day = date.fromisoformat(point.date[:10])
    return day.strftime("%b %-d") if granularity in ("day", "week") else day.strftime("%b %Y")


def chart_points(series: Sequence[SeriesPoint], granularity: str) -> list[ChartPoint]:
    """Oldest first (the service lists newest first, as seed 003 does)."""
    ordered = sorted(series, key=lambda point: point.date)
    return [
        ChartPoint(_label(point, granularity), point.clicks, point.unique_clicks)
        for point in ordered
    ]


@dataclass(frozen=True, slots=True)
class LinkReport:
    period: str
    period_label: str
    granularity: str
    total: int
    unique: int
    chart: str  # an SVG data: URL
    series: list[ChartPoint]
    countries: list[Share]
    devices: list[Share]
    browsers: list[Share]
    systems: list[Share]
    referrers: list[Share]
    destinations: list[Share]  # where a smart link sent its clicks
    visits: list[Visit]
    visits_total: int
    bot_clicks: int
    preview_clicks: int
    robots: list[Share]  # `Googlebot (bot)`, `Twitterbot (preview)`
    campaigns: list[tuple[str, list[Share]]]  # (`Source`, its values), each utm_ field


def period_named(name: str | None) -> str:
    return name if name in dict(PERIOD_CHOICES) else DEFAULT_PERIOD


async def link_report(session: AsyncSession, link: Link, period_name: str | None) -> LinkReport:
    """The analytics of one link over one of PERIOD_CHOICES (an unknown name: 30 days)."""
    name = period_named(period_name)
    granularity = _granularity(name, link.created_at)
    report = await analytics.link_analytics(session, link, Period.parse(name, granularity))
    stats = await analytics.link_stats(session, link, limit=RECENT_CLICKS, offset=0)
    points = chart_points(report.time_series, granularity)
    return LinkReport(
        period=name,
        period_label=dict(PERIOD_CHOICES)[name],
        granularity=granularity,
        total=report.total_clicks,
        unique=report.unique_clicks,
        chart=clicks_chart(points),
        series=points,
        countries=top_list(
            (row.country, row.clicks, row.percentage) for row in report.geographic_data
        ),
        devices=top_list(
            (row.device_type.capitalize(), row.clicks, row.percentage) for row in report.device_data
        ),
        browsers=top_list((row.browser, row.clicks, row.percentage) for row in report.browser_data),
        systems=top_list((row.os, row.clicks, row.percentage) for row in report.os_data),
        referrers=top_list(
            (row.referrer, row.clicks, row.percentage) for row in report.referrer_data
        ),
        destinations=top_list(
            (row.destination, row.clicks, row.percentage) for row in report.destination_data
        ),
        visits=stats.visits,
        visits_total=stats.visit_count,
        bot_clicks=report.bot_clicks,
        preview_clicks=report.preview_clicks,
        robots=robot_list(report.bot_data),
        campaigns=[
            (title, top_list((row.value, row.clicks, row.percentage) for row in rows))
            for title, rows in (
                ("Source", report.utm_data.source),
                ("Medium", report.utm_data.medium),
                ("Campaign", report.utm_data.campaign),
            )
        ],
    )


def robot_list(robots: Iterable[BotShare]) -> list[Share]:
    """Robots and link previews by name, most requests first (no percentage: they are not
    part of the clicks)."""
    return top_list((f"{row.name} ({row.kind})", row.clicks, None) for row in robots)


@dataclass(frozen=True, slots=True)
class Overview:
    clicks: int
    unique_visitors: int
    chart: str
    series: list[ChartPoint]
    top_links: list[Share]
    bot_clicks: int
    preview_clicks: int
    robots: list[Share]


async def owner_overview(session: AsyncSession, owner_id: int) -> Overview:
    """The last 30 days of all of a user's links: totals, clicks per day, the top links."""
    period = Period.parse("30d", "day")
    summary = await analytics.summary(session, owner_id, period)
    series = await analytics.owner_time_series(session, owner_id, period)
    points = chart_points(series, "day")
    return Overview(
        clicks=summary.total_clicks,
        unique_visitors=summary.unique_clicks,
        chart=clicks_chart(points, width=720, height=300),
        series=points,
        top_links=top_list(
            (row.short_code, row.clicks, row.click_rate) for row in summary.top_performing_urls
        ),
        bot_clicks=summary.bot_clicks,
        preview_clicks=summary.preview_clicks,
        robots=robot_list(summary.bot_data),
    )
