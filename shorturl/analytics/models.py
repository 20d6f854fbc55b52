"""The `clicks` table (one row per recorded request), its daily and hourly rollups, and orphan
visits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from shorturl.storage.base import Base, BigId, UTCDateTime

__all__ = [
    "Click",
    "ClickHourly",
    "ClickRollup",
    "LinkPeriodTotal",
    "OrphanOverflow",
    "OrphanVisit",
]

# the rollup rows of robots by name; a query that says the same reads their partial index
ROBOT_ROWS = "dimension = 'bot' AND is_bot IS true"


class Click(Base):
    __tablename__ = "clicks"
    __table_args__ = (Index("ix_clicks_link_time", "link_id", "clicked_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    method: Mapped[str] = mapped_column(String(8), default="GET")
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    visitor_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(Text, default=None)
    referrer: Mapped[str | None] = mapped_column(Text, default=None)
    referrer_host: Mapped[str] = mapped_column(String(255), default="direct")
    language: Mapped[str | None] = mapped_column(String(64), default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    country_name: Mapped[str | None] = mapped_column(String(64), default=None)
    region: Mapped[str | None] = mapped_column(String(128), default=None)
    city: Mapped[str | None] = mapped_column(String(128), default=None)
    device: Mapped[str] = mapped_column(String(16), default="other")
    browser: Mapped[str | None] = mapped_column(String(64), default=None)
    os: Mapped[str | None] = mapped_column(String(64), default=None)
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    # HEAD requests are kept but never counted (before kinds, link previews were not either).
    is_counted: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(8), default="human", server_default="human")
    bot_name: Mapped[str | None] = mapped_column(String(64), default=None)  # robots only
    utm_source: Mapped[str | None] = mapped_column(String(128), default=None)
    utm_medium: Mapped[str | None] = mapped_column(String(128), default=None)
    utm_campaign: Mapped[str | None] = mapped_column(String(128), default=None)
    # Where a smart link sent this click (links/routing.py `destination_label`); None: the
    # link's own long_url (every plain link).
    destination: Mapped[str | None] = mapped_column(String(255), default=None)


class ClickRollup(Base):
    """Clicks of one link on one UTC day, per value of one dimension (`country`, `device`,
    `browser`, `os`, `referrer_host`, `bot` (`kind:name`), `utm_source`, `utm_medium`,
    `utm_campaign`) and a `total` row (value ''); robots flagged.

    `unique_visitors` is exact per row (a visitor's hash lives one UTC day). The roll-up job
    fills rows for every finished day before `links.rolled_up_until` (analytics/rollups.py).

    `running_clicks` and `running_visitors`, on `total` rows only: the link's clicks and
    unique visitors of this day and of every rolled-up day before it (same robot flag), so
    the clicks of any run of whole days are the difference of two rows."""

    __tablename__ = "click_rollups"
    __table_args__ = (
        Index(
            "uq_click_rollups_key", "link_id", "day", "dimension", "value", "is_bot", unique=True
        ),
        Index(  # reports over many links sum `total` rows from the index alone
            "ix_click_rollups_totals",
            "day",
            "link_id",
            postgresql_include=["is_bot", "clicks", "unique_visitors"],
            postgresql_where=text("dimension = 'total'"),
            sqlite_where=text("dimension = 'total'"),
        ),
        Index(  # and the robots of many links (a summary's `bot_data`) their `bot` rows
            "ix_click_rollups_robots",
            "day",
            "link_id",
            postgresql_include=["value", "clicks"],
            postgresql_where=text(ROBOT_ROWS),
            sqlite_where=text(ROBOT_ROWS),
        ),
        Index(  # a link's running totals before a day: one probe from the end
            "ix_click_rollups_running",
            "link_id",
            "is_bot",
            "day",
            postgresql_include=["running_clicks", "running_visitors"],
            postgresql_where=text("dimension = 'total'"),
            sqlite_where=text("dimension = 'total'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    dimension: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255), default="")
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    unique_visitors: Mapped[int] = mapped_column(BigInteger, default=0)
    running_clicks: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    running_visitors: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ClickHourly(Base):
    """Clicks of one link in one UTC hour (`hour`: hours since 1970), per value of each
    dimension and a `total` row; robots flagged. Kept for the last days only
    (analytics/hourly.py), so a report of today or the last 24 hours reads no raw clicks
    but those of the current hour.

    Total rows only: `unique_visitors`, the distinct visitors of the hour (hourly series), and
    `new_visitors`, those whose first click of that UTC day on the link falls in this hour, so
    the hours of a day add up to the day's unique visitors (totals, daily series)."""

    __tablename__ = "click_hourly"
    __table_args__ = (
        Index(
            "uq_click_hourly_key", "link_id", "hour", "dimension", "value", "is_bot", unique=True
        ),
        Index(
            "ix_click_hourly_totals",
            "hour",
            "link_id",
            postgresql_include=["is_bot", "clicks", "unique_visitors", "new_visitors"],
            postgresql_where=text("dimension = 'total'"),
            sqlite_where=text("dimension = 'total'"),
        ),
        Index(  # the robots of many links today (a summary's `bot_data`)
            "ix_click_hourly_robots",
            "hour",
            "link_id",
            postgresql_include=["value", "clicks"],
            postgresql_where=text(ROBOT_ROWS),
            sqlite_where=text(ROBOT_ROWS),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    hour: Mapped[int] = mapped_column(BigInteger)
    dimension: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255), default="")
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    unique_visitors: Mapped[int] = mapped_column(BigInteger, default=0)
    new_visitors: Mapped[int] = mapped_column(BigInteger, default=0)


class OrphanVisit(Base):
    """A request on the short domain that matched no link (analytics/orphans.py)."""

    __tablename__ = "orphan_visits"
    __table_args__ = (Index("ix_orphan_visits_type_time", "type", "visited_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    type: Mapped[str] = mapped_column(String(20))  # invalid_short_url, base_url, regular_404
    method: Mapped[str] = mapped_column(String(8), default="GET")
    path: Mapped[str] = mapped_column(Text)
    query: Mapped[str | None] = mapped_column(Text, default=None)  # only with utm_ values
    ip: Mapped[str | None] = mapped_column(String(45), default=None)
    user_agent: Mapped[str | None] = mapped_column(Text, default=None)
    referrer: Mapped[str | None] = mapped_column(Text, default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    kind: Mapped[str] = mapped_column(String(8), default="human")
    bot_name: Mapped[str | None] = mapped_column(String(64), default=None)


class OrphanOverflow(Base):
    """Orphan visits left out in one minute, over the cap (`ORPHAN_VISITS_PER_MINUTE`)."""

    __tablename__ = "orphan_visit_overflow"

    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    dropped: Mapped[int] = mapped_column(BigInteger, default=0)


class LinkPeriodTotal(Base):
    """A link's clicks over a fixed period ending at `as_of` (the UTC day they were summed
    on), kept by the roll-up jobs (analytics/period_totals.py) so an account's reports read
    a row a link instead of a row a link and day.

    `span` ≥ 1: the rolled-up days [as_of - span days, as_of); `span` 0: the hours of day
    `as_of` in the hourly rollups (`visitors`: their new visitors). `value` '': every click;
    else the robots of one `bot` rollup value (`kind:name`, no visitors)."""

    __tablename__ = "link_period_totals"
    __table_args__ = (Index("ix_link_period_totals_span", "span", "as_of", "link_id"),)

    link_id: Mapped[int] = mapped_column(
        ForeignKey("links.id", ondelete="CASCADE"), primary_key=True
    )
    span: Mapped[int] = mapped_column(Integer, primary_key=True)
    is_bot: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True, default="")
    as_of: Mapped[date] = mapped_column(Date)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    visitors: Mapped[int] = mapped_column(BigInteger, default=0)
