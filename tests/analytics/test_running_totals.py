"""Period and running totals: an account's fixed periods read a row a link, any other
period of rolled-up days the difference of two rows, and both read what the raw clicks say,
after roll-ups, late clicks, imports and deleted visits."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from shorturl.analytics import service as analytics
from shorturl.analytics import visits
from shorturl.analytics.models import Click, ClickRollup, LinkPeriodTotal
from shorturl.analytics.period_totals import SPANS, TODAY
from shorturl.analytics.repository import ClickFilter, ClickRepository
from shorturl.analytics.rollups import CountedClicks
from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.storage.migrate import upgrade
from shorturl.timestamps import utcnow
from tests.analytics.conftest import UA, click, make_link, store_events
from tests.analytics.test_retention import ago
from tests.conftest import Account, Backend, create_postgres_database, drop_postgres_database


async def running_rows(session: AsyncSession) -> dict[tuple[int, bool], list[tuple[int, int]]]:
    """(running clicks, expected running clicks) of each `total` row, per link and robot flag."""
    rows = await session.execute(
        select(ClickRollup.link_id, ClickRollup.is_bot, ClickRollup.clicks)
        .add_columns(ClickRollup.running_clicks)
        .where(ClickRollup.dimension == "total")
        .order_by(ClickRollup.link_id, ClickRollup.is_bot, ClickRollup.day)
    )
    found: dict[tuple[int, bool], list[tuple[int, int]]] = defaultdict(list)
    sums: dict[tuple[int, bool], int] = defaultdict(int)
    for link_id, is_bot, clicks, running in rows:
        sums[(link_id, is_bot)] += clicks
        found[(link_id, bool(is_bot))].append((running, sums[(link_id, is_bot)]))
    return found


async def assert_running_totals_add_up(runtime: Runtime) -> None:
    async with runtime.database.sessionmaker() as session:
        for key, pairs in (await running_rows(session)).items():
            assert [running for running, _ in pairs] == [expected for _, expected in pairs], key


async def period_rows(runtime: Runtime) -> set[tuple[int, int]]:
    """(link, span) of the period totals summed today."""
    async with runtime.database.sessionmaker() as session:
        rows = await session.execute(
            select(LinkPeriodTotal.link_id, LinkPeriodTotal.span).where(
                LinkPeriodTotal.as_of == utcnow().date()
            )
        )
        return {(link_id, span) for link_id, span in rows}


async def raw_counts(
    session: AsyncSession, spec: ClickFilter, link_ids: list[int]
) -> dict[int, tuple[int, int]]:
    """(clicks, unique visitors, a visitor once a UTC day) per link, counted from raw clicks.
    (The visitors of one link are no one else's here: raw clicks count a visitor once a day
    over all links, rollups once a day a link.)"""
    rows = await session.execute(
        select(Click.link_id, Click.clicked_at, Click.visitor_hash).where(
            Click.link_id.in_(link_ids),
            Click.is_counted.is_(True),
            *([] if spec.include_bots else [Click.is_bot.is_(False)]),
        )
    )
    clicks: dict[int, int] = defaultdict(int)
    visitors: dict[int, set[tuple[date, str]]] = defaultdict(set)
    for link_id, at, visitor in rows:
        at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
        if (spec.since is None or at >= spec.since) and (spec.until is None or at < spec.until):
            clicks[link_id] += 1
            visitors[link_id].add((at.date(), visitor))
    return {link_id: (clicks[link_id], len(visitors[link_id])) for link_id in clicks}


async def raw_robots(session: AsyncSession, spec: ClickFilter) -> dict[str, int]:
    """Robot clicks per `kind:name`, counted from raw clicks."""
    rows = await session.execute(
        select(Click.clicked_at, Click.kind, Click.bot_name).where(
            Click.is_counted.is_(True), Click.is_bot.is_(True)
        )
    )
    found: dict[str, int] = defaultdict(int)
    for at, kind, name in rows:
        at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
        if (spec.since is None or at >= spec.since) and (spec.until is None or at < spec.until):
            found[f"{kind}:{name or ''}"] += 1
    return dict(found)


def windows(owner_id: int) -> list[ClickFilter]:
    """Periods of whole days and not, ending today, in the past, or never, robots or not."""
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    bounds: list[tuple[datetime | None, datetime | None]] = [
        (None, None),
        (midnight - timedelta(days=6), None),
        (midnight - timedelta(days=29), None),
        (midnight - timedelta(days=30), midnight),
        (midnight - timedelta(days=14), midnight - timedelta(days=7)),
        (midnight - timedelta(days=60), midnight - timedelta(days=30)),
        (midnight - timedelta(days=7, hours=6), midnight - timedelta(days=2, hours=3)),
        (midnight - timedelta(days=3), midnight - timedelta(days=3)),
        (None, midnight - timedelta(days=6)),
        # the fixed periods the period totals hold: the summary's and its growth's
        (midnight, None),
        (midnight - timedelta(days=89), None),
        (midnight - timedelta(days=7), midnight),
        (midnight - timedelta(days=14), midnight),
        (midnight - timedelta(days=60), midnight),
    ]
    return [
        ClickFilter(owner_id=owner_id, since=since, until=until, include_bots=bots)
        for since, until in bounds
        for bots in (False, True)
    ]


async def assert_reports_match_raw(runtime: Runtime, owner_id: int, link_ids: list[int]) -> None:
    """Every window's totals and top links, as the reports read them, are the raw counts."""
    async with runtime.database.sessionmaker() as session:
        codes = dict((await session.execute(select(Link.id, Link.code))).all())
        for spec in windows(owner_id):
            expected = await raw_counts(session, spec, link_ids)
            clicks = sum(count for count, _ in expected.values())
            visitors = sum(unique for _, unique in expected.values())
            repository = ClickRepository(session)
            assert await repository.totals(spec) == (clicks, visitors), spec
            assert await ClickRepository(session).clicks(spec) == clicks, spec
            ranking = await ClickRepository(session).ranking(spec, 10)
            assert (ranking.clicks, ranking.unique_visitors) == (clicks, visitors), spec
            top = sorted(
                ((codes[link_id], count) for link_id, (count, _) in expected.items() if count),
                key=lambda item: (-item[1], item[0]),
            )
            assert list(ranking.top) == top, spec
            robots = await ClickRepository(session).breakdown(spec, ["bot"], robots_only=True)
            assert dict(robots.counts("bot", True)) == await raw_robots(session, spec), spec


