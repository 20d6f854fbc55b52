"""The `analytics` resource: reports over all of your short URLs together."""

from __future__ import annotations

from shorturl.client._binding import AsyncResource, SyncResource, async_call, sync_call
from shorturl.client._http import Call
from shorturl.client.models import AnalyticsSummary
from shorturl.client.urls import Period

__all__ = ["Analytics", "AsyncAnalytics"]


def summary(*, period: Period = "30d", include_bots: bool = False) -> Call[AnalyticsSummary]:
    """Totals, top links and click trends of your links over `period`
    (`GET /analytics/summary`). One link's report is `client.urls.analytics(code)`."""
    params = {"period": period, "include_bots": "true" if include_bots else None}
    return Call("GET", "/analytics/summary", AnalyticsSummary.from_data, params=params)


class Analytics(SyncResource):
    """`client.analytics`: reports over all your short URLs."""

    summary = sync_call(summary)


class AsyncAnalytics(AsyncResource):
    """`client.analytics` of the AsyncClient: reports over all your short URLs."""

    summary = async_call(summary)
