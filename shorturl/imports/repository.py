"""Every query of the importers: jobs (find, claim, list) and where imported links came from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.imports.models import ImportedLink, ImportJob, ImportStatus
from shorturl.links.models import Link

__all__ = ["ImportRepository"]

_CHUNK = 500


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def unfinished(self, fingerprint: str) -> ImportJob | None:
        """The newest job of this source that did not finish (interrupted or failed)."""
        return await self.session.scalar(
            select(ImportJob)
            .where(
                ImportJob.fingerprint == fingerprint,
                ImportJob.status.in_(ImportStatus.UNFINISHED),
            )
            .order_by(ImportJob.id.desc())
            .limit(1)
        )

    async def claim(self, job_id: int, stale_before: datetime, now: datetime) -> bool:
        """Take the job for this run: it must not be done, nor running with a heartbeat
        newer than `stale_before` (another run is busy with it)."""
        result = await self.session.execute(
            update(ImportJob)
            .where(
                ImportJob.id == job_id,
                ImportJob.status != ImportStatus.DONE,
                (ImportJob.status != ImportStatus.RUNNING) | (ImportJob.updated_at < stale_before),
            )
            .values(status=ImportStatus.RUNNING, updated_at=now, error=None)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def upload(self, job_id: int) -> bytes | None:
        """The file kept with a job (a deferred column: read on its own)."""
        return await self.session.scalar(select(ImportJob.upload).where(ImportJob.id == job_id))

    async def recent(self, limit: int) -> Sequence[ImportJob]:
        rows = await self.session.scalars(
            select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)
        )
        return rows.all()

    async def imported_codes(self, source: str, codes: Iterable[str]) -> set[str]:
        """Which of `codes` belong to links imported from `source` (by any run)."""
        wanted = list(dict.fromkeys(codes))
        found: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            rows = await self.session.scalars(
                select(Link.code)
                .join(ImportedLink, ImportedLink.link_id == Link.id)
                .where(ImportedLink.source == source, Link.code.in_(wanted[start : start + _CHUNK]))
            )
            found.update(rows.all())
        return found

    def record(self, source: str, job_id: int, link_ids: Iterable[int]) -> None:
        self.session.add_all(
            ImportedLink(link_id=link_id, source=source, job_id=job_id) for link_id in link_ids
        )
