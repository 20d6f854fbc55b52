"""Benchmark of the analytics reports on a link with a million clicks, on PostgreSQL.

Creates a throwaway PostgreSQL database (dropped afterwards), migrates it, and generates
`--clicks` clicks for one link in one `INSERT … SELECT generate_series` (spread over 90
days, stored in time order as the worker would; a few thousand visitors a day; countries, devices, browsers, systems and referrers
drawn from small sets; 3% robots, 1% HEAD). Then times, through the real service functions:

* the v1 analytics report (`link_analytics`) for `period=30d` and `period=all`, by day;
* the seed-004 stats (`link_stats`: visit_count, unique_visitors, the first page of visits);
* the seed-003 summary over 30 days (`summary`, the link's owner: here anonymous links);

first on raw clicks only (no roll-up has run yet), then after the periodic roll-up job
(`roll_up_finished_days`: every finished day into the rollups), then after retention
(`delete_rolled_up_clicks`: raw clicks older than `--keep-days` days deleted).

    .venv/bin/python bench/report.py                   # 1,000,000 clicks
    .venv/bin/python bench/report.py --clicks 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environment import create_database, describe_machine, drop_database  # noqa: E402

from shorturl.analytics import service as analytics  # noqa: E402
from shorturl.analytics.models import Click, ClickRollup  # noqa: E402
from shorturl.analytics.periods import Period  # noqa: E402
from shorturl.links.models import Link  # noqa: E402
from shorturl.storage.db import Database  # noqa: E402
from shorturl.storage.migrate import upgrade  # noqa: E402

DAYS: Final = 90

GENERATE: Final = """
INSERT INTO clicks (event_id, link_id, clicked_at, method, ip, visitor_hash, user_agent,
                    referrer, referrer_host, language, country, country_name, device,
                    browser, os, is_bot, is_counted)
