"""UTC time: the one clock of the service and the ISO-8601 `…Z` form every response uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer

__all__ = ["UtcDateTime", "as_utc", "is_past", "iso_z", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime as UTC; convert an aware one to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def is_past(moment: datetime | None) -> bool:
    """True for a moment that has come (an expiry date: the link is expired at once)."""
    return moment is not None and as_utc(moment) <= utcnow()


def iso_z(value: datetime) -> str:
    """`2024-01-15T10:30:00Z` (microseconds kept only when present)."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


UtcDateTime = Annotated[datetime, PlainSerializer(iso_z, return_type=str, when_used="json")]
"""A datetime that serialises as ISO-8601 UTC with a trailing `Z`."""
