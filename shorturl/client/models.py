"""Typed results of the SDK, one class per object of the seed-003 API.

Each is a frozen dataclass (`shorturl.client.objects.ApiObject`): `result.short_url`,
`result.created_at` (an aware datetime), `result.to_dict()` for the JSON as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shorturl.client.objects import ApiObject

__all__ = [
    "AccountDeleted",
    "AnalyticsSummary",
    "ApiKey",
    "ApiKeyCreated",
    "ApiKeyRevoked",
    "BulkCreated",
    "BulkFailed",
    "BulkResult",
    "BrowserClicks",
    "BulkSummary",
    "ClickTrends",
    "CountryClicks",
    "DeletedLink",
    "DestinationClicks",
    "DeviceClicks",
    "Domain",
    "DomainDeleted",
    "Health",
    "Link",
    "LinkAnalytics",
    "LinkInfo",
    "LinkOwner",
    "LinkPage",
    "LinkStats",
    "OsClicks",
    "Pagination",
    "Profile",
    "QrCodeLinks",
    "ReferrerClicks",
    "TimePoint",
    "Token",
    "TopUrl",
    "UsageStats",
    "Visit",
    "Webhook",
    "WebhookCreated",
    "WebhookDeleted",
    "WebhookDelivery",
    "WebhookDeliveryPage",
]


# links


@dataclass(frozen=True, kw_only=True)
class LinkOwner(ApiObject):
    user_id: str
    username: str | None


@dataclass(frozen=True, kw_only=True)
class Link(ApiObject):
    """A short URL (`GET /urls/{code}`)."""

    short_url: str
    short_code: str
    long_url: str
    custom_alias: str | None
    qr_code_url: str | None
    created_at: datetime
    updated_at: datetime | None
    expiration_date: datetime | None
    max_clicks: int | None
    description: str | None
    tags: list[str]
    click_count: int
    last_clicked_at: datetime | None
    status: str
    owner: LinkOwner | None
    # smart links (None from a server that predates them)
    password_protected: bool | None = None
    rules: list[dict[str, Any]] | None = None
    variants: list[dict[str, Any]] | None = None
    expired_redirect: str | None = None
    domain: str | None = None  # the link's short domain; None: the server's default one


@dataclass(frozen=True, kw_only=True)
class Pagination(ApiObject):
    total: int
    limit: int
    offset: int
    page: int | None
    has_more: bool


@dataclass(frozen=True, kw_only=True)
class LinkPage(ApiObject):
    """One page of `GET /urls`; `client.urls.list()` walks all of them for you."""

    urls: list[Link]
    pagination: Pagination

    @property
    def items(self) -> list[Link]:
        return self.urls


@dataclass(frozen=True, kw_only=True)
class DeletedLink(ApiObject):
    message: str
    short_code: str
    deleted_at: datetime


@dataclass(frozen=True, kw_only=True)
class LinkInfo(ApiObject):
    """Where a short URL goes, without going there (`GET /{code}/info`)."""

    short_code: str
    short_url: str | None
    long_url: str | None  # None for a disabled or unsafe link
    status: str | None
    title: str | None
    description: str | None
    image: str | None
    safe_browsing: dict[str, Any] | None


@dataclass(frozen=True, kw_only=True)
class QrCodeLinks(ApiObject):
    qr_code_url: str
    download_urls: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class BulkCreated(ApiObject):
    """One created item of a bulk create or CSV import."""

    index: int  # position in the request
    row: int | None  # CSV import: the data row (1 = first row after the header)
    short_url: str
    short_code: str
    long_url: str
    custom_alias: str | None
    description: str | None
    tags: list[str]
    expiration_date: datetime | None
    created_at: datetime | None
    status: str  # "created"


@dataclass(frozen=True, kw_only=True)
class BulkFailed(ApiObject):
    """One failed item: `code` is the seed-003 error code, `error` the message."""

    index: int
    row: int | None
    long_url: str | None
    custom_alias: str | None
    error: str
    code: str
    details: Any
    status: str  # "failed"


@dataclass(frozen=True, kw_only=True)
class BulkSummary(ApiObject):
    total: int
    created: int
    failed: int


@dataclass(frozen=True, kw_only=True)
class BulkResult(ApiObject):
    """What `client.urls.bulk()` (and `import_csv()`) report: per item, never raised."""

    created: list[BulkCreated]
    failed: list[BulkFailed]
    summary: BulkSummary


# analytics


@dataclass(frozen=True, kw_only=True)
class TimePoint(ApiObject):
    date: str
    clicks: int
    unique_clicks: int | None


@dataclass(frozen=True, kw_only=True)
class CountryClicks(ApiObject):
    country: str | None
    country_code: str | None
    clicks: int
    percentage: float | None


@dataclass(frozen=True, kw_only=True)
class ReferrerClicks(ApiObject):
    referrer: str
    clicks: int
    percentage: float | None


@dataclass(frozen=True, kw_only=True)
class DeviceClicks(ApiObject):
    device_type: str
    clicks: int
    percentage: float | None


@dataclass(frozen=True, kw_only=True)
class BrowserClicks(ApiObject):
    browser: str
    clicks: int
    percentage: float | None


@dataclass(frozen=True, kw_only=True)
class OsClicks(ApiObject):
    os: str
    clicks: int
    percentage: float | None


@dataclass(frozen=True, kw_only=True)
class DestinationClicks(ApiObject):
    """Clicks a smart link sent to one destination (its rules' and variants' URLs)."""

    destination: str
    is_default: bool
    clicks: int
    percentage: float | None


@dataclass(frozen=True, kw_only=True)
class LinkAnalytics(ApiObject):
    """Clicks of one short URL over a period (`GET /urls/{code}/analytics`)."""

    short_code: str
    total_clicks: int
    unique_clicks: int | None
    period: str
    granularity: str
    time_series: list[TimePoint]
    geographic_data: list[CountryClicks]
    referrer_data: list[ReferrerClicks]
    device_data: list[DeviceClicks]
    browser_data: list[BrowserClicks]
    os_data: list[OsClicks]
    destination_data: list[DestinationClicks] | None = None


@dataclass(frozen=True, kw_only=True)
class Visit(ApiObject):
    timestamp: datetime
    ip_address: str | None
    referrer: str | None
    country: str | None
    device: str | None
    browser: str | None
    os: str | None


@dataclass(frozen=True, kw_only=True)
class LinkStats(ApiObject):
    """Seed 004's visit log of one short URL, one page of it (`GET /urls/{code}/stats`);
    `client.urls.visits(code)` walks every page."""

    alias: str
    visit_count: int
    unique_visitors: int | None
    visits: list[Visit]
    total: int | None
    limit: int | None
    offset: int | None
    has_more: bool | None

    @property
    def items(self) -> list[Visit]:
        return self.visits

    @property
    def pagination(self) -> Pagination:
        return Pagination(
            total=self.total or 0,
            limit=self.limit or len(self.visits),
            offset=self.offset or 0,
            page=None,
            has_more=bool(self.has_more),
        )


@dataclass(frozen=True, kw_only=True)
class TopUrl(ApiObject):
    short_code: str
    clicks: int
    click_rate: float | None


@dataclass(frozen=True, kw_only=True)
class ClickTrends(ApiObject):
    daily_average: float | None
    weekly_growth: float | None
    monthly_growth: float | None


@dataclass(frozen=True, kw_only=True)
class AnalyticsSummary(ApiObject):
    """The caller's links together (`GET /analytics/summary`)."""

    total_urls: int
    total_clicks: int
    unique_clicks: int | None
    active_urls: int | None
    top_performing_urls: list[TopUrl]
    click_trends: ClickTrends | None


