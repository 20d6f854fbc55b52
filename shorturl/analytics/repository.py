"""Every query on clicks: idempotent inserts, link counters, and the report aggregates.

Each aggregate adds the rollups (analytics/rollups.py) of a link's days before its
`rolled_up_until` to its raw clicks from that day on: a click is read from one or the other,
never both, and reports stay whole after retention deleted old raw clicks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    distinct,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.analytics.hourly import HourlyRepository, epoch_hour, hourly_ranges
from shorturl.analytics.models import Click, ClickHourly, ClickRollup, LinkPeriodTotal
from shorturl.analytics.period_totals import TODAY, PeriodTotalsRepository, span_of
from shorturl.analytics.rollups import DIMENSIONS as ROLLED_UP
from shorturl.analytics.rollups import (
    TOTAL,
    RollupRepository,
    breakdown_rows,
    dimension_of,
    first_full_day,
    utc_naive,
)
from shorturl.links.models import Link, LinkStatus
from shorturl.storage.base import UTCDateTime
from shorturl.timestamps import utcnow

__all__ = ["Breakdown", "ClickFilter", "ClickRepository", "LinkTally", "Ranking"]

_IDS_PER_QUERY = 5000  # bound parameters per IN list: SQLite and asyncpg cap them

DIMENSIONS = {name: dimension_of(name) for name in ROLLED_UP}


# (rolled_up_until, hourly_from, hourly_until, hourly_through) of a group of links, and a
# condition on a table's `link_id` column that selects them (raw clicks, hourly rollups)
_Watermarks = tuple[date | None, int | None, int | None, int | None]
_LinksOf = Callable[[Any], ColumnElement[bool]]


@dataclass(frozen=True, slots=True)
class LinkTally:
    """What one batch adds to a link's counters."""

    link_id: int
    clicks: int  # human clicks newly stored
    last_clicked_at: datetime | None
    highest_use: int  # the highest max_clicks use number seen (0: none)


@dataclass(frozen=True, slots=True)
class ClickFilter:
    """Which clicks a report counts: of these links, in [since, until), humans unless asked."""

    link_ids: Sequence[int] | None = None  # None: every link of `owner`
    owner_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_bots: bool = False
    all_links: bool = False  # with link_ids None: every link, whoever owns it (not rollups)


@dataclass(frozen=True, slots=True)
class _Fast:
    """A report of a fixed period (`span`, period_totals.py) up to `today`, to now
    (`with_today`) or to today's midnight: the links rolled up to today are read from their
    period totals, rolled-up days and (`with_today`) hours of today alike, when their hourly
    rollups hold every hour of today they have."""

    span: int
    today: date
    with_today: bool

    def condition(self) -> ColumnElement[bool]:
        """The links served (a condition on `Link`)."""
        return and_(  # never NULL: its negation selects the links not served
            Link.rolled_up_until.is_not(None),
            Link.rolled_up_until == self.today,
            or_(Link.hourly_from.is_(None), Link.hourly_from <= self._first_hour()),
        )

    def holds(self, rolled_up_until: date | None, hourly_from: int | None) -> bool:
        """Whether links of these watermarks are served (as `condition` says)."""
        return rolled_up_until == self.today and (
            hourly_from is None or hourly_from <= self._first_hour()
        )

    def _first_hour(self) -> int:
        return epoch_hour(datetime.combine(self.today, time(), UTC))


