"""Every query on `click_hourly`: rolling finished hours up, and which hours a report reads
there instead of raw clicks.

The periodic jobs roll each clicked link's clicks since its watermark up (a row per hour,
dimension and value, and a `total` row) and keep the hours of today and yesterday only
(`HOURLY_DAYS`): older days are read from the daily rollups (analytics/rollups.py). The
watermark is `links.hourly_until` (the hours before it are whole) and `hourly_through`: the
hour in progress is rolled up too, in slices up to the last `SLICE` boundary, so a report
reads raw clicks only for the minutes since the last run of the jobs (a viral link's hour
in progress held 150,000 raw clicks, a second of reading: bench/analytics_10m.py) and for
partial hours at its ends. A click stored late, before its link's watermark, is added by
the worker when it stores it.

Unique visitors: a `total` row counts the distinct visitors of its hour (hourly series) and
the visitors whose first click of that UTC day on the link falls in its hour (totals and
daily series), so the hours of a day from midnight add up to its unique visitors exactly;
a slice adds those whose first click of the hour (of the day) falls in it, so the hour rolled
up in slices counts what it would have counted whole. A
period starting inside a day counts there the visitors first seen in it, not those back from
earlier that day. Where a report adds raw clicks to hours of the same day (the hour in progress), a
visitor seen in both counts twice, as a late click's visitor does in the daily rollups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
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

from shorturl.analytics.models import Click, ClickHourly
from shorturl.analytics.rollups import DIMENSIONS, TOTAL, dimension_of
from shorturl.links.models import Link, LinkStatus

__all__ = [
    "HOURLY_DAYS",
    "SLICE",
    "HourlyRepository",
    "epoch_hour",
    "epoch_seconds",
    "hour_start",
    "hourly_ranges",
    "slice_end",
]

HOURLY_DAYS: Final = 2  # today and yesterday: any 24-hour period
# The hour in progress is rolled up to a multiple of this many seconds: few distinct
# watermarks among an account's links (a report reads each group of them apart).
SLICE: Final = 300
_KEY: Final = ("link_id", "hour", "dimension", "value", "is_bot")
_IDS_PER_QUERY: Final = 5000


def epoch_seconds(moment: datetime) -> float:
    """`moment` (naive: UTC) as seconds since 1970."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def epoch_hour(moment: datetime) -> int:
    """The hour holding `moment`, as hours since 1970 (UTC)."""
    return int(epoch_seconds(moment)) // 3600


def hour_start(hour: int) -> datetime:
    return datetime.fromtimestamp(hour * 3600, UTC)


def first_kept_hour(today: date) -> int:
    """The first hour hourly rollups keep: midnight `HOURLY_DAYS - 1` days before today."""
    start = datetime(today.year, today.month, today.day, tzinfo=UTC)
    return epoch_hour(start - timedelta(days=HOURLY_DAYS - 1))


def hourly_ranges(
    since: datetime | None,
    until: datetime | None,
    covered: tuple[int, int] | None,
    through: datetime | None = None,
) -> tuple[tuple[int, int] | None, list[tuple[datetime | None, datetime | None]]]:
    """Split [since, until) into the hours read from hourly rollups (those inside `covered`,
    [first, end) in hours) and the raw time ranges around them. `through`: the rollups also
    hold the hour `covered[1]` up to that moment, read there when the range holds all of it."""
    if covered is None:
        return None, [(since, until)]
    first = covered[0]
    if since is not None:
        start = epoch_hour(since)
        first = max(first, start if hour_start(start) == since else start + 1)
    end = covered[1] if until is None else min(covered[1], epoch_hour(until))
    raw_from = hour_start(end)  # where raw clicks take over after the rolled-up hours
    if (
        through is not None
        and end == covered[1]
        and (until is None or through <= until)
        and (since is None or since <= raw_from)
    ):
        end, raw_from = end + 1, through
    if first >= end:
        return None, [(since, until)]
    raw: list[tuple[datetime | None, datetime | None]] = []
    if since is None or since < hour_start(first):
        raw.append((since, hour_start(first)))
    if until is None or raw_from < until:
        raw.append((raw_from, until))
    return (first, end), raw


def slice_end(now: datetime) -> int:
    """How far the jobs roll clicks up at `now`: its last `SLICE` boundary (epoch seconds)."""
    moment = int(now.timestamp())
    return moment - moment % SLICE


class HourlyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # rolling up

    async def links_to_roll_up(self, end: int, limit: int) -> list[int]:
        """Links with human clicks since their watermark, not rolled up to `end` (seconds)."""
        mark = self._watermark()
        rows = await self.session.scalars(
            select(Link.id)
            .where(
                Link.status != LinkStatus.DELETED,
                Link.last_clicked_at.is_not(None),
                or_(
                    Link.hourly_until.is_(None),
                    (mark < end) & (self.second_of(Link.last_clicked_at) >= mark),
                ),
            )
            .order_by(Link.id)
            .limit(limit)
        )
        return list(rows.all())

    async def watermarks(self, link_ids: Sequence[int]) -> dict[int, int | None]:
        """Each link's watermark in seconds: its clicks before it are rolled up (None: none)."""
        rows = await self.session.execute(
            select(Link.id, self._watermark()).where(Link.id.in_(link_ids))
        )
        return {row[0]: None if row[1] is None else int(row[1]) for row in rows}

    async def roll_up(self, link_ids: Sequence[int], end: int, today: date) -> None:
        """Add the clicks of these links from their watermark to `end` (seconds, at most
        now: the hour in progress up to there) to the hourly rollups, forget the hours before
        `first_kept_hour(today)`, and move the watermarks. The caller holds the links locked."""
        keep_from = first_kept_hour(today) * 3600
        by_start: dict[int, list[int]] = defaultdict(list)
        for link_id, mark in (await self.watermarks(link_ids)).items():
            by_start[keep_from if mark is None or mark < keep_from else mark].append(link_id)
        await self.session.execute(
            delete(ClickHourly).where(
                ClickHourly.link_id.in_(link_ids), ClickHourly.hour < keep_from // 3600
            )
        )
        for start, ids in by_start.items():
            if start < end:
                await self.add(ids, start, end)
            moved = max(start, end)
            await self.session.execute(
                update(Link)
                .where(Link.id.in_(ids))
                .values(
                    hourly_until=moved // 3600,
                    hourly_through=moved if moved % 3600 else None,
                    # a gap (the link unclicked for days) restarts the covered hours
                    hourly_from=start // 3600
                    if start == keep_from
                    else func.coalesce(Link.hourly_from, start // 3600),
                )
                .execution_options(synchronize_session=False)
            )
        await self.session.execute(
            update(Link)
            .where(Link.id.in_(link_ids), Link.hourly_from < keep_from // 3600)
            .values(hourly_from=keep_from // 3600)
            .execution_options(synchronize_session=False)
        )

    async def add(self, link_ids: Sequence[int], start: int, end: int) -> None:
        """Roll the counted clicks of these links in [start, end) (seconds) up."""
        hour = self.hour_of(Click.clicked_at)
        in_range = [
            Click.link_id.in_(link_ids),
            Click.clicked_at >= _moment(start),
            Click.clicked_at < _moment(end),
            Click.is_counted.is_(True),
        ]
        for dimension in (TOTAL, *DIMENSIONS):
            value = (
                literal("") if dimension == TOTAL else func.coalesce(dimension_of(dimension), "")
            )
            await self._upsert(
                select(
                    Click.link_id,
                    hour,
                    literal(dimension),
                    value,
                    Click.is_bot,
                    func.count(),
                    literal(0),
                    literal(0),
                )
                .where(*in_range, true())  # SQLite upsert: a WHERE
                .group_by(Click.link_id, hour, value, Click.is_bot)
            )
        await self._add_first_visits(link_ids, start, end, of_day=False)
        await self._add_first_visits(link_ids, start, end, of_day=True)

    async def _add_first_visits(
        self, link_ids: Sequence[int], start: int, end: int, *, of_day: bool
    ) -> None:
        """Each visitor of [start, end) whose first click of its hour (`of_day`: of its UTC
        day) on the link is in there counts in the `total` row of that click's hour: the
        hour's distinct visitors (its new visitors), whether rolled up whole or in slices."""
        hour = self.hour_of(Click.clicked_at)
        span = 86400 if of_day else 3600
        first = (
            select(
                Click.link_id.label("link_id"),
                Click.is_bot.label("is_bot"),
                func.min(Click.clicked_at).label("at"),
                func.min(hour).label("hour"),  # the hour of that first click
            )
            .where(
                Click.link_id.in_(link_ids),
                Click.clicked_at >= _moment(start - start % span),
                Click.clicked_at < _moment(end),
                Click.is_counted.is_(True),
                Click.visitor_hash.is_not(None),
            )
            .group_by(
                Click.link_id, Click.is_bot, Click.visitor_hash, hour // 24 if of_day else hour
            )
            .subquery()
        )
        counted = func.count()
        await self._upsert(
            select(
                first.c.link_id,
                first.c.hour,
                literal(TOTAL),
                literal(""),
                first.c.is_bot,
                literal(0),
                literal(0) if of_day else counted,
                counted if of_day else literal(0),
            )
            .where(first.c.at >= _moment(start), true())
            .group_by(first.c.link_id, first.c.hour, first.c.is_bot)
        )

    async def add_late(self, event_ids: Sequence[str]) -> None:
        """Clicks stored after their hour was rolled up (worker): into those hours' rows,
        each new visitor of the batch once."""
        for offset in range(0, len(event_ids), _IDS_PER_QUERY):
            chunk = event_ids[offset : offset + _IDS_PER_QUERY]
            hour = self.hour_of(Click.clicked_at)
            for dimension in (TOTAL, *DIMENSIONS):
                value = (
                    literal("")
                    if dimension == TOTAL
                    else func.coalesce(dimension_of(dimension), "")
                )
                await self._upsert(
                    select(
                        Click.link_id,
                        hour,
                        literal(dimension),
                        value,
                        Click.is_bot,
                        func.count(),
                        *[
                            func.count(distinct(Click.visitor_hash))
                            if dimension == TOTAL
                            else literal(0)
                        ]
                        * 2,
                    )
                    .where(Click.event_id.in_(chunk), Click.is_counted.is_(True), true())
                    .group_by(Click.link_id, hour, value, Click.is_bot)
                )

    async def _upsert(self, grouped: Any) -> None:
        insert = pg_insert if self._dialect() == "postgresql" else sqlite_insert
        statement = insert(ClickHourly).from_select(
            [*_KEY, "clicks", "unique_visitors", "new_visitors"], grouped
        )
        statement = statement.on_conflict_do_update(
            index_elements=list(_KEY),
            set_={
                "clicks": ClickHourly.clicks + statement.excluded.clicks,
                "unique_visitors": ClickHourly.unique_visitors + statement.excluded.unique_visitors,
                "new_visitors": ClickHourly.new_visitors + statement.excluded.new_visitors,
            },
        )
        await self.session.execute(statement)

    # reports: the hourly side of each

    async def totals(self, where: Sequence[ColumnElement[bool]]) -> tuple[int, int]:
        row = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(ClickHourly.clicks), 0),
                    func.coalesce(func.sum(ClickHourly.new_visitors), 0),
                ).where(*where, ClickHourly.dimension == TOTAL)
            )
        ).one()
        return int(row[0]), int(row[1])

    async def series(
        self, hourly: bool, where: Sequence[ColumnElement[bool]]
    ) -> list[tuple[datetime, int, int]]:
        """(start of the hour or UTC day, clicks, unique visitors) per bucket with clicks."""
        bucket: Any = ClickHourly.hour if hourly else ClickHourly.hour // 24 * 24
        visitors = ClickHourly.unique_visitors if hourly else ClickHourly.new_visitors
        statement = (
            select(bucket, func.sum(ClickHourly.clicks), func.sum(visitors))
            .where(*where, ClickHourly.dimension == TOTAL)
            .group_by(bucket)
        )
        return [
            (hour_start(int(row[0])).replace(tzinfo=None), int(row[1]), int(row[2]))
            for row in await self.session.execute(statement)
        ]

    @staticmethod
    def clicks_per_link(where: Sequence[ColumnElement[bool]]) -> Select[int, int, int]:
        """(link id, clicks, unique visitors) of the rows `where` selects, to sum with the
        other sources."""
        return (
            select(
                ClickHourly.link_id,
                func.sum(ClickHourly.clicks),
                func.sum(ClickHourly.new_visitors),
            )
            .where(*where, ClickHourly.dimension == TOTAL)
            .group_by(ClickHourly.link_id)
        )

    @staticmethod
    def condition(links: ColumnElement[bool], hours: tuple[int, int]) -> ColumnElement[bool]:
        """Rows of these links (a condition on `ClickHourly.link_id`) in hours [first, end)."""
        return and_(links, ClickHourly.hour >= hours[0], ClickHourly.hour < hours[1])

    def second_of(self, column: Any) -> ColumnElement[Any]:
        """A timestamp column as seconds since 1970 (UTC), on both databases."""
        if self._dialect() == "postgresql":
            return cast(func.floor(func.extract("epoch", column)), BigInteger)
        return cast(func.strftime("%s", column), Integer)  # SQLite: UTC text

    def _watermark(self) -> ColumnElement[Any]:
        """A link's watermark in seconds (`hourly_through`, else the start of `hourly_until`)."""
        return func.coalesce(Link.hourly_through, Link.hourly_until * 3600)

    def hour_of(self, column: Any) -> ColumnElement[Any]:
        """A timestamp column as hours since 1970 (UTC), on both databases."""
        if self._dialect() == "postgresql":
            return cast(
                func.floor(func.extract("epoch", column) / 3600), BigInteger
            )  # exact: floor
        return cast(func.strftime("%s", column), Integer) // 3600  # SQLite: UTC text

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
