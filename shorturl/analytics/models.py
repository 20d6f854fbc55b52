"""The `clicks` table (one row per recorded request) and its daily rollups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shorturl.storage.base import Base, BigId, UTCDateTime

__all__ = ["Click", "ClickRollup"]


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
    # HEAD requests and link-preview fetchers are kept but never counted as human clicks.
    is_counted: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where a smart link sent this click (links/routing.py `destination_label`); None: the
    # link's own long_url (every plain link).
    destination: Mapped[str | None] = mapped_column(String(255), default=None)


class ClickRollup(Base):
    """Clicks of one link on one UTC day, per value of one dimension (`country`, `device`,
    `browser`, `os`, `referrer_host`) and a `total` row (value ''); robots flagged.

    `unique_visitors` is exact per row (a visitor's hash lives one UTC day). The roll-up job
    fills rows for every finished day before `links.rolled_up_until` (analytics/rollups.py)."""

    __tablename__ = "click_rollups"
    __table_args__ = (
        Index(
            "uq_click_rollups_key", "link_id", "day", "dimension", "value", "is_bot", unique=True
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
