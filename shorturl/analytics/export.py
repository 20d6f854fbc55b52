"""Raw click export of one link (`GET /urls/{code}/clicks`, `shorturl analytics export`): CSV
or NDJSON, streamed in keyset pages of `(clicked_at, id)`, each page read in a short session
of its own, so an export of millions of clicks holds one page in memory and no transaction
open between pages.

Every stored request is exported, robots, previews and HEAD requests included: `kind` and
`counted` say which a report counts. CSV cells an attacker chose (user agent, referrer, ...)
that a spreadsheet would run as a formula are prefixed with `'`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import orjson
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.analytics.models import Click
from shorturl.errors import ValidationFailed
from shorturl.timestamps import iso_z

__all__ = ["COLUMNS", "FORMATS", "MAX_EXPORT_SPAN", "count_clicks", "export_clicks", "parse_format"]

ExportFormat = Literal["csv", "ndjson"]
FORMATS: Final = ("csv", "ndjson")
MEDIA_TYPES: Final = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
MAX_EXPORT_SPAN: Final = timedelta(days=366)
DEFAULT_EXPORT_SPAN: Final = timedelta(days=30)
PAGE: Final = 5000
COLUMNS: Final = (
    "clicked_at",
    "method",
    "kind",
    "bot_name",
    "counted",
    "country",
    "region",
    "city",
    "device",
    "browser",
    "os",
    "language",
    "referrer",
    "referrer_host",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "ip",
    "user_agent",
)
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def parse_format(value: str | None) -> ExportFormat:
    chosen = (value or "csv").lower()
    if chosen == "csv":
        return "csv"
    if chosen == "ndjson":
        return "ndjson"
    raise ValidationFailed(
        f"format must be one of {', '.join(FORMATS)}, not {str(value)[:20]!r}",
        details={"field": "format"},
    )


async def count_clicks(
    session: AsyncSession, link_id: int, since: datetime, until: datetime
) -> int:
    """How many clicks an export holds (for a progress bar)."""
    statement = select(func.count()).where(*_in_range(link_id, since, until))
    return int(await session.scalar(statement) or 0)


async def export_clicks(
    sessionmaker: async_sessionmaker[AsyncSession],
    link_id: int,
    since: datetime,
    until: datetime,
    form: ExportFormat,
) -> AsyncIterator[str]:
    """The export's text, oldest click first, one chunk per page (CSV: the header first)."""
    if form == "csv":
        yield _csv([COLUMNS])
    after: tuple[datetime, int] | None = None
    while True:
        async with sessionmaker() as session:
            statement = select(Click).where(*_in_range(link_id, since, until))
            if after is not None:
                at, last_id = after
                statement = statement.where(
                    or_(Click.clicked_at > at, and_(Click.clicked_at == at, Click.id > last_id))
                )
            page = list(
                (
                    await session.scalars(
                        statement.order_by(Click.clicked_at, Click.id).limit(PAGE)
                    )
                ).all()
            )
            records = [_record(click) for click in page]
        if not page:
            return
        if form == "csv":
            yield _csv(_csv_row(record) for record in records)
        else:
            yield "".join(orjson.dumps(record).decode() + "\n" for record in records)
        after = (page[-1].clicked_at, page[-1].id)


def _in_range(link_id: int, since: datetime, until: datetime) -> list[Any]:
    return [Click.link_id == link_id, Click.clicked_at >= since, Click.clicked_at < until]


def _record(click: Click) -> dict[str, Any]:
    return {
        "clicked_at": iso_z(click.clicked_at),
        "method": click.method,
        "kind": click.kind,
        "bot_name": click.bot_name,
        "counted": click.is_counted,
        "country": click.country,
        "region": click.region,
        "city": click.city,
        "device": click.device,
        "browser": click.browser,
        "os": click.os,
        "language": click.language,
        "referrer": click.referrer,
        "referrer_host": click.referrer_host,
        "utm_source": click.utm_source,
        "utm_medium": click.utm_medium,
        "utm_campaign": click.utm_campaign,
        "ip": click.ip,
        "user_agent": click.user_agent,
    }


def _csv_row(record: dict[str, Any]) -> list[str]:
    cells = []
    for name in COLUMNS:
        value = record[name]
        if value is None:
            cells.append("")
        elif isinstance(value, bool):
            cells.append("true" if value else "false")
        else:
            text = str(value)
            cells.append("'" + text if text.startswith(_FORMULA_STARTS) else text)
    return cells


def _csv(rows: Iterable[Iterable[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
