"""Every query on `click_rollups`: rolling finished days up, retention, and the conditions that
split a report between rollups and raw clicks.

The periodic jobs roll each clicked link's finished UTC days up (one row per day, dimension
and value, and a `total` row) and move `links.rolled_up_until` to today, in one transaction.
From then on reports read those days from the rollups — a few dozen rows a day instead of
every click — and only newer clicks raw. A click stored late for a day already rolled up is
added to the rollups by the worker in the transaction that stores it. Retention deletes raw
clicks of days that are rolled up and older than `CLICK_RETENTION_DAYS`, and records that in
`links.raw_kept_from`.

What rollups cannot say, and how the reports approximate it:
- Unique visitors over several days are the sum of the daily uniques, exactly as raw clicks
  count them (a visitor's hash changes with the daily salt): reports read the same.
- A rolled-up day counts as a whole: a period starting or ending inside it reads that day's
  raw clicks while they exist, and leaves the day out once retention deleted them. Hourly
  series read raw clicks, and a day whose raw clicks are deleted in its first hour.
- A late click's visitor may count twice that day (its day's other clicks are not re-read).
  Late for a day retention already emptied, its raw row stays (its event id keeps a second
  delivery out) and shows twice in hourly series only.
- Cities, languages, full referrers, IPs and individual visits go with the raw clicks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    case,
    cast,
    delete,
    distinct,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shorturl.analytics.models import Click, ClickHourly, ClickRollup
from shorturl.links.models import Link, LinkStatus

__all__ = [
    "DIMENSIONS",
    "TOTAL",
    "CountedClicks",
    "RollupRepository",
    "breakdown_rows",
    "dimension_of",
    "first_full_day",
    "min_days",
    "utc_naive",
]

DIMENSIONS: Final = (
    "country",
    "device",
    "browser",
    "os",
    "referrer_host",
    "bot",  # `kind:name` (`preview:Twitterbot`, `human:`): bots and previews by name
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "destination",
)
TOTAL: Final = "total"  # the row of a day with every click, value ''
_KEY: Final = ("link_id", "day", "dimension", "value", "is_bot")


@dataclass(frozen=True, slots=True)
class CountedClicks:
    """Clicks counted somewhere else (an importer's history): `clicks` at `at`, with what is
    known of them per dimension (a dimension left out, or None, is unknown)."""

    link_id: int
    at: datetime
    clicks: int
    is_bot: bool = False
    values: Mapping[str, str | None] = field(default_factory=dict)


class RollupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # rolling up

    async def links_to_roll_up(self, today: date, limit: int) -> list[int]:
        """Links with human clicks since their last roll-up, not yet rolled up to `today`."""
        last_click = utc_naive(self._dialect(), Link.last_clicked_at)
        rows = await self.session.scalars(
            select(Link.id)
            .where(
                Link.status != LinkStatus.DELETED,
                Link.last_clicked_at.is_not(None),
                or_(
                    Link.rolled_up_until.is_(None),
                    (Link.rolled_up_until < today) & (last_click >= Link.rolled_up_until),
                ),
            )
            .order_by(Link.id)
            .limit(limit)
        )
        return list(rows.all())

    async def watermarks(self, link_ids: Sequence[int]) -> dict[int, date | None]:
        """`rolled_up_until` of each of these links (read after locking them)."""
        rows = await self.session.execute(
            select(Link.id, Link.rolled_up_until).where(Link.id.in_(link_ids))
        )
        return {row.id: row.rolled_up_until for row in rows}

    async def roll_up(self, link_ids: Sequence[int], today: date) -> None:
        """Add the clicks of these links from their `rolled_up_until` to `today` (exclusive)
        to the rollups and move `rolled_up_until` to `today`. The caller holds the links
        locked and passes only links whose `rolled_up_until` is before `today`."""
        by_watermark: dict[date | None, list[int]] = defaultdict(list)
        for link_id, watermark in (await self.watermarks(link_ids)).items():
            by_watermark[watermark].append(link_id)
        end = datetime.combine(today, time())
        for watermark, ids in by_watermark.items():
            where = [Click.link_id.in_(ids), Click.clicked_at < end]
            if watermark is not None:
                where.append(Click.clicked_at >= datetime.combine(watermark, time()))
            await self.add(where)
            await self.run_totals(ids, watermark)
        await self.session.execute(
            update(Link)
            .where(Link.id.in_(link_ids))
            .values(rolled_up_until=today)
            .execution_options(synchronize_session=False)
        )

    async def add(self, where: Sequence[ColumnElement[bool]]) -> None:
        """Add the counted clicks matching `where` to the rollups: per day, dimension value
        and robot flag, clicks and distinct visitors."""
        insert = pg_insert if self._dialect() == "postgresql" else sqlite_insert
        day = self._click_day()
        for dimension in (TOTAL, *DIMENSIONS):
            value = (
                literal("") if dimension == TOTAL else func.coalesce(dimension_of(dimension), "")
            )
            grouped = (
                select(
                    Click.link_id,
                    day,
                    literal(dimension),
                    value,
                    Click.is_bot,
                    func.count(),
                    func.count(distinct(Click.visitor_hash)),
                )
                .where(*where, Click.is_counted.is_(True), true())  # SQLite upsert: a WHERE
                .group_by(Click.link_id, day, value, Click.is_bot)
            )
            statement = insert(ClickRollup).from_select(
                [*_KEY, "clicks", "unique_visitors"], grouped
            )
            statement = statement.on_conflict_do_update(
                index_elements=list(_KEY),
                set_={
                    "clicks": ClickRollup.clicks + statement.excluded.clicks,
                    "unique_visitors": ClickRollup.unique_visitors
                    + statement.excluded.unique_visitors,
                },
            )
            await self.session.execute(statement)

    async def run_totals(self, link_ids: Sequence[int], since: date | None) -> None:
        """Bring the running totals of these links' `total` rows from day `since` on (None:
        all of them) up to date, after clicks were added to those days: each row's clicks
        and visitors added to those of the row before it."""
        if not link_ids:
            return
        rows = ClickRollup
        before = aliased(ClickRollup)
        where = [rows.link_id.in_(link_ids), rows.dimension == TOTAL]
        bases: list[ColumnElement[Any]] = [literal(0), literal(0)]
        if since is not None:
            where.append(rows.day >= since)
            bases = [
                func.coalesce(
                    select(column)
                    .where(
                        before.link_id == rows.link_id,
                        before.is_bot == rows.is_bot,
                        before.dimension == TOTAL,
                        before.day < since,
                    )
                    .order_by(before.day.desc())
                    .limit(1)
                    .scalar_subquery(),
                    0,
                )
                for column in (before.running_clicks, before.running_visitors)
            ]
        partition, order = (rows.link_id, rows.is_bot), rows.day
        summed = (
            select(
                rows.id,
                (
                    func.sum(rows.clicks).over(partition_by=partition, order_by=order) + bases[0]
                ).label("clicks"),
                (
                    func.sum(rows.unique_visitors).over(partition_by=partition, order_by=order)
                    + bases[1]
                ).label("visitors"),
            )
            .where(*where)
            .subquery("summed")
        )
        await self.session.execute(
            update(ClickRollup)
            .where(ClickRollup.id == summed.c.id)
            .values(running_clicks=summed.c.clicks, running_visitors=summed.c.visitors)
            .execution_options(synchronize_session=False)
        )

    async def add_counted(self, counted: Sequence[CountedClicks]) -> None:
        """Add clicks that have no raw rows (imported history) to the rollups, where every
        report reads them. Visitors are unknown: they add no unique visitors."""
        sums: dict[tuple[int, date, str, str, bool], int] = defaultdict(int)
        for item in counted:
            day = item.at.astimezone(UTC).date() if item.at.tzinfo else item.at.date()
            sums[(item.link_id, day, TOTAL, "", item.is_bot)] += item.clicks
            for dimension in DIMENSIONS:
                value = (item.values.get(dimension) or "")[:255]
                sums[(item.link_id, day, dimension, value, item.is_bot)] += item.clicks
        if not sums:
            return
        insert = pg_insert if self._dialect() == "postgresql" else sqlite_insert
        rows = [
            {**dict(zip(_KEY, key, strict=True)), "clicks": clicks, "unique_visitors": 0}
            for key, clicks in sums.items()
        ]
        statement = insert(ClickRollup)
        statement = statement.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={"clicks": ClickRollup.clicks + statement.excluded.clicks},
        )
        for start in range(0, len(rows), 1000):  # bound parameters per statement
            await self.session.execute(statement, rows[start : start + 1000])
        await self.run_totals_from(min_days(key[:2] for key in sums))

    async def run_totals_from(self, first_days: Mapping[int, date]) -> None:
        """`run_totals` for each link from its day (of a late or imported click) on, the
        links of one day in one statement."""
        by_day: dict[date, list[int]] = defaultdict(list)
        for link_id, day in first_days.items():
            by_day[day].append(link_id)
        for day, ids in by_day.items():
            for start in range(0, len(ids), 5000):
                await self.run_totals(ids[start : start + 5000], day)

    # retention

    async def links_to_purge(self, keep_from: date, limit: int) -> list[int]:
        """Links with rolled-up raw clicks that retention has not deleted up to `keep_from`
        (or up to their `rolled_up_until`, when that is older)."""
        upto = self._purge_upto(keep_from)
        rows = await self.session.scalars(
            select(Link.id)
            .where(
                Link.rolled_up_until.is_not(None),
                or_(Link.raw_kept_from.is_(None), Link.raw_kept_from < upto),
            )
            .order_by(Link.id)
            .limit(limit)
        )
        return list(rows.all())

    async def purge(self, link_ids: Sequence[int], keep_from: date) -> int:
        """Delete the raw clicks of these links before `keep_from` that are rolled up; how
        many. The caller holds the links locked."""
        deleted = 0
        by_day: dict[date, list[int]] = defaultdict(list)
        for link_id, watermark in (await self.watermarks(link_ids)).items():
            if watermark is not None:
                by_day[min(watermark, keep_from)].append(link_id)
        for upto, ids in by_day.items():
            result = await self.session.execute(
                delete(Click).where(
                    Click.link_id.in_(ids), Click.clicked_at < datetime.combine(upto, time())
                )
            )
            deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
            await self.session.execute(
                update(Link)
                .where(Link.id.in_(ids))
                .values(raw_kept_from=upto)
                .execution_options(synchronize_session=False)
            )
        return deleted

    # reports: the rolled-up side of each (see ClickRepository for the filter's meaning)

    async def totals(self, where: Sequence[ColumnElement[bool]]) -> tuple[int, int]:
        row = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(ClickRollup.clicks), 0),
                    func.coalesce(func.sum(ClickRollup.unique_visitors), 0),
                ).where(*where, ClickRollup.dimension == TOTAL)
            )
        ).one()
        return int(row[0]), int(row[1])

    async def series(self, where: Sequence[ColumnElement[bool]]) -> list[tuple[datetime, int, int]]:
        """(midnight of the day, clicks, unique visitors) per rolled-up day."""
        statement = (
            select(
                ClickRollup.day,
                func.sum(ClickRollup.clicks),
                func.sum(ClickRollup.unique_visitors),
            )
            .where(*where, ClickRollup.dimension == TOTAL)
            .group_by(ClickRollup.day)
        )
        return [
            (datetime.combine(_as_date(row[0]), time()), int(row[1]), int(row[2]))
            for row in await self.session.execute(statement)
        ]

    @staticmethod
    def running_per_link(
        link_ids: Sequence[int] | None,
        owner_id: int | None,
        since: datetime | None,
        until: datetime | None,
        include_bots: bool,
        *,
        also: ColumnElement[bool] | None = None,
    ) -> Select[int, int, int]:
        """(link id, clicks, unique visitors) of the rolled-up whole days inside [since,
        until) of the links `conditions` selects (and `also`, a condition on `Link`), each
        the difference of two running totals: an index probe at either end, however long
        the period (four with robots)."""
        first = first_full_day(since) if since is not None else None
        end = until.date() if until is not None else None
        links = _links_of(link_ids, owner_id)
        if also is not None:
            links = and_(links, also)
        if first is not None and end is not None and first >= end:
            return select(Link.id, literal(0), literal(0)).where(links)
        flags = (False, True) if include_bots else (False,)

        def between(column: Any) -> ColumnElement[int]:
            ends = [_running_before(column, flag, end) for flag in flags]
            if first is not None:
                ends += [-_running_before(column, flag, first) for flag in flags]
            total = ends[0]
            for other in ends[1:]:
                total = total + other
            return total

        return select(
            Link.id, between(ClickRollup.running_clicks), between(ClickRollup.running_visitors)
        ).where(links)

    @staticmethod
    def conditions(
        link_ids: Sequence[int] | None,
        owner_id: int | None,
        since: datetime | None,
        until: datetime | None,
        include_bots: bool,
        *,
        purged_only: bool = False,
        also: ColumnElement[bool] | None = None,
    ) -> list[ColumnElement[bool]]:
        """The rollup rows a report filter selects: whole days inside [since, until) of its
        links (and `also`, a condition on `Link`); with `purged_only`, only days whose raw
        clicks retention deleted (hourly series)."""
        conditions: list[ColumnElement[bool]] = []
        if not include_bots:
            conditions.append(ClickRollup.is_bot.is_(False))
        links = select(Link.id).where(_links_of(link_ids, owner_id))
        if also is not None:
            links = links.where(also)
        if purged_only:
            links = links.where(Link.raw_kept_from.is_not(None))
            conditions.append(
                ClickRollup.day
                < select(Link.raw_kept_from).where(Link.id == ClickRollup.link_id).scalar_subquery()
            )
        conditions.append(ClickRollup.link_id.in_(links))
        if since is not None:
            conditions.append(ClickRollup.day >= first_full_day(since))
        if until is not None:
            conditions.append(ClickRollup.day < until.date())
        return conditions

    def _purge_upto(self, keep_from: date) -> ColumnElement[Any]:
        return case(
            (Link.rolled_up_until < keep_from, Link.rolled_up_until), else_=literal(keep_from)
        )

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _click_day(self) -> ColumnElement[Any]:
        if self._dialect() == "postgresql":
            return cast(func.timezone(literal("UTC"), Click.clicked_at), Date)
        return func.substr(Click.clicked_at, 1, 10)  # SQLite keeps UTC as text


async def breakdown_rows(
    session: AsyncSession,
    table: type[ClickRollup] | type[ClickHourly],
    dimensions: Sequence[str],
    where: Sequence[ColumnElement[bool]],
) -> list[tuple[str, str | None, bool, int]]:
    """(dimension, value, is_bot, clicks) of these dimensions in the daily or the hourly
    rollups (same columns), in one query. One dimension is named, not read: a partial index
    of its rows (the robots') answers from the index alone."""
    if len(dimensions) == 1:
        statement = (
            select(literal(dimensions[0]), table.value, table.is_bot, func.sum(table.clicks))
            .where(*where, table.dimension == dimensions[0])
            .group_by(table.value, table.is_bot)
        )
    else:
        statement = (
            select(table.dimension, table.value, table.is_bot, func.sum(table.clicks))
            .where(*where, table.dimension.in_(dimensions))
            .group_by(table.dimension, table.value, table.is_bot)
        )
    return [
        (row[0], row[1] or None, bool(row[2]), int(row[3]))
        for row in await session.execute(statement)
    ]


def _links_of(link_ids: Sequence[int] | None, owner_id: int | None) -> ColumnElement[bool]:
    """The links a report of rollups reads: these, or those of `owner_id` (None: anonymous
    links) not deleted."""
    if link_ids is not None:
        return Link.id.in_(link_ids)
    return and_(
        Link.owner_id == owner_id if owner_id is not None else Link.owner_id.is_(None),
        Link.status != LinkStatus.DELETED,
    )


def _running_before(column: Any, is_bot: bool, day: date | None) -> ColumnElement[int]:
    """A running total (`column`) of the outer query's link at its last `total` row before
    `day` (None: its last), 0 without one."""
    probe = select(column).where(
        ClickRollup.link_id == Link.id,
        ClickRollup.is_bot.is_(is_bot),
        ClickRollup.dimension == TOTAL,
    )
    if day is not None:
        probe = probe.where(ClickRollup.day < day)
    return func.coalesce(probe.order_by(ClickRollup.day.desc()).limit(1).scalar_subquery(), 0)


def min_days(pairs: Iterable[tuple[int, date]]) -> dict[int, date]:
    """The first day of each link among (link id, day) pairs."""
    first: dict[int, date] = {}
    for link_id, day in pairs:
        if link_id not in first or day < first[link_id]:
            first[link_id] = day
    return first


def dimension_of(name: str) -> ColumnElement[Any]:
    """The value of one of `DIMENSIONS` for a raw click."""
    if name == "bot":
        return Click.kind + literal(":") + func.coalesce(Click.bot_name, "")
    return Click.__table__.c[name]


def utc_naive(dialect: str, column: Any) -> ColumnElement[Any]:
    """A timestamp column as naive UTC, comparable with a DATE on both databases."""
    if dialect == "postgresql":
        return func.timezone(literal("UTC"), column)
    return column  # SQLite: 'YYYY-MM-DD HH:MM:SS' text sorts against 'YYYY-MM-DD'


def first_full_day(moment: datetime) -> date:
    """The first UTC day whose midnight is not before `moment`."""
    day = moment.date()
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if moment == midnight else day + timedelta(days=1)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