@dataclass(frozen=True, slots=True)
class Ranking:
    """A filter's clicks and unique visitors, and its most clicked links: (code, clicks)."""

    clicks: int
    unique_visitors: int
    top: Sequence[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Clicks per (value, is_bot) of some dimensions, as `ClickRepository.breakdown` counts."""

    found: Mapping[str, Mapping[tuple[str | None, bool], int]]

    def counts(self, dimension: str, include_bots: bool) -> list[tuple[str | None, int]]:
        """Clicks per value of `dimension` (robots' only if `include_bots`), most first."""
        counts: dict[str | None, int] = defaultdict(int)
        for (value, is_bot), clicks in self.found[dimension].items():
            if include_bots or not is_bot:
                counts[value] += clicks
        return sorted(counts.items(), key=lambda item: (-item[1], item[0] is None, item[0] or ""))


class ClickRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.rollups = RollupRepository(session)
        self.hourly = HourlyRepository(session)
        self._totals: dict[tuple[Any, ...], tuple[int, int]] = {}
        self._watermark_groups: dict[object, dict[_Watermarks, _LinksOf]] = {}

    # recording

    async def lock_links(self, link_ids: Iterable[int]) -> dict[int, str]:
        """Lock these links until the transaction ends and return the status of each that
        exists. Held while clicks are stored, so an account deletion that erases the links'
        clicks cannot slip in between: it either waits for them or goes first."""
        ids = sorted(set(link_ids))
        if self._dialect() == "postgresql":
            statement = (
                select(Link.id, Link.status)
                .where(Link.id.in_(ids))
                .order_by(Link.id)  # one order for every worker: no deadlock
                .with_for_update()
            )
            return {row.id: row.status for row in await self.session.execute(statement)}
        # SQLite has no row locks: a write takes the database's write lock for the transaction
        links = cast(Table, Link.__table__)
        await self.session.execute(
            update(links).where(links.c.id.in_(ids)).values(clicks_used=links.c.clicks_used)
        )
        rows = await self.session.execute(select(Link.id, Link.status).where(Link.id.in_(ids)))
        return {row.id: row.status for row in rows}

    async def destinations(self, link_ids: Iterable[int]) -> dict[int, str]:
        """The destination URL of each of these links."""
        rows = await self.session.execute(
            select(Link.id, Link.long_url).where(Link.id.in_(sorted(set(link_ids))))
        )
        return {row.id: row.long_url for row in rows}

    async def insert_new(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Insert the clicks whose event id is not stored yet; the event ids inserted.

        PostgreSQL: one statement, the rows passed as one array a column (`unnest`), ON
        CONFLICT DO NOTHING RETURNING the ids inserted. SQLite: the caller holds the clicks'
        links locked (`lock_links`), so nobody stores the same events meanwhile: the ids
        already stored are looked up first, and the rest inserted in one executemany without
        RETURNING (which SQLAlchemy splices row by row, quadratic in the batch)."""
        if not rows:
            return set()
        if self._dialect() == "postgresql":
            return await self._insert_unnest(rows)
        ids = [row["event_id"] for row in rows]
        stored: set[str] = set()
        for start in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[start : start + _IDS_PER_QUERY]
            found = await self.session.scalars(
                select(Click.event_id).where(Click.event_id.in_(chunk))
            )
            stored.update(found.all())
        fresh = [row for row in rows if row["event_id"] not in stored]
        if fresh:
            await self._insert_executemany(fresh)
        return {row["event_id"] for row in fresh}

    async def _insert_executemany(self, rows: Sequence[dict[str, Any]]) -> None:
        """SQLite: one executemany of plain tuples, each value through its column type's
        bind processor. A Core insert does the same with a dictionary of parameters built
        and checked per row: 22 µs of CPU a row for the insert, against 15 µs so (a click
        stored by the embedded worker, bench/enrich.py: 59 → 52 µs)."""
        connection = await self.session.connection()
        clicks = cast(Table, Click.__table__)
        names = list(rows[0])
        processors = [clicks.c[name].type.bind_processor(connection.dialect) for name in names]
        columns = ", ".join(f'"{name}"' for name in names)
        await connection.exec_driver_sql(
            f"INSERT INTO clicks ({columns}) VALUES ({', '.join('?' * len(names))})"
            " ON CONFLICT (event_id) DO NOTHING",
            [
                tuple(
                    row[name] if process is None else process(row[name])
                    for name, process in zip(names, processors, strict=True)
                )
                for row in rows
            ],
        )

    async def _insert_unnest(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        clicks = cast(Table, Click.__table__)
        names = list(rows[0])
        columns = (
            func.unnest(
                *(
                    bindparam(
                        f"u_{name}", [row[name] for row in rows], type_=ARRAY(clicks.c[name].type)
                    )
                    for name in names
                )
            )
            .table_valued(*names)
            .render_derived()
        )
        statement = (
            pg_insert(clicks)
            .from_select(names, select(*columns.c))
            .on_conflict_do_nothing(index_elements=[clicks.c.event_id])
            .returning(clicks.c.event_id)
        )
        return set((await self.session.scalars(statement)).all())

    async def add_to_links(self, tallies: Sequence[LinkTally]) -> None:
        """Add each tally to its link's click_count, last_clicked_at and clicks_used.

        One UPDATE per link per batch, in id order (two workers never wait on each other in
        a cycle), so a viral link's row is written once a batch, not once a click."""
        links = cast(Table, Link.__table__)
        at = bindparam("b_at", type_=UTCDateTime)
        use: BindParameter[int] = bindparam("b_use")
        statement = (
            update(links)
            .where(links.c.id == bindparam("b_id"))
            .values(
                click_count=links.c.click_count + bindparam("b_clicks"),
                last_clicked_at=case(
                    (
                        and_(
                            at.is_not(None),
                            or_(links.c.last_clicked_at.is_(None), links.c.last_clicked_at < at),
                        ),
                        at,
                    ),
                    else_=links.c.last_clicked_at,
                ),
                clicks_used=case((links.c.clicks_used < use, use), else_=links.c.clicks_used),
            )
        )
        params = [
            {
                "b_id": tally.link_id,
                "b_clicks": tally.clicks,
                "b_at": tally.last_clicked_at,
                "b_use": tally.highest_use,
            }
            for tally in sorted(tallies, key=lambda tally: tally.link_id)
        ]
        if params:
            await self.session.execute(statement, params)

    # reports

    def _links(self, spec: ClickFilter) -> ColumnElement[bool]:
        if spec.link_ids is not None:
            return Link.id.in_(spec.link_ids)
        if spec.all_links:
            return Link.status != LinkStatus.DELETED
        return and_(
            Link.owner_id == spec.owner_id
            if spec.owner_id is not None
            else Link.owner_id.is_(None),
            Link.status != LinkStatus.DELETED,
        )

    def _where(self, spec: ClickFilter) -> list[ColumnElement[bool]]:
        """Every raw click the filter selects, rolled up or not (visits, hourly series)."""
        conditions: list[ColumnElement[bool]] = [Click.is_counted.is_(True)]
        if not spec.include_bots:
            conditions.append(Click.is_bot.is_(False))
        if spec.link_ids is not None:
            conditions.append(Click.link_id.in_(spec.link_ids))
        else:
            conditions.append(Click.link_id.in_(select(Link.id).where(self._links(spec))))
        if spec.since is not None:
            conditions.append(Click.clicked_at >= spec.since)
        if spec.until is not None:
            conditions.append(Click.clicked_at < spec.until)
        return conditions

    async def _not_rolled_up(
        self, spec: ClickFilter, *, daily: bool = True, fast: _Fast | None = None
    ) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
        """What a report reads beside the daily rollups: (conditions on raw clicks,
        conditions on hourly rollups). For each link, the clicks from its `rolled_up_until`
        on and those of a partial day at either end of the period (daily rollups hold whole
        days only), of which the whole hours its hourly rollups hold are read there. Without
        `daily` (hourly series), no day is left to the daily rollups. With `fast`, its links
        read no hourly rollups (their period totals hold them). Index-friendly ranges, per
        group of links that share their watermarks."""
        conditions: list[ColumnElement[bool]] = [Click.is_counted.is_(True)]
        hourly_conditions: list[ColumnElement[bool]] = []
        if not spec.include_bots:
            conditions.append(Click.is_bot.is_(False))
            hourly_conditions.append(ClickHourly.is_bot.is_(False))
        groups = await self._links_by_watermark(spec)
        if not groups:
            return [false()], [false()]
        since, until = spec.since, spec.until
        # the daily rollups serve whole days in [first_full, until's day) before the watermark
        first_full = _midnight(first_full_day(since)) if since is not None else None
        last_full = _midnight(until.date()) if until is not None else None
        raw_parts, hourly_parts = [], []
        for (watermark, hourly_from, hourly_until, through), links in groups.items():
            ranges: list[tuple[datetime | None, datetime | None]] = [(since, until)]
            if daily and watermark is not None:
                rolled_end = _midnight(watermark)
                if last_full is not None:
                    rolled_end = min(rolled_end, last_full)
                if first_full is None:
                    ranges = [(rolled_end, until)]
                elif first_full < rolled_end:
                    ranges = [(since, first_full), (rolled_end, until)]
            covered = (
                (hourly_from, hourly_until)
                if hourly_from is not None and hourly_until is not None
                else None
            )
            raw_ranges = []
            for start, end in ranges:
                hours, rest = hourly_ranges(
                    start, end, covered, None if through is None else _moment(through)
                )
                raw_ranges.extend(rest)
                if hours is not None and not (fast and fast.holds(watermark, hourly_from)):
                    hourly_parts.append(HourlyRepository.condition(links(ClickHourly), hours))
            if raw_ranges:
                raw_parts.append(and_(links(Click), or_(*(_between(a, b) for a, b in raw_ranges))))
        conditions.append(or_(*raw_parts) if raw_parts else false())
        hourly_conditions.append(or_(*hourly_parts) if hourly_parts else false())
        return conditions, hourly_conditions

    async def _links_by_watermark(self, spec: ClickFilter) -> dict[_Watermarks, _LinksOf]:
        """For each (`rolled_up_until`, `hourly_from`, `hourly_until`, `hourly_through`)
        among the filter's links, a condition selecting those links on a table's `link_id`;
        read once per repository (one report)."""
        key = (tuple(spec.link_ids) if spec.link_ids is not None else None, spec.owner_id)
        if key in self._watermark_groups:
            return self._watermark_groups[key]
        groups: dict[_Watermarks, _LinksOf] = {}
        marks = (Link.rolled_up_until, Link.hourly_from, Link.hourly_until, Link.hourly_through)
        if spec.link_ids is not None:  # a few links: their ids, for index range scans
            ids: dict[_Watermarks, list[int]] = defaultdict(list)
            rows = await self.session.execute(select(*marks, Link.id).where(self._links(spec)))
            for day, first, end, through, link_id in rows:
                ids[(day, first, end, through)].append(link_id)
            groups = {marks_of: partial(_link_in, group) for marks_of, group in ids.items()}
        else:  # an owner's links, maybe very many: subqueries
            found = await self.session.execute(select(*marks).where(self._links(spec)).distinct())
            for values in found.all():
                same = and_(
                    *(
                        column.is_(None) if value is None else column == value
                        for column, value in zip(marks, values, strict=True)
                    )
                )
                chosen = select(Link.id).where(self._links(spec), same)
                groups[(values[0], values[1], values[2], values[3])] = partial(_link_in, chosen)
        self._watermark_groups[key] = groups
        return groups

    def _rolled_up(
        self,
        spec: ClickFilter,
        *,
        purged_only: bool = False,
        also: ColumnElement[bool] | None = None,
    ) -> list[ColumnElement[bool]]:
        return RollupRepository.conditions(
            spec.link_ids,
            spec.owner_id,
            spec.since,
            spec.until,
            spec.include_bots,
            purged_only=purged_only,
            also=also,
        )

    def _fast(self, spec: ClickFilter) -> _Fast | None:
        """Which of the filter's links its period totals serve, if its period is one of them."""
        today = utcnow().date()
        span = span_of(spec.since, spec.until, today)
        return None if span is None else _Fast(span, today, spec.until is None)

    def _per_link(
        self, spec: ClickFilter, fast: _Fast | None
    ) -> tuple[list[Select[int, int, int]], list[Select[int, int, int]]]:
        """(link id, clicks, visitors) selects of the filter's rolled-up days and of its
        hours in the hourly rollups from period totals (the links `fast` serves), and of the
        rest of its rolled-up days from running totals. The hourly rollups of the others:
        `_not_rolled_up`."""
        rolled = [
            RollupRepository.running_per_link(
                spec.link_ids,
                spec.owner_id,
                spec.since,
                spec.until,
                spec.include_bots,
                also=not_(fast.condition()) if fast else None,
            )
        ]
        if fast is None:
            return rolled, []
        served = LinkPeriodTotal.link_id.in_(
            select(Link.id).where(self._links(spec), fast.condition())
        )
        if fast.span != TODAY:
            rolled.append(
                PeriodTotalsRepository.per_link(served, fast.span, fast.today, spec.include_bots)
            )
        hours = (
            [PeriodTotalsRepository.per_link(served, TODAY, fast.today, spec.include_bots)]
            if fast.with_today
            else []
        )
        return rolled, hours

    async def _summed(self, selects: Sequence[Select[int, int, int]]) -> tuple[int, int]:
        """The clicks and visitors of these per-link selects, added up."""
        if not selects:
            return 0, 0
        per_link = union_all(*selects).subquery("per_link")
        _, clicks, visitors = per_link.c
        row = (
            await self.session.execute(
                select(func.coalesce(func.sum(clicks), 0), func.coalesce(func.sum(visitors), 0))
            )
        ).one()
        return int(row[0]), int(row[1])

    async def totals(self, spec: ClickFilter) -> tuple[int, int]:
        """(clicks, unique visitors). Hashes are salted per day, so a visitor counts once a
        day: uniques over a period are the sum of daily uniques (as rollups keep them).
        Kept per filter for the repository's life (a summary asks for one twice)."""
        key = _key_of(spec)
        if key in self._totals:
            return self._totals[key]
        fast = self._fast(spec)
        raw, hourly = await self._not_rolled_up(spec, fast=fast)
        row = (
            await self.session.execute(
                select(func.count(), func.count(distinct(Click.visitor_hash))).where(*raw)
            )
        ).one()
        rolled, hours = self._per_link(spec, fast)
        clicks, unique = await self._summed([*rolled, *hours])
        hour_clicks, hour_unique = await self.hourly.totals(hourly)
        found = int(row[0]) + clicks + hour_clicks, int(row[1]) + unique + hour_unique
        self._totals[key] = found
        return found

    async def clicks(self, spec: ClickFilter) -> int:
        """The clicks of `totals` without its unique visitors, which cost a distinct count."""
        key = _key_of(spec)
        if key in self._totals:
            return self._totals[key][0]
        return (await self.clicks_of([spec]))[0]

    async def clicks_of(self, specs: Sequence[ClickFilter]) -> list[int]:
        """The clicks of each filter, all in one statement (a summary's growth windows)."""
        parts: list[Select[int, int]] = []
        for index, spec in enumerate(specs):
            fast = self._fast(spec)
            raw, hourly = await self._not_rolled_up(spec, fast=fast)
            parts.append(select(literal(index), func.count()).where(*raw))
            rolled, hours = self._per_link(spec, fast)
            for per_link in (*rolled, *hours):
                clicks = per_link.subquery().c[1]
                parts.append(select(literal(index), func.coalesce(func.sum(clicks), 0)))
            parts.append(
                select(literal(index), func.coalesce(func.sum(ClickHourly.clicks), 0)).where(
                    *hourly, ClickHourly.dimension == TOTAL
                )
            )
        every = union_all(*parts).subquery("every")
        spec_index, clicks = every.c
        statement = select(spec_index, func.sum(clicks)).group_by(spec_index)
        found = {row[0]: row[1] for row in await self.session.execute(statement)}
        return [int(found.get(index) or 0) for index in range(len(specs))]

    async def breakdown(
        self, spec: ClickFilter, dimensions: Sequence[str], *, robots_only: bool = False
    ) -> Breakdown:
        """Clicks per value of each of `dimensions`, robots and humans apart (whatever the
        filter says of robots; `robots_only`: robots alone): one query on raw clicks (every
        dimension over one scan of the rows), one on the daily rollups and one on the hourly
        rollups, however many dimensions a report shows."""
        spec = replace(spec, include_bots=True)
        # a summary's robots: those of the links up to date from their period totals
        fast = self._fast(spec) if robots_only and list(dimensions) == ["bot"] else None
        raw, hourly = await self._not_rolled_up(spec, fast=fast)
        rolled = self._rolled_up(spec, also=not_(fast.condition()) if fast else None)
        if robots_only:  # the robots' partial indexes (models.ROBOT_ROWS) serve the rollups
            raw.append(Click.is_bot.is_(True))
            rolled.append(ClickRollup.is_bot.is_(True))
            hourly.append(ClickHourly.is_bot.is_(True))
        found: dict[str, dict[tuple[str | None, bool], int]] = {
            name: defaultdict(int) for name in dimensions
        }
        columns = (DIMENSIONS[name].label(name) for name in dimensions)
        scanned = select(Click.is_bot, *columns).where(*raw).cte("scanned")
        per_dimension = union_all(
            *(
                select(literal(name), scanned.c[name], scanned.c.is_bot, func.count()).group_by(
                    scanned.c[name], scanned.c.is_bot
                )
                for name in dimensions
            )
        )
        for name, value, is_bot, clicks in await self.session.execute(per_dimension):
            found[name][(value, bool(is_bot))] += int(clicks)
        for name, value, is_bot, clicks in [
            *await breakdown_rows(self.session, ClickRollup, dimensions, rolled),
            *await breakdown_rows(self.session, ClickHourly, dimensions, hourly),
            *(await self._fast_robots(spec, fast) if fast else []),
        ]:
            found[name][(value, is_bot)] += clicks
        return Breakdown(found)

    async def _fast_robots(
        self, spec: ClickFilter, fast: _Fast
    ) -> list[tuple[str, str, bool, int]]:
        spans = [span for span in (fast.span,) if span != TODAY]
        if fast.with_today:
            spans.append(TODAY)
        served = LinkPeriodTotal.link_id.in_(
            select(Link.id).where(self._links(spec), fast.condition())
        )
        statement = PeriodTotalsRepository.robots(served, spans, fast.today)
        return [
            (name, value, bool(is_bot), int(clicks))
            for name, value, is_bot, clicks in await self.session.execute(statement)
        ]

    async def series(self, hourly: bool, spec: ClickFilter) -> list[tuple[datetime, int, int]]:
        """(bucket start, clicks, unique visitors) per hour or per UTC day that has clicks.

        Hourly, the hourly rollups and raw clicks for every other hour (daily rollups have
        no hours), and the daily rollups only for days whose raw clicks retention deleted,
        each in its first hour."""
        bucket = self._bucket(hourly)
        raw, hours = await self._not_rolled_up(spec, daily=not hourly)
        statement = (
            select(bucket, func.count(), func.count(distinct(Click.visitor_hash)))
            .where(*raw)
            .group_by(bucket)
        )
        buckets: dict[datetime, list[int]] = {}
        for start, clicks, unique in await self.session.execute(statement):
            point = buckets.setdefault(_as_datetime(start), [0, 0])
            point[0] += int(clicks)
            point[1] += int(unique)
        rolled = self._rolled_up(spec, purged_only=hourly)
        for start, clicks, unique in [
            *await self.rollups.series(rolled),
            *await self.hourly.series(hourly, hours),
        ]:
            point = buckets.setdefault(start, [0, 0])
            point[0] += clicks
            point[1] += unique
        return [(start, clicks, unique) for start, (clicks, unique) in buckets.items()]

    async def ranking(self, spec: ClickFilter, limit: int) -> Ranking:
        """The filter's totals and its `limit` most clicked links, in one statement: each
        source's clicks and visitors per link, summed and ranked by the database, so only the
        top rows come back (not one a link of an account with 10,000), each carrying the
        totals over every link. Seeds `totals` for the same filter."""
        fast = self._fast(spec)
        raw, hourly = await self._not_rolled_up(spec, fast=fast)
        rolled, hours = self._per_link(spec, fast)
        per_source = union_all(
            select(Click.link_id, func.count(), func.count(distinct(Click.visitor_hash)))
            .where(*raw)
            .group_by(Click.link_id),
            *rolled,
            *hours,
            HourlyRepository.clicks_per_link(hourly),
        ).subquery("per_source")
        link_id, clicks, visitors = per_source.c
        per_link = (
            select(
                link_id.label("link_id"),
                func.sum(clicks).label("clicks"),
                func.sum(visitors).label("visitors"),
            )
            .group_by(link_id)
            .subquery("per_link")
        )
        statement = (
            select(
                Link.code,
                per_link.c.clicks,
                func.sum(per_link.c.clicks).over(),
                func.sum(per_link.c.visitors).over(),
            )
            .join(per_link, per_link.c.link_id == Link.id)
            .order_by(per_link.c.clicks.desc(), Link.code, Link.id)
            .limit(max(limit, 1))  # a row for the totals
        )
        rows = (await self.session.execute(statement)).all()
        total, unique = (int(rows[0][2]), int(rows[0][3])) if rows else (0, 0)
        self._totals[_key_of(spec)] = (total, unique)
        top = [(code, int(count)) for code, count, _, _ in rows[:limit] if count]
        return Ranking(total, unique, top)

    async def visits(self, spec: ClickFilter, *, limit: int, offset: int) -> list[Click]:
        """A page of individual raw clicks, newest first (retention deletes old ones)."""
        page = await self.session.scalars(
            select(Click)
            .where(*self._where(spec))
            .order_by(Click.clicked_at.desc(), Click.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(page.all())

    async def count_visits(self, spec: ClickFilter) -> int:
        """How many individual raw clicks `visits` can list for this filter."""
        return int(
            await self.session.scalar(select(func.count(Click.id)).where(*self._where(spec))) or 0
        )

    async def bot_clicks(self, links: ColumnElement[bool]) -> dict[int, int]:
        """Robot clicks (counted requests flagged as robots) per link, of the links `links`
        selects: rolled-up days from the rollups, later days from the raw clicks."""
        counts: dict[int, int] = defaultdict(int)
        raw = (
            select(Click.link_id, func.count())
            .join(Link, Link.id == Click.link_id)
            .where(
                links,
                Click.is_counted.is_(True),
                Click.is_bot.is_(True),
                or_(
                    Link.rolled_up_until.is_(None),
                    utc_naive(self._dialect(), Click.clicked_at) >= Link.rolled_up_until,
                ),
            )
            .group_by(Click.link_id)
        )
        rolled = (
            select(ClickRollup.link_id, func.sum(ClickRollup.clicks))
            .join(Link, Link.id == ClickRollup.link_id)
            .where(links, ClickRollup.is_bot.is_(True), ClickRollup.dimension == TOTAL)
            .group_by(ClickRollup.link_id)
        )
        for statement in (raw, rolled):
            for link_id, clicks in await self.session.execute(statement):
                counts[link_id] += int(clicks)
        return dict(counts)

    async def delete_clicks(self, link_id: int) -> None:
        """Forget every click of a link, raw and rolled up, and its click counters (what
        counts against `max_clicks` stays: deleting visits does not reopen a used-up link)."""
        await self.session.execute(delete(Click).where(Click.link_id == link_id))
        await self.session.execute(delete(ClickRollup).where(ClickRollup.link_id == link_id))
        await self.session.execute(delete(ClickHourly).where(ClickHourly.link_id == link_id))
        await PeriodTotalsRepository(self.session).forget([link_id])
        await self.session.execute(
            update(Link)
            .where(Link.id == link_id)
            .values(
                click_count=0,
                last_clicked_at=None,
                rolled_up_until=None,
                raw_kept_from=None,
                hourly_from=None,
                hourly_until=None,
                hourly_through=None,
            )
            .execution_options(synchronize_session=False)
        )

    async def deleted_by_retention(self, spec: ClickFilter) -> int:
        """Clicks counted in the rollups whose raw rows retention deleted: what `totals`
        counts beyond the visits that can still be listed (no count over every raw row)."""
        clicks, _ = await self.rollups.totals(self._rolled_up(spec, purged_only=True))
        return clicks

    async def link_summary(self, owner_id: int | None) -> tuple[int, int]:
        """(links not deleted, links active) of an owner (None: anonymous links)."""
        owner = Link.owner_id == owner_id if owner_id is not None else Link.owner_id.is_(None)
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.coalesce(
                        func.sum(case((Link.status == LinkStatus.ACTIVE, 1), else_=0)), 0
                    ),
                ).where(owner, Link.status != LinkStatus.DELETED)
            )
        ).one()
        return int(row[0]), int(row[1])

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _bucket(self, hourly: bool) -> ColumnElement[Any]:
        if self._dialect() == "postgresql":
            return func.date_trunc(
                literal("hour" if hourly else "day"), func.timezone("UTC", Click.clicked_at)
            )
        # SQLite keeps UTC as text, 'YYYY-MM-DD HH:MM:SS.ffffff'
        return func.substr(Click.clicked_at, 1, 13 if hourly else 10)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = str(value)
    if len(text) == 13:  # 'YYYY-MM-DD HH'
        return datetime.fromisoformat(text + ":00")
    return datetime.fromisoformat(text)


def _key_of(spec: ClickFilter) -> tuple[Any, ...]:
    link_ids = tuple(spec.link_ids) if spec.link_ids is not None else None
    return (link_ids, spec.owner_id, spec.since, spec.until, spec.include_bots)


def _link_in(links: Any, table: Any) -> ColumnElement[bool]:
    """`table.link_id IN links` (ids, or a subquery of them)."""
    return cast(ColumnElement[bool], table.link_id.in_(links))


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _between(since: datetime | None, until: datetime | None) -> ColumnElement[bool]:
    conditions = []
    if since is not None:
        conditions.append(Click.clicked_at >= since)
    if until is not None:
        conditions.append(Click.clicked_at < until)
    return and_(true(), *conditions)
