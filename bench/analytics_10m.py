"""Benchmark of the reports at 10 million clicks over 10,000 links, on PostgreSQL.

Creates a throwaway PostgreSQL database (dropped afterwards), migrates it, and loads, with
`INSERT … SELECT generate_series` (the clicks table's indexes dropped during the load and
built again after it, as a restore would):

* one account owning 10,000 links (the worst case for its summary and top links);
* a viral link with 2,000,000 clicks, 1,000,000 of them today (spread from midnight UTC to
  now) and the rest over the 29 days before;
* 8,000,000 clicks over the other 9,999 links across the last 30 days, today included;

countries, devices, browsers, systems and referrers drawn from small sets, 3% robots, 1% HEAD,
a few hundred thousand visitors a day on the viral link. The table is then put in time order
(`CLUSTER` on `clicked_at`), as a running system stores clicks. Then the periodic roll-up jobs run as
the worker runs them (`roll_up_finished_days`, `roll_up_finished_hours`), and these are timed
through the real service code, each in a fresh session, `--repeat` times (p50 and p95):

* the link's 30-day report (`link_analytics`, period 30d, by day);
* the link's today report (period today, by hour) and its 24-hour report;
* the account summary over 30 days (`summary`: totals, growth, top ten);
* the account's top links over 30 days (`ClickRepository.ranking`: the summary's totals and
  top ten).

The jobs roll the hour in progress up to its last 5-minute boundary (`SLICE`), as the
worker does every run; the clicks since stay raw, as in a running system. `--keep` keeps the
database, and `--database` measures it again.

    .venv/bin/python bench/analytics_10m.py                 # ~10-15 min on 2 cores
    .venv/bin/python bench/analytics_10m.py --scale 0.1     # 1M clicks, a quick look
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

from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environment import create_database, describe_machine, drop_database  # noqa: E402

from shorturl.accounts.models import User  # noqa: E402
from shorturl.analytics import service as analytics  # noqa: E402
from shorturl.analytics.periods import Period  # noqa: E402
from shorturl.analytics.repository import ClickFilter, ClickRepository  # noqa: E402
from shorturl.links.models import Link  # noqa: E402
from shorturl.storage.db import Database  # noqa: E402
from shorturl.storage.migrate import upgrade  # noqa: E402

LINKS: Final = 10_000
CHUNK: Final = 1_000_000  # clicks a statement

# `:first` is the first event number; `:link_of` picks a link for click g; `at` its time.
GENERATE: Final = """
INSERT INTO clicks (event_id, link_id, clicked_at, method, ip, visitor_hash, user_agent,
                    referrer, referrer_host, language, country, country_name, device,
                    browser, os, is_bot, is_counted)
SELECT 'b' || g, link_id, at,
       CASE WHEN g % 100 = 0 THEN 'HEAD' ELSE 'GET' END,
       '203.0.113.0',
       md5(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') || ':' || link_id || ':'
           || (hashint % CAST(:visitors AS bigint))),
       'Mozilla/5.0 (bench)', NULL,
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
           CASE WHEN CAST(:viral AS boolean) THEN CAST(:viral_id AS bigint)
                ELSE :first_link + (abs(hashint8(g * 7 + 1)) % CAST(:others AS bigint))
           END AS link_id,
           CAST(:start AS timestamptz)
               + random() * (CAST(:end AS timestamptz) - CAST(:start AS timestamptz)) AS at,
           abs(hashint8(g)) AS hashint
    FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
) AS generated
"""


async def load(db: Database, scale: float) -> tuple[int, int]:
    """(owner id, viral link id), with every click loaded and counted on its link."""
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    async with db.sessionmaker() as session:
        user = User(email="bench@example.com", username="bench", password_hash="x")
        session.add(user)
        await session.flush()
        created = now - timedelta(days=31)
        await session.execute(
            insert(Link),
            [
                {"code": f"bench{n:05d}", "long_url": f"https://example.com/{n}",
                 "owner_id": user.id, "created_at": created}
                for n in range(LINKS)
            ],
        )  # fmt: skip
        ids = list((await session.scalars(select(Link.id).where(Link.owner_id == user.id))).all())
        await session.commit()
    viral, others = ids[0], ids[1:]
    assert others == list(range(others[0], others[0] + len(others)))
    indexes = await _drop_click_indexes(db)
    plan = [  # (clicks, viral?, start, end, visitors a day)
        (int(1_000_000 * scale), True, midnight, now, 300_000),
        (int(1_000_000 * scale), True, midnight - timedelta(days=29), midnight, 30_000),
        (int(8_000_000 * scale), False, now - timedelta(days=30), now, 60),
    ]
    first = 1
    for clicks, is_viral, start, end, visitors in plan:
        for offset in range(0, clicks, CHUNK):
            last = first + min(CHUNK, clicks - offset) - 1
            started = time.perf_counter()
            async with db.engine.begin() as connection:
                await connection.execute(
                    text(GENERATE),
                    {"first": first, "last": last, "viral": is_viral, "viral_id": viral,
                     "first_link": others[0], "others": len(others), "start": start,
                     "end": end, "visitors": visitors},
                )  # fmt: skip
            print(f"  clicks {first:>10,}–{last:>10,} in {time.perf_counter() - started:5.1f} s")
            first = last + 1
    started = time.perf_counter()
    await _create_indexes(db, indexes)
    async with db.engine.begin() as connection:
        # stored in the order they happen, as the worker stores them: a period's rows lie
        # together, not scattered over the table as the segments above generate them
        await connection.execute(text("SET maintenance_work_mem = '1GB'"))
        await connection.execute(text("CLUSTER clicks USING ix_clicks_clicked_at"))
    async with db.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE links SET click_count = c.n, last_clicked_at = c.last FROM"
                " (SELECT link_id, count(*) FILTER (WHERE is_counted AND NOT is_bot) AS n,"
                " max(clicked_at) AS last FROM clicks GROUP BY link_id) AS c"
                " WHERE links.id = c.link_id"
            )
        )
    print(f"  indexes, time order and link counters in {time.perf_counter() - started:.1f} s")
    await _analyze(db)
    return user.id, viral


async def _drop_click_indexes(db: Database) -> list[str]:
    """Drop the clicks table's indexes and unique constraints; the statements that rebuild them."""
    async with db.engine.begin() as connection:
        constraints = (
            await connection.execute(
                text(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                    " WHERE conrelid = 'clicks'::regclass AND contype = 'u'"
                )
            )
        ).all()
        indexes = (
            await connection.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'clicks'"
                    " AND indexname NOT IN (SELECT conname FROM pg_constraint"
                    " WHERE conrelid = 'clicks'::regclass)"
                )
            )
        ).all()
        rebuild = []
        for name, definition in constraints:
            await connection.execute(text(f'ALTER TABLE clicks DROP CONSTRAINT "{name}"'))
            rebuild.append(f'ALTER TABLE clicks ADD CONSTRAINT "{name}" {definition}')
        for name, definition in indexes:
            await connection.execute(text(f'DROP INDEX "{name}"'))
            rebuild.append(definition)
    return rebuild


