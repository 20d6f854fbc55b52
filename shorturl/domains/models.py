"""The `domains` table: short domains an admin added beside the default one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shorturl.storage.base import Base, UTCDateTime
from shorturl.timestamps import utcnow

__all__ = ["MAX_HOST_LENGTH", "Domain"]

MAX_HOST_LENGTH = 253


class Domain(Base):
    """A host name that serves short links. Links on it keep their own codes (`links.domain`);
    the default domain is the host of SHORTURL_BASE_URL and has no row here."""

    __tablename__ = "domains"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(MAX_HOST_LENGTH), unique=True)  # lower case
    # Where `GET /` on this host sends visitors, and where an unknown code does (else 404).
    root_redirect: Mapped[str | None] = mapped_column(Text, default=None)
    not_found_redirect: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
