"""The `links` and `tags` tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shorturl.accounts.models import User
from shorturl.storage.base import Base, BigId, UTCDateTime
from shorturl.timestamps import utcnow

__all__ = ["DisabledBy", "Link", "LinkStatus", "Tag", "cache_key", "link_tags", "short_base"]


def cache_key(code: str, domain: str) -> str:
    """`code` on the default domain (''), `host/code` on another: no code has a `/`."""
    return f"{domain}/{code}" if domain else code


def short_base(domain: str, base_url: str) -> str:
    """Where short URLs on `domain` start: that host with `base_url`'s scheme; '' the
    default domain, `base_url` itself."""
    if not domain:
        return base_url
    scheme = base_url.partition("://")[0]
    return f"{scheme}://{domain}"


class DisabledBy:
    """Who disabled a link (`links.disabled_by`): only an admin re-enables an admin's disable."""

    OWNER = "owner"
    ADMIN = "admin"
    SAFETY = "safety"  # a block-list re-check found the target unsafe
    INACTIVITY = "inactivity"  # the deactivate-unused job


class LinkStatus:
    ACTIVE = "active"
    EXPIRED = "expired"
    DISABLED = "disabled"
    DELETED = "deleted"
    ALL = (ACTIVE, EXPIRED, DISABLED, DELETED)


link_tags = Table(
    "link_tags",
    Base.metadata,
    Column("link_id", BigId, ForeignKey("links.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class Link(Base):
    __tablename__ = "links"
    __table_args__ = (
        # The same code may exist once per domain ('' is the default domain).
        UniqueConstraint("code", "domain", name="uq_links_code_domain"),
        Index("ix_links_owner_created", "owner_id", "created_at"),
        Index("ix_links_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    # The host the link is served on (a `domains` row), '' for the default domain.
    domain: Mapped[str] = mapped_column(String(253), default="", server_default="")
    long_url: Mapped[str] = mapped_column(Text)
    is_custom: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True, default=None
    )
    description: Mapped[str | None] = mapped_column(Text, default=None)
    status: Mapped[str] = mapped_column(String(16), default=LinkStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    max_clicks: Mapped[int | None] = mapped_column(BigInteger, default=None)
    click_count: Mapped[int] = mapped_column(BigInteger, default=0)
    # Redirects served that count against max_clicks (every GET, robots included), kept by
    # analytics/click_limit.py; click_count counts human clicks only.
    clicks_used: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Clicks before this UTC day are in click_rollups (reports read them there), and raw
    # clicks before `raw_kept_from` are deleted (retention): analytics/rollups.py.
    rolled_up_until: Mapped[date | None] = mapped_column(Date, default=None)
    raw_kept_from: Mapped[date | None] = mapped_column(Date, default=None)
    # Clicks of the hours [hourly_from, hourly_until) (hours since 1970, UTC) are in
    # click_hourly too (today's and yesterday's reports read them there): analytics/hourly.py.
    hourly_from: Mapped[int | None] = mapped_column(BigInteger, default=None)
    hourly_until: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # and those of the hour `hourly_until` (in progress) before this moment (seconds since
    # 1970), rolled up in slices: a viral link's hour is not read raw as it grows.
    hourly_through: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Target page metadata, fetched after creation by the worker (seed 003 "Redirect Info").
    title: Mapped[str | None] = mapped_column(Text, default=None)
    page_description: Mapped[str | None] = mapped_column(Text, default=None)
    image_url: Mapped[str | None] = mapped_column(Text, default=None)
    metadata_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Safety check result (seed 003 `safe_browsing`).
    is_safe: Mapped[bool] = mapped_column(Boolean, default=True)
    safety_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Who disabled the link (a DisabledBy value), which user, and why; None while enabled.
    disabled_by: Mapped[str | None] = mapped_column(String(16), default=None)
    disabled_by_user_id: Mapped[int | None] = mapped_column(Integer, default=None)
    disabled_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Smart links (links/routing.py): a visitor password (argon2id), redirect rules and
    # weighted A/B variants (JSON lists as validated), and where an expired link sends.
    password_hash: Mapped[str | None] = mapped_column(Text, default=None)
    rules: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    variants: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    expired_redirect: Mapped[str | None] = mapped_column(Text, default=None)

    tags: Mapped[list[Tag]] = relationship(secondary=link_tags, lazy="selectin", order_by=Tag.name)
    owner: Mapped[User | None] = relationship(lazy="joined")

    @property
    def cache_key(self) -> str:
        """The link's key in the link cache and the redirect's tables (storage/cache.py)."""
        return cache_key(self.code, self.domain)

    @property
    def tag_names(self) -> list[str]:
        return sorted(tag.name for tag in self.tags)