SELECT 'bench-' || g,
       :link_id,
       at,
       CASE WHEN g % 100 = 0 THEN 'HEAD' ELSE 'GET' END,
       '203.0.113.0',
       md5(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ':' || (hashint % 4000)),
       'Mozilla/5.0 (bench)',
       NULL,
       (ARRAY['direct', 'google.com', 't.co', 'facebook.com', 'news.ycombinator.com',
              'reddit.com', 'linkedin.com', 'duckduckgo.com'])[1 + hashint % 8],
       'en-US',
       (ARRAY['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'AU', 'CA', 'RU', 'ES', 'IT'])
           [1 + (hashint / 8) % 12],
       NULL,
       CASE WHEN g % 33 = 0 THEN 'other'
            ELSE (ARRAY['desktop', 'mobile', 'mobile', 'tablet'])[1 + (hashint / 96) % 4] END,
       (ARRAY['Chrome', 'Safari', 'Firefox', 'Edge', 'Mobile Safari', 'Samsung Internet'])
           [1 + (hashint / 384) % 6],
       (ARRAY['Windows', 'Mac OS X', 'iOS', 'Android', 'Linux'])[1 + (hashint / 2304) % 5],
       g % 33 = 0,
       g % 100 <> 0
FROM (
    SELECT g,
           now() - random() * make_interval(days => :days) AS at,
           abs(hashint4(g)) AS hashint
    FROM generate_series(1, :clicks) AS g
) AS generated
ORDER BY at  -- as clicks arrive: in time order, so a day's rows share pages
"""


async def generate(db: Database, clicks: int) -> Link:
    async with db.sessionmaker() as session:
        link = Link(code="bench-report", long_url="https://example.com/")
        link.created_at = datetime.now(UTC) - timedelta(days=DAYS)
        session.add(link)
        await session.flush()
        await session.execute(text(GENERATE), {"link_id": link.id, "clicks": clicks, "days": DAYS})
        await session.execute(
            text(
                "UPDATE links SET click_count = (SELECT count(*) FROM clicks WHERE link_id = :id"
                " AND is_counted AND NOT is_bot), last_clicked_at = now() WHERE id = :id"
            ),
            {"id": link.id},
        )
        await session.commit()
    await _analyze(db)
    async with db.sessionmaker() as session:
        found = await session.get(Link, link.id)
        assert found is not None
        return found


async def timed(
    db: Database, repeat: int, report: Callable[[Any], Awaitable[object]]
) -> tuple[float, float]:
    """(best, median) milliseconds of `report(session)`, each in a fresh session."""
    times = []
    for _ in range(repeat):
        async with db.sessionmaker() as session:
            started = time.perf_counter()
            await report(session)
            times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times)


async def measure(
    db: Database, link: Link, repeat: int, label: str, *, fresh_pool: bool = True
) -> None:
    if fresh_pool:  # connections as a new web process has them (see bench/README.md)
        await db.engine.dispose()
    reports: dict[str, Callable[[Any], Awaitable[object]]] = {
        "analytics 30d/day": lambda s: analytics.link_analytics(
            s, link, Period.parse("30d", "day")
        ),
        "analytics all/day": lambda s: analytics.link_analytics(
            s, link, Period.parse("all", "day")
        ),
        "stats (seed 004)": lambda s: analytics.link_stats(s, link, limit=20, offset=0),
        "summary 30d": lambda s: analytics.summary(s, None, Period.parse("30d", "day")),
    }
    async with db.sessionmaker() as session:
        raw = await session.scalar(select(func.count()).select_from(Click))
        rolled = await session.scalar(select(func.count()).select_from(ClickRollup))
    print(f"\n{label}: {raw:,} raw clicks, {rolled:,} rollup rows")
    async with db.sessionmaker() as session:  # warm the caches (plans, pages) once
        for report in reports.values():
            await report(session)
    for name, report in reports.items():
        best, median = await timed(db, repeat, report)
        print(f"  {name:<20} best {best:8.1f} ms   median {median:8.1f} ms")


async def roll_up(db: Database) -> int:
    links = 0
    while taken := await _step(db, lambda s: analytics.roll_up_finished_days(s, links=100)):
        links += taken
    await _analyze(db)
    return links


async def delete_old(db: Database, keep_days: int) -> int:
    keep_from = datetime.now(UTC).date() - timedelta(days=keep_days)
    deleted = 0
    while True:
        async with db.sessionmaker() as session:
            taken, count = await analytics.delete_rolled_up_clicks(session, keep_from, links=100)
            await session.commit()
        deleted += count
        if not taken:
            break
    await _analyze(db)
    return deleted


async def _step(db: Database, step: Callable[[Any], Awaitable[int]]) -> int:
    async with db.sessionmaker() as session:
        done = await step(session)
        await session.commit()
    return done


async def _analyze(db: Database) -> None:
    async with db.engine.connect() as connection:
        await connection.execute(text("COMMIT"))
        await connection.execute(text("VACUUM ANALYZE clicks"))
        await connection.execute(text("VACUUM ANALYZE click_rollups"))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep-days", type=int, default=3, help="raw days kept by retention")
    parser.add_argument(
        "--reuse-pool",
        action="store_true",
        help="measure every phase on the connections of the first (slower `all`, see README)",
    )
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {describe_machine()}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    url = await create_database()
    db = Database(url)
    try:
        await asyncio.to_thread(upgrade, url)
        started = time.perf_counter()
        link = await generate(db, args.clicks)
        print(f"generated {args.clicks:,} clicks in {time.perf_counter() - started:.1f} s")
        await measure(db, link, args.repeat, "raw clicks only")
        started = time.perf_counter()
        links = await roll_up(db)
        print(f"\nroll-up job: {links} link in {time.perf_counter() - started:.1f} s")
        await measure(
            db, link, args.repeat, "after the roll-up job", fresh_pool=not args.reuse_pool
        )
        started = time.perf_counter()
        deleted = await delete_old(db, args.keep_days)
        print(
            f"\nretention (keep {args.keep_days} days): {deleted:,} raw clicks deleted in "
            f"{time.perf_counter() - started:.1f} s"
        )
        await measure(db, link, args.repeat, "after retention", fresh_pool=not args.reuse_pool)
    finally:
        await db.dispose()
        await drop_database(url)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
