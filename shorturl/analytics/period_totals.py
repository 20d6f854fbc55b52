"""Every query on `link_period_totals`: each link's clicks over the fixed periods the
reports ask for, kept by the roll-up jobs, so an account's summary and top links read a row
a link (10,000 for 10,000 links) instead of a row a link and day (300,000 over 30 days).

Rows are summed again whenever what they sum changes, in the same transaction: the daily
rows when the link is rolled up, or late or imported clicks join its rollups; today's row
(`span` 0) when the hourly rollups of the link change. A report uses them only for links
rolled up to the day the rows were summed on (`links.rolled_up_until` = `as_of` = today);
the others are read from their rollups as before (analytics/repository.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Final

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    and_,
    delete,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.analytics.hourly import epoch_hour
from shorturl.analytics.models import ClickHourly, ClickRollup, LinkPeriodTotal
from shorturl.analytics.rollups import TOTAL

__all__ = ["SPANS", "TODAY", "PeriodTotalsRepository", "span_of"]

# Whole days before today: the periods 7d, 30d, 90d and 1y (today is their last day) and
# the growth windows of a summary (the 7, 14, 30 and 60 days before today).
SPANS: Final = (6, 7, 14, 29, 30, 60, 89, 364)
TODAY: Final = 0  # the span of the row holding today's hourly rollups
_IDS_PER_QUERY: Final = 5000


def span_of(since: datetime | None, until: datetime | None, today: date) -> int | None:
    """The span whose rows hold the rolled-up days of [since, until), when that is a fixed
    period up to today (`until` None or today's midnight): `since` a midnight `span` days
    back (0: today's). None otherwise."""
    if since is None:
        return None
    midnight = datetime.combine(today, time(), since.tzinfo)
    if until is not None and until != midnight:
        return None
    back = midnight - since
    if back % timedelta(days=1) or back < timedelta(0):
        return None
    span = back.days
    return span if span == TODAY or span in SPANS else None


def _kept(table: type[ClickRollup] | type[ClickHourly]) -> ColumnElement[bool]:
    """The rollup rows period totals sum: `total` rows, and `bot` rows of robots."""
    return or_(table.dimension == TOTAL, and_(table.dimension == "bot", table.is_bot.is_(True)))


class PeriodTotalsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def sum_days(self, link_ids: Sequence[int], today: date) -> None:
        """Sum again every span of these links from their daily rollups, as of `today`."""
        spans = union_all(
            *(
                select(
                    literal(span, Integer).label("span"),
                    literal(today - timedelta(days=span), Date).label("first"),
                )
                for span in SPANS
            )
        ).subquery("spans")
        for start in range(0, len(link_ids), _IDS_PER_QUERY):
            ids = link_ids[start : start + _IDS_PER_QUERY]
            await self._forget(ids, [LinkPeriodTotal.span != TODAY])
            summed = (
                select(
                    ClickRollup.link_id,
                    spans.c.span,
                    ClickRollup.is_bot,
                    ClickRollup.value,
                    literal(today, Date),
                    func.sum(ClickRollup.clicks),
                    func.sum(ClickRollup.unique_visitors),
                )
                .join(spans, ClickRollup.day >= spans.c.first)
                .where(
                    ClickRollup.link_id.in_(ids),
                    _kept(ClickRollup),
                    ClickRollup.day >= today - timedelta(days=max(SPANS)),
                    ClickRollup.day < today,
                )
                .group_by(ClickRollup.link_id, spans.c.span, ClickRollup.is_bot, ClickRollup.value)
            )
            await self._insert(summed)

    async def sum_today(self, link_ids: Sequence[int], today: date) -> None:
        """Sum again the hours of `today` of these links in the hourly rollups."""
        first = epoch_hour(datetime.combine(today, time()))
        for start in range(0, len(link_ids), _IDS_PER_QUERY):
            ids = link_ids[start : start + _IDS_PER_QUERY]
            await self._forget(ids, [LinkPeriodTotal.span == TODAY])
            summed = (
                select(
                    ClickHourly.link_id,
                    literal(TODAY, Integer),
                    ClickHourly.is_bot,
                    ClickHourly.value,
                    literal(today, Date),
                    func.sum(ClickHourly.clicks),
                    func.sum(ClickHourly.new_visitors),
                )
                .where(
                    ClickHourly.link_id.in_(ids),
                    _kept(ClickHourly),
                    ClickHourly.hour >= first,
                    ClickHourly.hour < first + 24,
                )
                .group_by(ClickHourly.link_id, ClickHourly.is_bot, ClickHourly.value)
            )
            await self._insert(summed)

    async def forget(self, link_ids: Sequence[int]) -> None:
        """Drop every row of these links (their clicks are deleted)."""
        await self._forget(link_ids, [])

    @staticmethod
    def per_link(
        links: ColumnElement[bool], span: int, today: date, include_bots: bool
    ) -> Select[int, int, int]:
        """(link id, clicks, visitors) of the links `links` selects (a condition on
        `LinkPeriodTotal.link_id`), over `span`, summed on `today`, robots only if asked."""
        statement = select(
            LinkPeriodTotal.link_id, LinkPeriodTotal.clicks, LinkPeriodTotal.visitors
        ).where(
            links,
            LinkPeriodTotal.span == span,
            LinkPeriodTotal.as_of == today,
            LinkPeriodTotal.value == "",
        )
        if not include_bots:
            statement = statement.where(LinkPeriodTotal.is_bot.is_(False))
        return statement

    @staticmethod
    def robots(
        links: ColumnElement[bool], spans: Sequence[int], today: date
    ) -> Select[str, str, bool, int]:
        """('bot', `kind:name`, true, clicks) of the robots of the links `links` selects
        over these spans, summed on `today`, as `rollups.breakdown_rows` gives them."""
        return (
            select(
                literal("bot"),
                LinkPeriodTotal.value,
                LinkPeriodTotal.is_bot,
                func.sum(LinkPeriodTotal.clicks),
            )
            .where(
                links,
                LinkPeriodTotal.span.in_(spans),
                LinkPeriodTotal.as_of == today,
                LinkPeriodTotal.is_bot.is_(True),
                LinkPeriodTotal.value != "",
            )
            .group_by(LinkPeriodTotal.value, LinkPeriodTotal.is_bot)
        )

    async def _insert(self, summed: Select[int, int, bool, str, date, int, int]) -> None:
        columns = ["link_id", "span", "is_bot", "value", "as_of", "clicks", "visitors"]
        await self.session.execute(
            LinkPeriodTotal.__table__.insert().from_select(columns, summed)  # type: ignore[attr-defined]
        )

    async def _forget(self, link_ids: Sequence[int], where: list[ColumnElement[bool]]) -> None:
        await self.session.execute(
            delete(LinkPeriodTotal).where(LinkPeriodTotal.link_id.in_(link_ids), *where)
        )