# accounts


@dataclass(frozen=True, kw_only=True)
class Token(ApiObject):
    access_token: str
    token_type: str
    expires_in: int
    expires_at: datetime
    user_id: str


@dataclass(frozen=True, kw_only=True)
class UsageStats(ApiObject):
    urls_created: int
    total_clicks: int
    monthly_quota: int | None
    monthly_usage: int


@dataclass(frozen=True, kw_only=True)
class Profile(ApiObject):
    user_id: str
    username: str
    email: str
    display_name: str | None
    created_at: datetime
    role: str | None
    plan: str
    usage_stats: UsageStats | None


@dataclass(frozen=True, kw_only=True)
class AccountDeleted(ApiObject):
    message: str
    user_id: str


@dataclass(frozen=True, kw_only=True)
class ApiKey(ApiObject):
    key_id: str
    name: str
    key_prefix: str
    created_at: datetime
    last_used: datetime | None
    permissions: list[str]
    rate_limit: int | None
    # What the key really gets, min(rate_limit, the plan's); None from servers before it.
    effective_rate_limit: int | None = None


@dataclass(frozen=True, kw_only=True)
class ApiKeyCreated(ApiKey):
    """A new key; `key` (`sk_live_…`) is shown this once."""

    key: str


@dataclass(frozen=True, kw_only=True)
class ApiKeyRevoked(ApiObject):
    message: str
    key_id: str
    revoked_at: datetime


# domains


@dataclass(frozen=True, kw_only=True)
class Domain(ApiObject):
    """A short domain of the server: links may be made on it (`Link.domain`)."""

    host: str
    is_default: bool  # the server's own (SHORTURL_BASE_URL): cannot be changed or removed
    root_redirect: str | None  # where `GET /` on this host goes; None: the home page
    not_found_redirect: str | None  # where an unknown code on it goes; None: a 404
    links: int  # links on it, deleted ones left out
    created_at: datetime | None  # None for the default domain


@dataclass(frozen=True, kw_only=True)
class DomainDeleted(ApiObject):
    message: str | None
    host: str | None


# webhooks


@dataclass(frozen=True, kw_only=True)
class Webhook(ApiObject):
    webhook_id: str
    url: str
    events: list[str]
    created_at: datetime | None
    is_active: bool | None = None
    consecutive_failures: int | None = None
    disabled_at: datetime | None = None  # when it was turned off (by you, or by failures)


@dataclass(frozen=True, kw_only=True)
class WebhookCreated(Webhook):
    """A new webhook; `secret` (which signs every delivery) is shown this once."""

    secret: str


@dataclass(frozen=True, kw_only=True)
class WebhookDeleted(ApiObject):
    message: str | None
    webhook_id: str | None


@dataclass(frozen=True, kw_only=True)
class WebhookDelivery(ApiObject):
    """One event sent (or being sent) to a webhook: `status` is pending, delivered or failed."""

    delivery_id: str
    webhook_id: str
    event: str
    status: str
    attempts: int
    response_status: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    payload: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class WebhookDeliveryPage(ApiObject):
    """One page of a webhook's delivery log, newest first."""

    deliveries: list[WebhookDelivery]
    pagination: Pagination

    @property
    def items(self) -> list[WebhookDelivery]:
        return self.deliveries


# service


@dataclass(frozen=True, kw_only=True)
class Health(ApiObject):
    status: str
    time: datetime | None
    database: str | None
    cache: str | None