async def test_periods_of_rolled_up_days_read_what_the_raw_clicks_say(
    user_client: httpx.AsyncClient, runtime: Runtime, account: Account
) -> None:
    codes = [await make_link(user_client) for _ in range(3)]
    ids = [(await runtime.resolver.resolve(code)).id for code in codes]  # type: ignore[union-attr]
    days = [45, 40, 31, 30, 29, 15, 14, 8, 7, 6, 3, 2, 1, 0]
    events = [
        click(ids[n % 3], ago(day, hour), ip=f"8.{n % 3 + 1}.{day}.{n % 4}")
        for n, day in enumerate(days * 3)
        for hour in ((3, 20) if n % 2 else (12,))
    ]
    events += [click(ids[1], ago(day), ua=UA["googlebot"]) for day in (30, 7, 0)]
    events += [click(ids[2], ago(day), ua=UA["slack"]) for day in (29, 6, 1)]
    since_midnight = time.time() % 86400
    events += [  # a visitor twice in an hour to be rolled up (but just after midnight)
        click(link_id, since_midnight / 2 - n, ip=f"8.7.6.{link_id}")
        for link_id in ids[::2]
        for n in (0, 1)
    ]
    events.append(click(ids[0], since_midnight / 2, ip="8.7.5.1", ua=UA["googlebot"]))
    assert await store_events(runtime, events) == len(events)
    await assert_reports_match_raw(runtime, account.user_id, ids)  # all raw: the reference

    async with runtime.database.sessionmaker() as session:
        assert await analytics.roll_up_finished_days(session, links=2) == 2  # in two steps
        await session.commit()
        await assert_reports_match_raw(runtime, account.user_id, ids)  # one link lagging
        assert await analytics.roll_up_finished_days(session, links=10) == 1
        await session.commit()
    await assert_running_totals_add_up(runtime)
    await assert_reports_match_raw(runtime, account.user_id, ids)
    assert await period_rows(runtime) == {(link_id, span) for link_id in ids for span in SPANS}
    async with runtime.database.sessionmaker() as session:  # today's hours too
        assert await analytics.roll_up_finished_hours(session, links=10) == 3
        await session.commit()
    if since_midnight > 1200:  # a whole slice of today to roll up
        assert {(ids[0], TODAY), (ids[2], TODAY)} <= await period_rows(runtime)
    await assert_reports_match_raw(runtime, account.user_id, ids)

    # late clicks for days long rolled up, one of them a day none had
    late = [click(ids[0], ago(day), ip=f"9.9.9.{day}") for day in (30, 14, 14, 20)]
    late.append(click(ids[2], ago(7), ip="9.9.8.1", ua=UA["googlebot"]))
    late.append(click(ids[0], since_midnight / 2 + 5, ip="9.9.7.1"))  # an hour rolled up
    assert await store_events(runtime, late) == len(late)
    await assert_running_totals_add_up(runtime)
    await assert_reports_match_raw(runtime, account.user_id, ids)

    # the link's visits deleted: its running totals start again from its next roll-up
    async with runtime.database.sessionmaker() as session:
        link = await runtime.links.get(session, codes[1])
        every = await raw_counts(session, ClickFilter(include_bots=True), [ids[1]])
        assert await visits.delete_link_clicks(session, link) == every[ids[1]][0] > 0
        await session.commit()
    assert await store_events(runtime, [click(ids[1], ago(day)) for day in (9, 5, 0)]) == 3
    async with runtime.database.sessionmaker() as session:
        assert await analytics.roll_up_finished_days(session, links=10) == 1
        await session.commit()
    await assert_running_totals_add_up(runtime)
    await assert_reports_match_raw(runtime, account.user_id, ids)


