"""The `import_jobs` table (one run of an importer, resumable) and `imported_links` (where
each imported link came from, so a re-run knows its own links from clashes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shorturl.storage.base import Base, BigId, UTCDateTime
from shorturl.timestamps import utcnow

__all__ = ["ImportJob", "ImportStatus", "ImportedLink"]


class ImportStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # or interrupted: a new run of the same source continues it
    UNFINISHED = (QUEUED, RUNNING, FAILED)


class ImportJob(Base):
    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_fingerprint_status", "fingerprint", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # shlink, yourls, kutt, bitly, csv
    origin: Mapped[str] = mapped_column(Text)  # the API's address or the file's name
    # The same source (kind, address or file contents, owner): what a new run resumes.
    fingerprint: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.QUEUED)
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # where to go on
    total: Mapped[int | None] = mapped_column(Integer, default=None)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)  # imported by an earlier run
    clashes: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(BigId, default=0)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # An uploaded file (dashboard), kept until the job is done so it can be resumed.
    upload: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ImportedLink(Base):
    __tablename__ = "imported_links"

    link_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("links.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="SET NULL"), default=None, index=True
    )
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
