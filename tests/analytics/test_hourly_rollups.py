"""Hourly rollups: today's and the last 24 hours' reports read them, and read what raw clicks say."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, func, select

from shorturl.analytics.hourly import HourlyRepository, epoch_hour, hour_start, hourly_ranges
from shorturl.analytics.models import Click, ClickHourly
from shorturl.analytics.repository import ClickRepository
from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.worker.jobs import PeriodicJobs
from tests.analytics.conftest import IP, UA, click, make_link, store_events
from tests.analytics.test_retention import without_volatile
from tests.conftest import Account

HOUR = 3600.0


def hours_ago(hours: float) -> float:
    """Seconds ago of a moment `hours` whole hours before the start of the current hour,
    plus a few minutes (never in the current hour, which stays raw)."""
    into_hour = time.time() % HOUR
    return into_hour + hours * HOUR + 60.0


def history(a: int, b: int) -> list[Any]:
    """Clicks over the last 40 hours, never two of one visitor on either side of the start of
    a 24-hour window (a visitor's first click of a day is what an hourly rollup counts)."""
    events = []
    for hours in range(1, 40, 3):
        events += [
            click(a, hours_ago(hours), ip=f"8.8.{hours}.1", referrer="https://t.co/x"),
            click(a, hours_ago(hours), ip=f"8.8.{hours}.2", ua=UA["mobile"]),
            click(a, hours_ago(hours), ip=f"8.8.{hours}.3", ua=UA["googlebot"]),
            click(a, hours_ago(hours), method="HEAD"),
            click(
                b,
                hours_ago(hours),
                ip=IP["AU"] if hours < 20 else f"77.88.{hours}.8",
                ua=UA["tablet"],
            ),
        ]
    events += [click(a, hours_ago(1), ip="8.8.1.1")]  # a visitor again, in the same hour
    events += [click(b, 3 * 86400.0), click(b, 12 * 86400.0, ip=IP["RU"])]  # older days
    return events


async def reports(http: httpx.AsyncClient, codes: list[str]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for code in codes:
        for query in (
            "period=today",
            "period=24h",
            "period=24h&granularity=day",
            "period=24h&include_bots=true",
            "period=7d&granularity=hour",
            "period=30d",
            "period=all",
        ):
            response = await http.get(f"/api/v1/urls/{code}/analytics?{query}")
            assert response.status_code == 200, response.text
            seen[f"{code} {query}"] = without_volatile(response.json())
    for period in ("24h", "today", "30d"):
        response = await http.get(f"/api/v1/analytics/summary?period={period}")
        body = without_volatile(response.json())
        del body["data"]["click_trends"]["daily_average"]  # over the time elapsed: moves
        seen[f"summary {period}"] = body
    return seen


async def test_reports_read_hourly_rollups_and_match_raw_clicks(
    user_client: httpx.AsyncClient, runtime: Runtime, account: Account
) -> None:
    codes = [await make_link(user_client), await make_link(user_client)]
    ids = [(await runtime.resolver.resolve(code)).id for code in codes]  # type: ignore[union-attr]
    await store_events(runtime, history(*ids))
    raw = await reports(user_client, codes)
    assert raw[f"{codes[0]} period=24h"]["data"]["total_clicks"] == 17

    done = await PeriodicJobs(runtime).run_once()
    assert done.failed == []
    now_hour = epoch_hour(datetime.now(UTC))
    async with runtime.database.sessionmaker() as session:
        rolled = await session.scalar(
            select(func.sum(ClickHourly.clicks)).where(
                ClickHourly.dimension == "total", ClickHourly.is_bot.is_(False)
            )
        )
        hours = await session.execute(
            select(func.min(ClickHourly.hour), func.max(ClickHourly.hour))
        )
    first, last = hours.one()
    assert last < now_hour and first >= now_hour - 48
    assert rolled and rolled > 20
    rolled_reports = await reports(user_client, codes)
    for name in raw:
        assert _diff(rolled_reports[name], raw[name]) == [], name

    # The proof that they are read there: raw clicks of the rolled-up hours of the last
    # day gone, today's and the 24-hour reports (and the summaries over them) are unchanged.
    window_start = datetime.now(UTC) - timedelta(hours=24) + timedelta(minutes=5)
    async with runtime.database.sessionmaker() as session:
        await session.execute(
            delete(Click).where(
                Click.clicked_at >= hour_start(epoch_hour(window_start) + 1),
                Click.clicked_at < hour_start(now_hour),
                Click.method != "HEAD",
            )
        )
        await session.commit()
    after = await reports(user_client, codes)
    for name in raw:
        if "today" in name or "24h" in name:
            assert after[name] == raw[name], name

    # a click stored late for an hour already rolled up counts there, once
    await store_events(runtime, [click(ids[1], hours_ago(2), ip="9.9.9.9")])
    late = await user_client.get(f"/api/v1/urls/{codes[1]}/analytics?period=24h")
    assert (
        late.json()["data"]["total_clicks"]
        == raw[f"{codes[1]} period=24h"]["data"]["total_clicks"] + 1
    )
    assert (await PeriodicJobs(runtime).run_once()).failed == []  # nothing rolled twice
    again = await user_client.get(f"/api/v1/urls/{codes[1]}/analytics?period=24h")
    assert without_volatile(again.json()) == without_volatile(late.json())


def test_hourly_ranges_split_a_period_into_whole_hours_and_raw_edges() -> None:
    at = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
    ten = epoch_hour(at)
    covered = (ten - 20, ten)
    hours, raw = hourly_ranges(at - timedelta(hours=5), at, covered)
    assert hours == (ten - 4, ten)
    assert raw == [(at - timedelta(hours=5), hour_start(ten - 4)), (hour_start(ten), at)]
    assert hourly_ranges(at - timedelta(minutes=20), at, covered) == (
        None,
        [(at - timedelta(minutes=20), at)],
    )
    assert hourly_ranges(None, None, covered) == (
        covered,
        [(None, hour_start(ten - 20)), (hour_start(ten), None)],
    )
    assert hourly_ranges(hour_start(ten - 2), hour_start(ten), covered) == ((ten - 2, ten), [])
    assert hourly_ranges(at, None, None) == (None, [(at, None)])


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON bodies differ, as paths (readable where a plain == shows a wall)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in a.keys() | b.keys() for d in _diff(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _diff(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


async def test_the_hour_in_progress_is_rolled_up_in_slices(
    user_client: httpx.AsyncClient, runtime: Runtime, account: Account
) -> None:
    into = time.time() % HOUR  # seconds into the current hour
    if into < 40:
        await asyncio.sleep(40 - into)
        into = time.time() % HOUR
    code = await make_link(user_client)
    link = (await runtime.resolver.resolve(code)).id  # type: ignore[union-attr]
    a, b, c = into * 0.9, into * 0.6, into * 0.2  # seconds ago, all in this hour
    await store_events(
        runtime,
        [
            click(link, a, ip="8.8.4.1"),
            click(link, c, ip="8.8.4.1"),  # the same visitor, in the next slice
            click(link, b, ip="8.8.4.2", ua=UA["mobile"]),
            click(link, b, ip="8.8.4.3", ua=UA["googlebot"]),
            click(link, a, method="HEAD"),
        ],
    )
    raw = await reports(user_client, [code])
    assert raw[f"{code} period=today"]["data"]["total_clicks"] == 3
    now_hour = epoch_hour(datetime.now(UTC))

    async def roll_up_to(end: int) -> Any:
        async with runtime.database.sessionmaker() as session:
            await ClickRepository(session).lock_links([link])
            await HourlyRepository(session).roll_up([link], end, datetime.now(UTC).date())
            await session.commit()
            row = await session.get(Link, link)
            human = await session.execute(
                select(
                    ClickHourly.clicks, ClickHourly.unique_visitors, ClickHourly.new_visitors
                ).where(
                    ClickHourly.link_id == link,
                    ClickHourly.hour == now_hour,
                    ClickHourly.dimension == "total",
                    ClickHourly.is_bot.is_(False),
                )
            )
            assert row is not None
            return row.hourly_until, row.hourly_through, human.one_or_none()

    first_slice = int(time.time() - (b + c) / 2)  # between the clicks b and c
    until, through, human = await roll_up_to(first_slice)
    assert (until, through) == (now_hour, first_slice)
    assert tuple(human) == (2, 2, 2)  # the clicks a and b, two visitors
    sliced = await reports(user_client, [code])
    for name in raw:
        assert sliced[name]["data"]["total_clicks"] == raw[name]["data"]["total_clicks"], name
    # the visitor of a (rolled up) and c (raw still) counts on both sides until c is rolled
    # up too, as analytics/hourly.py says of the hour in progress
    today = sliced[f"{code} period=today"]["data"]
    assert today["unique_clicks"] == raw[f"{code} period=today"]["data"]["unique_clicks"] + 1

    # the rest of the hour so far: the visitor of a and c is not counted again
    until, through, human = await roll_up_to(int(time.time()))
    assert until == now_hour and through is not None and through > first_slice
    assert tuple(human) == (3, 2, 2)
    whole = await reports(user_client, [code])
    for name in raw:
        assert _diff(whole[name], raw[name]) == [], name

    # a click stored late, before the watermark, counts there, once
    await store_events(runtime, [click(link, a, ip="9.9.9.9")])
    late = (await user_client.get(f"/api/v1/urls/{code}/analytics?period=today")).json()
    assert late["data"]["total_clicks"] == 4
    assert (await PeriodicJobs(runtime).run_once()).failed == []
    again = (await user_client.get(f"/api/v1/urls/{code}/analytics?period=today")).json()
    assert without_volatile(again) == without_volatile(late)