async def _create_indexes(db: Database, statements: list[str]) -> None:
    async with db.engine.begin() as connection:
        await connection.execute(text("SET maintenance_work_mem = '256MB'"))
        for statement in statements:
            await connection.execute(text(statement))


async def roll_up(db: Database) -> None:
    for name, step in (
        ("days", analytics.roll_up_finished_days),
        ("hours", analytics.roll_up_finished_hours),
    ):
        started, links = time.perf_counter(), 0
        while True:
            async with db.sessionmaker() as session:
                taken = await step(session, links=500)
                await session.commit()
            links += taken
            if taken < 500:
                break
        print(
            f"  roll-up of finished {name}: {links:,} links in {time.perf_counter() - started:.1f} s"
        )
    await _analyze(db)


async def _analyze(db: Database) -> None:
    async with db.engine.connect() as connection:
        await connection.execute(text("COMMIT"))
        # autovacuum's work (off on some machines): the planner's statistics and visibility
        # maps of every table the load and the roll-ups wrote
        for table in ("clicks", "click_rollups", "click_hourly", "link_period_totals", "links"):
            await connection.execute(text(f"VACUUM ANALYZE {table}"))


async def measure(db: Database, owner: int, viral_id: int, repeat: int) -> None:
    async with db.sessionmaker() as session:
        viral = await session.get(Link, viral_id)
        assert viral is not None
        session.expunge(viral)

    def top_links(session: Any) -> Awaitable[object]:
        since = Period.parse("30d", "day").start(datetime.now(UTC), None)
        return ClickRepository(session).ranking(ClickFilter(owner_id=owner, since=since), 10)

    reports: dict[str, Callable[[Any], Awaitable[object]]] = {
        "link 30-day report": lambda s: analytics.link_analytics(s, viral, Period.parse("30d", None)),
        "link today report": lambda s: analytics.link_analytics(s, viral, Period.parse("today", None)),
        "link 24-hour report": lambda s: analytics.link_analytics(s, viral, Period.parse("24h", None)),
        "account summary 30d": lambda s: analytics.summary(s, owner, Period.parse("30d", "day")),
        "top links 30d": top_links,
    }  # fmt: skip
    async with db.sessionmaker() as session:  # one warm-up each (plans, pages)
        for report in reports.values():
            await report(session)
        body = await analytics.link_analytics(session, viral, Period.parse("today", None))
        print(
            f"  the viral link today: {body.total_clicks:,} clicks, {body.unique_clicks:,} unique"
        )
    print(f"\n  {'report':<22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}   ({repeat} runs)")
    for name, report in reports.items():
        times = []
        for _ in range(repeat):
            async with db.sessionmaker() as session:
                started = time.perf_counter()
                await report(session)
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(f"  {name:<22} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 10M clicks")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="keep the database; print its URL")
    parser.add_argument("--database", help="measure an earlier --keep database again")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {describe_machine()}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    url = args.database or await create_database()
    db = Database(url)
    try:
        if args.database:
            async with db.sessionmaker() as session:
                owner = await session.scalar(select(User.id))
                viral = await session.scalar(select(Link.id).order_by(Link.id))
            assert owner is not None and viral is not None
        else:
            await asyncio.to_thread(upgrade, url)
            started = time.perf_counter()
            owner, viral = await load(db, args.scale)
            print(f"loaded in {time.perf_counter() - started:.0f} s")
            await roll_up(db)
        await measure(db, owner, viral, args.repeat)
    finally:
        await db.dispose()
        if args.keep or args.database:
            print(f"\ndatabase kept: {url}")
        else:
            await drop_database(url)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
