"""API v1 reports: per-link analytics (seed 003), stats (seed 004), summary (seed 003)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import event

from shorturl.analytics import service as analytics
from shorturl.analytics.periods import Period
from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.timestamps import utcnow
from tests.analytics.conftest import IP, UA, Visit, click, make_link, store_events
from tests.conftest import Account

DAY = 86400.0


async def link_id(runtime: Runtime, code: str) -> int:
    link = await runtime.resolver.resolve(code)
    assert link is not None
    return link.id


async def test_link_analytics_body(client: httpx.AsyncClient, runtime: Runtime) -> None:
    code = await make_link(client)
    lid = await link_id(runtime, code)
    recent = min(60.0, (time.time() % DAY) / 3)  # twice `recent` ago is still today (UTC)
    await store_events(
        runtime,
        [
            click(lid, recent, ua=UA["desktop"], referrer="https://www.google.com/s"),
            click(lid, 2 * recent, ua=UA["desktop"], referrer="https://www.google.com/"),
            click(lid, DAY + 60, ip=IP["AU"], ua=UA["mobile"], referrer="https://twitter.com/x"),
            click(lid, 3 * DAY, ip=IP["RU"], ua=UA["tablet"]),
            click(lid, 20 * DAY, ip=IP["RU"], ua=UA["tablet"]),  # outside 7d
            click(lid, 60, ua=UA["googlebot"]),  # a robot
            click(lid, 60, method="HEAD"),  # not a click
        ],
    )
    response = await client.get(f"/api/v1/urls/{code}/analytics?period=7d&granularity=day")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert (data["short_code"], data["period"], data["granularity"]) == (code, "7d", "day")
    # the same visitor twice today counts once: four clicks, three visitors
    assert (data["total_clicks"], data["unique_clicks"]) == (4, 3)
    series = data["time_series"]
    assert len(series) == 7  # today and the 6 UTC days before, zero-filled
    assert series[0]["date"] == utcnow().date().isoformat()  # newest first
    assert sum(point["clicks"] for point in series) == 4
    assert series[0] == {"date": series[0]["date"], "clicks": 2, "unique_clicks": 1}
    assert [point["clicks"] for point in series].count(0) == 7 - 3
    assert data["geographic_data"] == [
        {"country": "United States", "country_code": "US", "clicks": 2, "percentage": 50.0},
        {"country": "Australia", "country_code": "AU", "clicks": 1, "percentage": 25.0},
        {"country": "Russian Federation", "country_code": "RU", "clicks": 1, "percentage": 25.0},
    ]
    assert data["referrer_data"] == [
        {"referrer": "google.com", "clicks": 2, "percentage": 50.0},
        {"referrer": "direct", "clicks": 1, "percentage": 25.0},
        {"referrer": "twitter.com", "clicks": 1, "percentage": 25.0},
    ]
    assert data["device_data"] == [
        {"device_type": "desktop", "clicks": 2, "percentage": 50.0},
        {"device_type": "mobile", "clicks": 1, "percentage": 25.0},
        {"device_type": "tablet", "clicks": 1, "percentage": 25.0},
    ]
    assert data["browser_data"][0] == {"browser": "Chrome", "clicks": 2, "percentage": 50.0}
    assert {row["os"] for row in data["os_data"]} == {"Windows", "iOS"}

    everything = (await client.get(f"/api/v1/urls/{code}/analytics?period=all")).json()["data"]
    assert everything["total_clicks"] == 5
    with_bots = await client.get(f"/api/v1/urls/{code}/analytics?period=7d&include_bots=true")
    assert with_bots.json()["data"]["total_clicks"] == 5
    hourly = (await client.get(f"/api/v1/urls/{code}/analytics?period=24h")).json()["data"]
    assert hourly["granularity"] == "hour" and hourly["total_clicks"] == 2
    assert len(hourly["time_series"]) in (24, 25)
    assert hourly["time_series"][0]["date"].endswith(":00:00Z")
    weekly = await client.get(f"/api/v1/urls/{code}/analytics?period=90d&granularity=week")
    assert sum(p["clicks"] for p in weekly.json()["data"]["time_series"]) == 5


async def test_bad_parameters_are_400(client: httpx.AsyncClient) -> None:
    code = await make_link(client)
    for query in ("period=2w", "granularity=minute", "period=1y&granularity=hour"):
        response = await client.get(f"/api/v1/urls/{code}/analytics?{query}")
        assert response.status_code == 400, query
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    bad = await client.get(f"/api/v1/urls/{code}/stats?limit=1000")
    assert bad.status_code == 400
    missing = await client.get("/api/v1/urls/nosuchcode/analytics")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "URL_NOT_FOUND"


async def test_stats_list_visits_newest_first(
    client: httpx.AsyncClient, runtime: Runtime, visit: Visit
) -> None:
    code = await make_link(client)
    for country in ("US", "AU", "RU"):
        referrer = {"referer": "https://www.google.com/"} if country == "AU" else {}
        assert (await visit(f"/{code}", ip=IP[country], headers=referrer)).status_code == 301
    await visit(f"/{code}", ip=IP["US"])  # the same visitor again
    await runtime.clicks.drain()
    response = await client.get(f"/api/v1/urls/{code}/stats?limit=2")
    data = response.json()["data"]
    assert (data["alias"], data["visit_count"], data["unique_visitors"]) == (code, 4, 3)
    assert (data["total"], data["limit"], data["offset"], data["has_more"]) == (4, 2, 0, True)
    newest, second = data["visits"]
    assert newest["timestamp"] >= second["timestamp"]
    assert newest["ip_address"] == "8.8.8.0"  # IP_STORAGE=anonymized by default
    assert second["country"] == "RU"
    page2 = (await client.get(f"/api/v1/urls/{code}/stats?limit=2&page=2")).json()["data"]
    assert page2["offset"] == 2 and page2["has_more"] is False
    assert page2["visits"][0]["referrer"] == "https://www.google.com/"


async def test_full_and_no_ip_storage(app_factory) -> None:  # type: ignore[no-untyped-def]
    from tests.analytics.conftest import visit_app

    for mode, shown in (("full", "8.8.8.8"), ("none", None)):
        async with app_factory(ip_storage=mode) as (app, client):
            code = await make_link(client)
            assert (await visit_app(app, f"/{code}")).status_code == 301
            await app.runtime.clicks.drain()
            data = (await client.get(f"/api/v1/urls/{code}/stats")).json()["data"]
            assert data["visits"][0]["ip_address"] == shown
            assert data["unique_visitors"] == 1  # counted without the address


async def test_reports_of_owned_links_are_for_their_owner(
    client: httpx.AsyncClient, user_client: httpx.AsyncClient, make_account
) -> None:  # type: ignore[no-untyped-def]
    code = await make_link(user_client)
    for path in (f"/api/v1/urls/{code}/analytics", f"/api/v1/urls/{code}/stats"):
        assert (await user_client.get(path)).status_code == 200
        assert (await client.get(path)).status_code == 401
        mallory: Account = await make_account(f"mallory{len(path)}")
        forbidden = await client.get(path, headers=mallory.headers)
        assert forbidden.status_code == 403
        admin: Account = await make_account(f"admin{len(path)}", role="admin")
        assert (await client.get(path, headers=admin.headers)).status_code == 200


async def test_summary_counts_only_the_callers_links(
    client: httpx.AsyncClient,
    user_client: httpx.AsyncClient,
    runtime: Runtime,
) -> None:
    mine = [await make_link(user_client) for _ in range(3)]
    theirs = await make_link(client)  # anonymous
    ids = {code: await link_id(runtime, code) for code in [*mine, theirs]}
    await user_client.patch(f"/api/v1/urls/{mine[2]}", json={"status": "disabled"})
    events = [click(ids[mine[0]], 2 * DAY + 3600 * n) for n in range(1, 7)]  # 6, 2 days ago
    events += [click(ids[mine[1]], 8 * DAY + 60 * n, ip=IP["AU"]) for n in range(2)]
    events += [click(ids[mine[1]], 60 * n, ip=IP["RU"], ua=UA["mobile"]) for n in range(2)]
    events += [click(ids[theirs], 60) for _ in range(5)]
    await store_events(runtime, events)

    response = await user_client.get("/api/v1/analytics/summary?period=30d")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["total_urls"], data["active_urls"]) == (3, 2)
    # one visitor per link, address and UTC day (the visitor salt changes daily)
    visitors = {(e.link_id, e.ip, int(e.at // DAY)) for e in events if e.link_id != ids[theirs]}
    assert (data["total_clicks"], data["unique_clicks"]) == (10, len(visitors))
    assert data["top_performing_urls"] == [
        {"short_code": mine[0], "clicks": 6, "click_rate": 60.0},
        {"short_code": mine[1], "clicks": 4, "click_rate": 40.0},
    ]
    trends = data["click_trends"]
    assert trends["daily_average"] == round(10 / 30, 2)
    # whole days, today's 2 clicks left out: 6 the last 7 days against 2 the 7 before
    assert trends["weekly_growth"] == 200.0
    assert trends["monthly_growth"] == 100.0  # nothing the month before

    anonymous = (await client.get("/api/v1/analytics/summary")).json()["data"]
    assert (anonymous["total_urls"], anonymous["total_clicks"]) == (1, 5)
    assert (await client.get("/api/v1/analytics/summary?period=forever")).status_code == 400


async def test_link_details_and_lists_carry_the_counters(
    user_client: httpx.AsyncClient, runtime: Runtime, visit: Visit
) -> None:
    code = await make_link(user_client)
    for _ in range(3):
        await visit(f"/{code}")
    await runtime.clicks.drain()
    details = (await user_client.get(f"/api/v1/urls/{code}")).json()["data"]
    assert details["click_count"] == 3
    assert details["last_clicked_at"] is not None
    listed = (await user_client.get("/api/v1/urls?sort=click_count")).json()["data"]["urls"]
    assert listed[0]["click_count"] == 3
    assert utcnow() - timedelta(minutes=1) < _parse(details["last_clicked_at"])


def _parse(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_a_link_report_reads_each_source_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Its ten breakdowns come from one query a source (raw clicks, daily and hourly
    rollups), not one a dimension: a busy link's raw clicks are scanned once for all."""
    code = await make_link(client)
    lid = await link_id(runtime, code)
    await store_events(runtime, [click(lid, 60), click(lid, 90, ua=UA["googlebot"])])
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    async with runtime.database.sessionmaker() as session:
        link = await session.get(Link, lid)
        assert link is not None
        connection = (await session.connection()).sync_connection  # this session's only
        assert connection is not None
        event.listen(connection, "before_cursor_execute", count)
        body = await analytics.link_analytics(session, link, Period.parse("30d", None))
    assert (body.total_clicks, body.bot_clicks) == (1, 1)
    assert [share.device_type for share in body.device_data] == ["desktop"]
    # watermarks; totals, breakdown and series, each over raw, daily and hourly rows (the
    # rolled-up ones of totals, from period and running totals, in one statement)
    assert len(statements) == 10, statements
    unions = [statement for statement in statements if "UNION ALL" in statement]
    assert len(unions) == 2, unions
    assert sum("link_period_totals" in statement for statement in unions) == 1


def test_a_period_of_days_is_whole_utc_days_ending_today() -> None:
    now = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
    # by day: as many day buckets as the period says, today the last, from a midnight
    assert Period.parse("7d", None).start(now, None) == datetime(2026, 12, 1, tzinfo=UTC)
    assert Period.parse("30d", "day").start(now, None) == datetime(2026, 11, 8, tzinfo=UTC)
    assert Period.parse("90d", "week").start(now, None) == datetime(2026, 9, 9, tzinfo=UTC)
    # by hour, or a period of hours: exactly the span back from now
    assert Period.parse("7d", "hour").start(now, None) == now - timedelta(days=7)
    assert Period.parse("24h", "day").start(now, None) == now - timedelta(hours=24)
    assert Period.parse("today", None).start(now, None) == datetime(2026, 12, 7, tzinfo=UTC)
