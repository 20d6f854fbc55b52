"""The `shlink_link_settings` table: what Shlink's API keeps about a link that shorturl has no column for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from shorturl.storage.base import Base, BigId, UTCDateTime

__all__ = ["ShlinkLinkSettings"]


class ShlinkLinkSettings(Base):
    """One row per link whose Shlink-only fields were set; a link without one has Shlink's
    defaults (no validSince, not crawlable, forwardQuery on)."""

    __tablename__ = "shlink_link_settings"

    link_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("links.id", ondelete="CASCADE"), primary_key=True
    )
    valid_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    crawlable: Mapped[bool] = mapped_column(Boolean, default=False)
    forward_query: Mapped[bool] = mapped_column(Boolean, default=True)
