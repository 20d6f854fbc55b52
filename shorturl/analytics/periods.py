"""Report periods (`1h` … `1y`, `today`, `all`), time-series buckets (hour, day, week, month),
and `from`/`to` ranges."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from shorturl.errors import ValidationFailed

__all__ = [
    "GRANULARITIES",
    "PERIODS",
    "Period",
    "bucket_of",
    "bucket_starts",
    "parse_moment",
    "parse_range",
]

PERIODS: Final = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "1y": timedelta(days=365),
    "today": timedelta(days=1),  # at most: since midnight UTC
    "all": None,
}
GRANULARITIES: Final = ("hour", "day", "week", "month")
MAX_BUCKETS: Final = 2200  # 90 days of hours; a year of hours is refused, not computed


@dataclass(frozen=True, slots=True)
class Period:
    name: str
    granularity: str
    span: timedelta | None  # None: since the beginning

    @classmethod
    def parse(cls, name: str | None, granularity: str | None) -> Period:
        """A period from query parameters; ValidationFailed (400) for anything unknown."""
        name = name or "7d"
        if name not in PERIODS:
            raise ValidationFailed(
                f"period must be one of {', '.join(PERIODS)}", details={"field": "period"}
            )
        span = PERIODS[name]
        if granularity is None:
            granularity = "hour" if span is not None and span <= timedelta(days=1) else "day"
        if granularity not in GRANULARITIES:
            raise ValidationFailed(
                f"granularity must be one of {', '.join(GRANULARITIES)}",
                details={"field": "granularity"},
            )
        if span is not None and granularity == "hour" and span / timedelta(hours=1) > MAX_BUCKETS:
            raise ValidationFailed(
                "granularity 'hour' allows periods up to 90d", details={"field": "granularity"}
            )
        return cls(name, granularity, span)

    def start(self, now: datetime, beginning: datetime | None) -> datetime | None:
        """Where the period starts: midnight UTC for `today`, `beginning` for `all`; a period
        of days counted in days (`7d` by day: today and the 6 UTC days before it, as many
        day buckets as it says) at a midnight; otherwise `now - span`.

        Whole days are what the daily rollups hold: a period starting at a midnight reads
        no raw clicks but today's, where `now - 30d` read part of a day 30 days back raw
        over every link of an account (bench/analytics_10m.py)."""
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.name == "today":
            return midnight
        if self.span is None:
            return beginning
        if self.in_days:
            return midnight - (self.span - timedelta(days=1))
        return now - self.span

    @property
    def in_days(self) -> bool:
        """Whether the period is whole UTC days, today the last of them (`start`)."""
        return (
            self.span is not None and self.span >= timedelta(days=2) and self.granularity != "hour"
        )


def bucket_of(moment: datetime, granularity: str) -> datetime:
    """The start of the bucket holding `moment` (naive UTC). Weeks start on Monday."""
    if granularity == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def bucket_starts(first: datetime, last: datetime, granularity: str) -> Iterator[datetime]:
    """Every bucket from the one holding `first` to the one holding `last`, oldest first."""
    current, end = bucket_of(first, granularity), bucket_of(last, granularity)
    for _ in range(MAX_BUCKETS + 1):
        if current > end:
            return
        yield current
        if granularity == "hour":
            current += timedelta(hours=1)
        elif granularity == "day":
            current += timedelta(days=1)
        elif granularity == "week":
            current += timedelta(days=7)
        else:
            current = (current + timedelta(days=32)).replace(day=1)
    raise ValidationFailed(
        "too many time-series buckets: choose a coarser granularity",
        details={"field": "granularity"},
    )


def parse_moment(value: str, field: str, *, end: bool = False) -> datetime:
    """A `from`/`to` query value: a day (`2026-12-04`; as `to`, that whole day) or an ISO
    8601 time (naive: UTC). ValidationFailed (400) otherwise."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = datetime.combine(date.fromisoformat(text), time(), UTC)
            return day + timedelta(days=1) if end else day
        if "T" in text:  # an unescaped `+01:00` arrives as ` 01:00`
            text = text.replace(" ", "+")
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{field} must be a day (YYYY-MM-DD) or an ISO 8601 time, not {value[:40]!r}",
            details={"field": field},
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_range(
    start: str | None,
    end: str | None,
    now: datetime,
    *,
    default_span: timedelta,
    max_span: timedelta | None = None,
) -> tuple[datetime, datetime]:
    """[since, until) from `from`/`to` query values: `to` defaults to now, `from` to
    `default_span` before `to`; a range not in order, or over `max_span`, is refused."""
    until = parse_moment(end, "to", end=True) if end else now
    since = parse_moment(start, "from") if start else until - default_span
    if since >= until:
        raise ValidationFailed("from must be before to", details={"field": "from"})
    if max_span is not None and until - since > max_span:
        raise ValidationFailed(
            f"The range is over {max_span.days} days; ask for it in parts",
            details={"field": "from", "max_days": max_span.days},
        )
    return since, until
