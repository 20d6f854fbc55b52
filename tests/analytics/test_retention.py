"""Rollups and retention: finished days roll up, old raw clicks go, every report reads the same."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from shorturl.analytics import service as analytics
from shorturl.analytics.events import ClickEvent
from shorturl.analytics.models import Click, ClickRollup
from shorturl.dashboard.reports import link_report, owner_overview
from shorturl.runtime import Runtime
from shorturl.timestamps import utcnow
from shorturl.worker.jobs import PeriodicJobs
from tests.analytics.conftest import IP, UA, click, make_link, store_events
from tests.conftest import Account

DAY = 86400.0
RETENTION = 3


def ago(days: int, hour: int = 12) -> float:
    """Seconds since `hour`:00 UTC `days` days ago (today: a moment ago, still today)."""
    now = time.time()
    if days == 0:
        return min(60.0, (now % DAY) / 3)
    midnight = now - now % DAY
    return now - (midnight - days * DAY + hour * 3600)


def history(a: int, b: int) -> list[ClickEvent]:
    """Clicks on two links over 40 days: some to be rolled up, some to stay raw."""
    google, twitter = "https://www.google.com/q", "https://twitter.com/x"
    return [
        # ten days ago: one visitor twice (two referrers), another, a robot, a HEAD
        click(a, ago(10), referrer=google),
        click(a, ago(10, 13)),
        click(a, ago(10), ip=IP["AU"], ua=UA["mobile"], referrer=twitter),
        click(a, ago(10), ua=UA["googlebot"]),
        click(a, ago(10), method="HEAD"),
        click(a, ago(5), ip=IP["RU"], ua=UA["tablet"]),
        click(a, ago(5, 18), ip=IP["RU"], ua=UA["tablet"], referrer=google),
        click(a, ago(40), referrer=twitter),
        click(a, ago(2), ip=IP["AU"], ua=UA["desktop"]),  # inside retention: stays raw
        click(a, ago(0)),
        click(a, ago(0), ua=UA["slack"]),
        click(b, ago(10), ip=IP["RU"], ua=UA["mobile"]),
        click(b, ago(0), ip=IP["AU"]),
    ]


def without_volatile(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "meta"}


async def reports(
    http: httpx.AsyncClient,
    runtime: Runtime,
    codes: list[str],
    owner_id: int,
    *,
    hourly: bool = True,
) -> dict[str, Any]:
    """Every report that counts clicks, as a dict to compare."""
    seen: dict[str, Any] = {}
    for code in codes:
        seen[f"root {code}"] = (await http.get(f"/analytics?short_id={code}")).json()
        for query in (
            "period=7d&granularity=day",
            "period=30d&granularity=day",
            "period=all&granularity=day",
            "period=90d&granularity=week",
            "period=all&granularity=month&include_bots=true",
            *(["period=7d&granularity=hour", "period=24h"] if hourly else []),
        ):
            response = await http.get(f"/api/v1/urls/{code}/analytics?{query}")
            assert response.status_code == 200, response.text
            seen[f"v1 {code} {query}"] = without_volatile(response.json())
        stats = (await http.get(f"/api/v1/urls/{code}/stats")).json()["data"]
        seen[f"stats {code}"] = (stats["visit_count"], stats["unique_visitors"])
    for period in ("7d", "30d", "all"):
        response = await http.get(f"/api/v1/analytics/summary?period={period}")
        seen[f"summary {period}"] = without_volatile(response.json())
    async with runtime.database.sessionmaker() as session:
        for code in codes:
            link = await runtime.links.get(session, code)
            for period in ("7d", "30d", "all"):
                report = dataclasses.asdict(await link_report(session, link, period))
                del report["visits"]  # the individual visits are what retention drops
                del report["chart"]  # an SVG with a random id; drawn from `series`
                seen[f"dashboard {code} {period}"] = report
        overview = dataclasses.asdict(await owner_overview(session, owner_id))
        del overview["chart"]
        seen["dashboard overview"] = overview
    return seen


async def raw_and_rolled(runtime: Runtime) -> tuple[int, int]:
    async with runtime.database.sessionmaker() as session:
        raw = await session.scalar(select(func.count()).select_from(Click))
        rolled = await session.scalar(
            select(func.coalesce(func.sum(ClickRollup.clicks), 0)).where(
                ClickRollup.dimension == "total"
            )
        )
    return int(raw or 0), int(rolled or 0)


def retention_jobs(runtime: Runtime) -> PeriodicJobs:
    jobs = PeriodicJobs(runtime)
    jobs.settings = runtime.settings.model_copy(update={"click_retention_days": RETENTION})
    return jobs


async def test_reports_read_the_same_after_rolling_up_and_retention(
    user_client: httpx.AsyncClient, runtime: Runtime, account: Account
) -> None:
    codes = [await make_link(user_client), await make_link(user_client)]
    ids = [(await runtime.resolver.resolve(code)).id for code in codes]  # type: ignore[union-attr]
    assert await store_events(runtime, history(*ids)) == 13
    before = await reports(user_client, runtime, codes, account.user_id)
    assert before[f"stats {codes[0]}"] == (8, 6)  # one visitor twice a day, twice

    done = await PeriodicJobs(runtime).run_once()  # retention is off by default
    assert (done.links_rolled_up, done.clicks_deleted, done.failed) == (2, 0, [])
    # every finished day is in the rollups (robots flagged, HEAD left out); raw clicks stay
    assert await raw_and_rolled(runtime) == (13, 9)
    rolled = await reports(user_client, runtime, codes, account.user_id)
    for name in before:
        assert rolled[name] == before[name], name
    assert (await PeriodicJobs(runtime).run_once()).links_rolled_up == 0  # nothing new

    done = await retention_jobs(runtime).run_once()
    assert (done.clicks_deleted, done.failed) == (9, [])  # days -40, -10 and -5, HEAD too
    assert await raw_and_rolled(runtime) == (4, 9)  # day -2 and today stay raw
    async with runtime.database.sessionmaker() as session:
        oldest = await session.scalar(select(func.min(Click.clicked_at)))
    assert oldest is not None
    assert oldest >= utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=RETENTION
    )
    after = await reports(user_client, runtime, codes, account.user_id, hourly=False)
    for name in after:
        assert after[name] == before[name], name
    stats = (await user_client.get(f"/api/v1/urls/{codes[0]}/stats")).json()["data"]
    assert (stats["visit_count"], stats["total"], len(stats["visits"])) == (8, 2, 2)
    assert (await retention_jobs(runtime).run_once()).clicks_deleted == 0  # idempotent
    again = await reports(user_client, runtime, codes, account.user_id, hourly=False)
    assert again == after


async def test_a_crash_before_commit_rolls_up_nothing(
    user_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    code = await make_link(user_client)
    link_id = (await runtime.resolver.resolve(code)).id  # type: ignore[union-attr]
    await store_events(runtime, [click(link_id, ago(days)) for days in (9, 8, 8, 7)])
    async with runtime.database.sessionmaker() as session:
        assert await analytics.roll_up_finished_days(session, links=10) == 1
        await session.rollback()  # the worker died before committing
    assert await raw_and_rolled(runtime) == (4, 0)
    await retention_jobs(runtime).run_once()
    assert await raw_and_rolled(runtime) == (0, 4)
    after = (await user_client.get(f"/api/v1/urls/{code}/stats")).json()["data"]
    assert (after["visit_count"], after["unique_visitors"]) == (4, 3)


async def test_late_and_concurrent_rollups_count_each_click_once(
    user_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    code = await make_link(user_client)
    link_id = (await runtime.resolver.resolve(code)).id  # type: ignore[union-attr]
    await store_events(
        runtime,
        [
            click(link_id, ago(days), ip=f"8.8.{days}.{n}")
            for days in range(4, 24)
            for n in range(5)
        ],
    )
    jobs = [retention_jobs(runtime) for _ in range(3)]
    await asyncio.gather(*(job.run_once() for job in jobs))
    assert await raw_and_rolled(runtime) == (0, 100)
    # a click of a day already rolled up (redelivered late) joins that day's rollup at once
    await store_events(runtime, [click(link_id, ago(6), ip="9.9.9.9")])
    assert await raw_and_rolled(runtime) == (1, 101)
    body = (await user_client.get(f"/api/v1/urls/{code}/analytics?period=all")).json()["data"]
    assert (body["total_clicks"], body["unique_clicks"]) == (101, 101)
    six_days_ago = (utcnow() - timedelta(days=6)).date().isoformat()
    point = next(point for point in body["time_series"] if point["date"] == six_days_ago)
    assert (point["clicks"], point["unique_clicks"]) == (6, 6)
    # retention already passed that day: the late click stays raw (its event id keeps a
    # second delivery out), counted once through the rollups
    assert (await retention_jobs(runtime).run_once()).clicks_deleted == 0
    again = (await user_client.get(f"/api/v1/urls/{code}/analytics?period=all")).json()["data"]
    assert again == body