async def test_imported_history_joins_the_running_totals(
    user_client: httpx.AsyncClient, runtime: Runtime, account: Account
) -> None:
    code, imported = await make_link(user_client), await make_link(user_client)
    link_id = (await runtime.resolver.resolve(code)).id  # type: ignore[union-attr]
    never_rolled_up = (await runtime.resolver.resolve(imported)).id  # type: ignore[union-attr]
    await store_events(runtime, [click(link_id, ago(day)) for day in (20, 10, 5)])
    async with runtime.database.sessionmaker() as session:
        await analytics.roll_up_finished_days(session, links=10)
        await session.commit()
    now = utcnow()
    async with runtime.database.sessionmaker() as session:
        await analytics.add_counted_clicks(
            session,
            [
                CountedClicks(link_id, now - timedelta(days=40), 7),
                CountedClicks(link_id, now - timedelta(days=10), 3),
                CountedClicks(link_id, now - timedelta(days=8), 2, is_bot=True),
                CountedClicks(never_rolled_up, now - timedelta(days=12), 4),
            ],
        )
        await session.commit()
    await assert_running_totals_add_up(runtime)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    async with runtime.database.sessionmaker() as session:
        repository = ClickRepository(session)
        every = ClickFilter(owner_id=account.user_id)
        assert await repository.clicks(every) == 3 + 7 + 3 + 4
        last_30 = ClickFilter(owner_id=account.user_id, since=midnight - timedelta(days=29))
        assert await repository.clicks(last_30) == 3 + 3 + 4  # a fixed period
        ranking = await ClickRepository(session).ranking(last_30, 10)
        assert list(ranking.top) == [(code, 6), (imported, 4)]
        with_bots = ClickFilter(
            owner_id=account.user_id, since=midnight - timedelta(days=9), include_bots=True
        )
        assert await repository.clicks(with_bots) == 1 + 2


async def test_the_migration_sums_the_days_already_rolled_up(
    backend: Backend, tmp_path: Path
) -> None:
    if backend.name == "embedded":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        url = await asyncio.to_thread(create_postgres_database)
    try:
        await asyncio.to_thread(upgrade, url, "0008_hourly_through")
        engine = create_async_engine(url)
        day = date(2026, 11, 1)
        rows = [  # (link, day offset, dimension, robots, clicks, visitors)
            (1, 0, "total", False, 5, 4),
            (1, 0, "country", False, 5, 0),
            (1, 0, "total", True, 2, 1),
            (1, 3, "total", False, 1, 1),
            (1, 9, "total", False, 10, 6),
            (2, 1, "total", False, 4, 4),
        ]
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO links (id, code, domain, long_url, is_custom, status, created_at,"
                    " updated_at, click_count, clicks_used, is_safe) VALUES"
                    " (1, 'a', '', 'https://a.example', false, 'active', :at, :at, 0, 0, true),"
                    " (2, 'b', '', 'https://b.example', false, 'active', :at, :at, 0, 0, true)"
                ),
                {"at": datetime(2026, 11, 1, tzinfo=UTC)},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO click_rollups (link_id, day, dimension, value, is_bot, clicks,"
                    " unique_visitors) VALUES (:link, :day, :dimension, '', :bot, :clicks, :unique)"
                ),
                [
                    {"link": link, "day": day + timedelta(days=offset), "dimension": dimension,
                     "bot": bot, "clicks": clicks, "unique": unique}
                    for link, offset, dimension, bot, clicks, unique in rows
                ],
            )  # fmt: skip
        await engine.dispose()
        await asyncio.to_thread(upgrade, url)
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            found = (
                await connection.execute(
                    sa.text(
                        "SELECT link_id, dimension, is_bot, running_clicks, running_visitors"
                        " FROM click_rollups ORDER BY link_id, dimension, is_bot, day"
                    )
                )
            ).all()
        await engine.dispose()
        assert [tuple(row) for row in found] == [
            (1, "country", False, 0, 0),
            (1, "total", False, 5, 4),
            (1, "total", False, 6, 5),
            (1, "total", False, 16, 11),
            (1, "total", True, 2, 1),
            (2, "total", False, 4, 4),
        ]
    finally:
        if backend.name == "scaled":
            await asyncio.to_thread(drop_postgres_database, url)
