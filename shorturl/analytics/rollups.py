"""Every query on `click_rollups`: rolling old raw clicks up (retention), and the rolled-up side
of each report, which the click repository adds to what the raw clicks say.

A rollup row holds the human-or-bot clicks of one link on one UTC day with one combination of
country, device, browser, OS and referrer host. HEAD requests and link previews (never counted)
are not kept. Its `unique_visitors` is the number of visitors whose *first* counted click of
that day had that combination, so the rows of one day add up to exactly that day's unique
visitors (a visitor's hash covers one UTC day: the salt rotates daily).

What rollups cannot say, and how the reports approximate it:
- Unique visitors over several days are the sum of the daily uniques. Raw reports count the
  same way (a visitor's hash changes with the daily salt), so a report reads alike before and
  after rolling up; neither knows that Monday's and Tuesday's visitor were one person.
- A rolled-up click counts as made at midnight UTC of its day: a period that starts within a
  rolled-up day leaves that day out, and hourly series show the day in its first hour.
- A late click (stored after its day was rolled up, e.g. redelivered after a long outage) is
  rolled up by a later run: its click is counted once, but its visitor may count twice that day.
- Cities, languages, full referrers, IPs and the individual visits are not kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.analytics.models import Click, ClickRollup
from shorturl.links.models import Link, LinkStatus

__all__ = ["ROLLUP_KEY", "RollupRepository", "day_starting_at_or_after"]

# The columns that identify a rollup row (its unique index), in order.
ROLLUP_KEY = ("link_id", "day", "country", "device", "browser", "os", "referrer_host", "is_bot")
# Dimensions stored as '' when unknown (part of the unique key: no NULLs there).
_BLANK_WHEN_UNKNOWN = ("country", "browser", "os")


class RollupRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # retention

    async def links_with_clicks_before(self, before: datetime, limit: int) -> list[int]:
        """Up to `limit` ids of links with raw clicks older than `before`."""
        rows = await self.session.scalars(
            select(Click.link_id).where(Click.clicked_at < before).distinct().limit(limit)
        )
        return list(rows.all())

    async def move_clicks_before(self, link_ids: Sequence[int], before: datetime) -> int:
        """Add the counted clicks of these links older than `before` to the rollups, then
        delete every raw click older than `before` of these links; how many were deleted.

        Both in the caller's transaction, which must hold the links locked (see
        `ClickRepository.lock_links`) so no click is stored between the two statements."""
        if not link_ids:
            return 0
        old = and_(Click.link_id.in_(link_ids), Click.clicked_at < before)
        day = self._click_day()
        first_of_day = func.row_number().over(
            partition_by=(Click.link_id, day, Click.visitor_hash), order_by=Click.id
        )
        source = (
            select(
                Click.link_id.label("link_id"),
                day.label("day"),
                func.coalesce(Click.country, "").label("country"),
                Click.device.label("device"),
                func.coalesce(Click.browser, "").label("browser"),
                func.coalesce(Click.os, "").label("os"),
                Click.referrer_host.label("referrer_host"),
                Click.is_bot.label("is_bot"),
                case((and_(Click.visitor_hash.is_not(None), first_of_day == 1), 1), else_=0).label(
                    "first_visit"
                ),
            )
            .where(old, Click.is_counted.is_(True))
            .subquery()
        )
        keys = [source.c[name] for name in ROLLUP_KEY]
        grouped = (
            select(*keys, func.count(), func.sum(source.c.first_visit))
            .where(true())  # SQLite: an upsert's SELECT needs a WHERE to parse unambiguously
            .group_by(*keys)
        )
        insert = pg_insert if self._dialect() == "postgresql" else sqlite_insert
        statement = insert(ClickRollup).from_select(
            [*ROLLUP_KEY, "clicks", "unique_visitors"], grouped
        )
        statement = statement.on_conflict_do_update(
            index_elements=list(ROLLUP_KEY),
            set_={
                "clicks": ClickRollup.clicks + statement.excluded.clicks,
                "unique_visitors": ClickRollup.unique_visitors + statement.excluded.unique_visitors,
            },
        )
        await self.session.execute(statement)
        deleted = await self.session.execute(delete(Click).where(old))
        return int(deleted.rowcount or 0)  # type: ignore[attr-defined]

    # reports: the rolled-up side of each (see ClickRepository for the filter's meaning)

    async def totals(self, where: Sequence[ColumnElement[bool]]) -> tuple[int, int]:
        row = (
            await self.session.execute(
                select(
                    func.coalesce(func.sum(ClickRollup.clicks), 0),
                    func.coalesce(func.sum(ClickRollup.unique_visitors), 0),
                ).where(*where)
            )
        ).one()
        return int(row[0]), int(row[1])

    async def counts_by(
        self, dimension: str, where: Sequence[ColumnElement[bool]]
    ) -> list[tuple[str | None, int]]:
        column = ClickRollup.__table__.c[dimension]
        statement = select(column, func.sum(ClickRollup.clicks)).where(*where).group_by(column)
        blank = dimension in _BLANK_WHEN_UNKNOWN
        return [
            (None if blank and row[0] == "" else row[0], int(row[1]))
            for row in await self.session.execute(statement)
        ]

    async def series(self, where: Sequence[ColumnElement[bool]]) -> list[tuple[datetime, int, int]]:
        """(midnight of the day, clicks, unique visitors) per rolled-up day."""
        statement = (
            select(
                ClickRollup.day,
                func.sum(ClickRollup.clicks),
                func.sum(ClickRollup.unique_visitors),
            )
            .where(*where)
            .group_by(ClickRollup.day)
        )
        return [
            (datetime.combine(_as_date(row[0]), time()), int(row[1]), int(row[2]))
            for row in await self.session.execute(statement)
        ]

    async def clicks_per_code(self, where: Sequence[ColumnElement[bool]]) -> list[tuple[str, int]]:
        statement = (
            select(Link.code, func.sum(ClickRollup.clicks))
            .select_from(ClickRollup)
            .join(Link, Link.id == ClickRollup.link_id)
            .where(*where)
            .group_by(Link.code)
        )
        return [(row[0], int(row[1])) for row in await self.session.execute(statement)]

    @staticmethod
    def conditions(
        link_ids: Sequence[int] | None,
        owner_id: int | None,
        since: datetime | None,
        until: datetime | None,
        include_bots: bool,
    ) -> list[ColumnElement[bool]]:
        """The rollup rows a report filter selects; a day counts as of its midnight UTC."""
        conditions: list[ColumnElement[bool]] = []
        if not include_bots:
            conditions.append(ClickRollup.is_bot.is_(False))
        if link_ids is not None:
            conditions.append(ClickRollup.link_id.in_(link_ids))
        else:
            conditions.append(
                ClickRollup.link_id.in_(
                    select(Link.id).where(
                        Link.owner_id == owner_id
                        if owner_id is not None
                        else Link.owner_id.is_(None),
                        Link.status != LinkStatus.DELETED,
                    )
                )
            )
        if since is not None:
            conditions.append(ClickRollup.day >= day_starting_at_or_after(since))
        if until is not None:
            conditions.append(ClickRollup.day < day_starting_at_or_after(until))
        return conditions

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _click_day(self) -> ColumnElement[Any]:
        if self._dialect() == "postgresql":
            return cast(func.timezone(literal("UTC"), Click.clicked_at), Date)
        return func.substr(Click.clicked_at, 1, 10)  # SQLite keeps UTC as text


def day_starting_at_or_after(moment: datetime) -> date:
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
