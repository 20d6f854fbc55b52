"""Bodies of the analytics reports: seed 001 (root), seed 003 (v1 analytics, summary), seed 004
(stats)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from shorturl.timestamps import UtcDateTime, iso_z

__all__ = [
    "BotShare",
    "BrowserShare",
    "CampaignData",
    "CampaignShare",
    "ClickRecorded",
    "ClickTrends",
    "CountryShare",
    "DeviceShare",
    "LinkAnalytics",
    "LinkStats",
    "OrphanVisitList",
    "OrphanVisitOut",
    "OsShare",
    "ReferrerShare",
    "RootAnalytics",
    "SeriesPoint",
    "Summary",
    "TopLink",
    "Visit",
]


class RootAnalytics(BaseModel):
    total_clicks: int
    clicks_by_country: dict[str, int]
    clicks_by_device: dict[str, int]
    last_click: UtcDateTime | None


class ClickRecorded(BaseModel):
    status: str = "success"


class SeriesPoint(BaseModel):
    date: str  # the bucket's start: `2024-01-15`, or `2024-01-15T10:00:00Z` for hours
    clicks: int
    unique_clicks: int

    @classmethod
    def at(cls, start: datetime, granularity: str, clicks: int, unique: int) -> SeriesPoint:
        label = iso_z(start) if granularity == "hour" else start.date().isoformat()
        return cls(date=label, clicks=clicks, unique_clicks=unique)


class CountryShare(BaseModel):
    country: str
    country_code: str | None
    clicks: int
    percentage: float


class ReferrerShare(BaseModel):
    referrer: str  # host without `www.`, or `direct`
    clicks: int
    percentage: float


class DeviceShare(BaseModel):
    device_type: str  # mobile, tablet, desktop, other
    clicks: int
    percentage: float


class BrowserShare(BaseModel):
    browser: str
    clicks: int
    percentage: float


class OsShare(BaseModel):
    os: str
    clicks: int
    percentage: float


class BotShare(BaseModel):
    name: str  # as crawlerdetect or ua-parser names it: `Googlebot`, `Slackbot-LinkExpanding`
    kind: str  # bot (crawlers, monitors, scripts) or preview (link-preview fetchers)
    clicks: int


class CampaignShare(BaseModel):
    value: str
    clicks: int
    percentage: float


class DestinationShare(BaseModel):
    """Clicks per place a smart link sent them (rules, A/B variants); a plain link has one."""

    destination: str  # the URL (past 255 characters: its start and a hash)
    is_default: bool  # the link's own long_url
    clicks: int
    percentage: float


class CampaignData(BaseModel):
    """Clicks per `utm_*` value, of the request or of the link's destination URL."""

    source: list[CampaignShare]
    medium: list[CampaignShare]
    campaign: list[CampaignShare]


class LinkAnalytics(BaseModel):
    short_code: str
    total_clicks: int
    unique_clicks: int
    period: str
    granularity: str
    time_series: list[SeriesPoint]
    geographic_data: list[CountryShare]
    referrer_data: list[ReferrerShare]
    device_data: list[DeviceShare]
    browser_data: list[BrowserShare]
    os_data: list[OsShare]
    utm_data: CampaignData
    bot_clicks: int  # robots' requests in the period, never in the totals unless include_bots
    preview_clicks: int  # link-preview fetchers' requests
    bot_data: list[BotShare]
    destination_data: list[DestinationShare]


class TopLink(BaseModel):
    short_code: str
    clicks: int
    click_rate: float  # percent of the period's clicks


class ClickTrends(BaseModel):
    daily_average: float
    # percent, the last 7 whole UTC days (today left out) against the 7 before; None: no data
    weekly_growth: float | None
    monthly_growth: float | None  # percent, the same for 30 whole days


class Summary(BaseModel):
    total_urls: int
    total_clicks: int
    unique_clicks: int
    active_urls: int
    top_performing_urls: list[TopLink]
    click_trends: ClickTrends
    bot_clicks: int
    preview_clicks: int
    bot_data: list[BotShare]
    orphan_visits: int | None = None  # admins: requests that matched no link in the period


class Visit(BaseModel):
    timestamp: UtcDateTime
    ip_address: str | None  # as IP_STORAGE keeps it
    referrer: str | None
    country: str | None
    device: str
    browser: str | None
    os: str | None


class OrphanVisitOut(BaseModel):
    """A request on the short domain that matched no link."""

    visited_at: UtcDateTime
    type: str  # invalid_short_url, base_url or regular_404
    method: str
    path: str
    query: str | None  # kept only when it carries utm_ values
    referrer: str | None
    user_agent: str | None
    ip_address: str | None  # as IP_STORAGE keeps it
    country: str | None
    kind: str  # human, bot or preview
    bot_name: str | None


class OrphanVisitList(BaseModel):
    visits: list[OrphanVisitOut]
    total: int  # stored visits matching the filter
    left_out: int  # visits over the per-minute cap in the range, counted but not kept
    limit: int
    offset: int
    has_more: bool


class LinkStats(BaseModel):
    alias: str
    visit_count: int
    unique_visitors: int
    visits: list[Visit]
    total: int
    limit: int
    offset: int
    has_more: bool
