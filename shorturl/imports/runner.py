"""The runner every importer shares: a job, read in batches from its source, each batch
written with the job's progress in one transaction, so a run stopped anywhere continues
from the last batch stored, and a run of a source already imported changes nothing.

Per link: the code is kept as the source had it. A code that exists here already is left
alone: if an earlier import of the same kind of source made it, it counts as unchanged,
otherwise it is reported as a clash. The link keeps its creation date, expiry (one already
past imports the link as expired), click limit, tags, title (as the description) and
disabled state; its dated clicks go into the rollups with what the source knows of them
(country, referrer, device, browser, OS, robots), the clicks it counts without dates on its
creation day, and its click counters include them all.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.accounts.principal import Principal
from shorturl.analytics import service as analytics
from shorturl.analytics.rollups import CountedClicks
from shorturl.imports.models import ImportJob, ImportStatus
from shorturl.imports.records import Batch, ImportedLink, ImportProblem, Source
from shorturl.imports.repository import ImportRepository
from shorturl.links.bulk import BulkEntry, entry_from
from shorturl.links.codes import kept_code_problem
from shorturl.links.models import Link, LinkStatus
from shorturl.links.repository import LinkRepository
from shorturl.links.service import LinkService
from shorturl.storage.db import run_after_commit
from shorturl.timestamps import utcnow

__all__ = [
    "HEARTBEAT_STALE",
    "JobView",
    "fingerprint",
    "import_batch",
    "open_job",
    "run_job",
]

# A running job whose heartbeat is older than this was left by a run that died.
HEARTBEAT_STALE: Final = timedelta(seconds=60)
MAX_PROBLEMS: Final = 500  # kept on the job (the counters go on counting)
_MAX_TAGS: Final = 20
_MAX_TAG_LENGTH: Final = 64
_MAX_DESCRIPTION: Final = 2000

Progress = Callable[["JobView"], None]


@dataclass(frozen=True, slots=True)
class JobView:
    """A job's state, readable after its session is closed."""

    id: int
    source: str
    origin: str
    status: str
    total: int | None
    processed: int
    created: int
    unchanged: int
    clashes: int
    failed: int
    clicks: int
    problems: list[dict[str, Any]]
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: ImportJob) -> JobView:
        return cls(
            job.id,
            job.source,
            job.origin,
            job.status,
            job.total,
            job.processed,
            job.created,
            job.unchanged,
            job.clashes,
            job.failed,
            job.clicks,
            list(job.problems or []),
            job.error,
            job.created_at,
            job.updated_at,
            job.finished_at,
        )

    @property
    def is_stale(self) -> bool:
        """Running, but nobody has stored a batch for a while: its run died."""
        return self.status == ImportStatus.RUNNING and utcnow() - self.updated_at > HEARTBEAT_STALE


@dataclass(slots=True)
class _Tally:
    created: int = 0
    unchanged: int = 0
    clashes: int = 0
    failed: int = 0
    clicks: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    def problem(self, code: str, kind: str, message: str) -> None:
        self.problems.append({"code": code, "kind": kind, "problem": message})


def fingerprint(*parts: str | int | None) -> str:
    """What identifies a source for resuming: kind, address or file digest, owner."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


async def open_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    source: str,
    origin: str,
    fingerprint: str,
    owner_id: int | None,
    upload: bytes | None = None,
    restart: bool = False,
) -> tuple[int, bool]:
    """The job to run for this source: the unfinished one to resume (unless `restart`), or a
    new one. (job id, whether it resumes)."""
    async with sessionmaker() as session:
        repository = ImportRepository(session)
        job = None if restart else await repository.unfinished(fingerprint)
        if job is not None:
            return job.id, True
        now = utcnow()
        job = ImportJob(
            source=source,
            origin=origin,
            fingerprint=fingerprint,
            owner_id=owner_id,
            status=ImportStatus.QUEUED,
            cursor={},
            problems=[],
            upload=upload,
            created_at=now,
            updated_at=now,
        )
        session.add(job)
        await session.commit()
        return job.id, False


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    links: LinkService,
    job_id: int,
    source: Source,
    principal: Principal,
    on_progress: Progress | None = None,
) -> JobView:
    """Run (or continue) the job: every batch of `source` from the job's cursor on. A source
    that cannot be read fails the job with its reason (ImportProblem is not raised); a run
    that is cancelled leaves the job resumable."""
    async with sessionmaker() as session:
        now = utcnow()
        if not await ImportRepository(session).claim(job_id, now - HEARTBEAT_STALE, now):
            raise ImportProblem(f"import job {job_id} is finished or another run is busy with it")
        await session.commit()
        job = await session.get(ImportJob, job_id)
        assert job is not None
        cursor = dict(job.cursor or {})
    try:
        async for batch in source.batches(cursor):
            view = await _store_batch(sessionmaker, links, job_id, source.kind, batch, principal)
            if on_progress is not None:
                on_progress(view)
    except ImportProblem as problem:
        return await _end(sessionmaker, job_id, ImportStatus.FAILED, str(problem))
    except (asyncio.CancelledError, KeyboardInterrupt):
        await asyncio.shield(_end(sessionmaker, job_id, ImportStatus.FAILED, "interrupted"))
        raise
    return await _end(sessionmaker, job_id, ImportStatus.DONE, None)


async def _store_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    links: LinkService,
    job_id: int,
    kind: str,
    batch: Batch,
    principal: Principal,
) -> JobView:
    async with sessionmaker() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        tally = await import_batch(session, links, kind, job_id, batch.links, principal)
        job.processed += batch.read or len(batch.links)
        job.created += tally.created
        job.unchanged += tally.unchanged
        job.clashes += tally.clashes
        job.failed += tally.failed
        job.clicks += tally.clicks
        room = MAX_PROBLEMS - len(job.problems or [])
        if room > 0 and tally.problems:
            job.problems = [*(job.problems or []), *tally.problems[:room]]
        job.cursor = batch.cursor
        if batch.total is not None:
            job.total = batch.total
        job.updated_at = utcnow()
        view = JobView.of(job)
        await run_after_commit(session)
    return view


async def _end(
    sessionmaker: async_sessionmaker[AsyncSession], job_id: int, status: str, error: str | None
) -> JobView:
    async with sessionmaker() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        job.status, job.error = status, error
        job.updated_at = utcnow()
        if status == ImportStatus.DONE:
            job.finished_at = job.updated_at
            job.upload = None  # no longer needed to resume
            if job.total is None or job.total < job.processed:
                job.total = job.processed
        view = JobView.of(job)
        await session.commit()
    return view


async def import_batch(
    session: AsyncSession,
    links: LinkService,
    kind: str,
    job_id: int,
    batch: Sequence[ImportedLink],
    principal: Principal,
) -> _Tally:
    """Write one batch in `session` (not committed): create what is new, count what an
    earlier import made, report clashes and links that cannot be imported."""
    tally = _Tally()
    candidates: list[ImportedLink] = []
    seen: set[str] = set()
    for item in batch:
        problem = kept_code_problem(item.code)
        if problem is None and item.code in seen:
            problem = "the source has this code twice; the first one was imported"
        if problem is not None:
            tally.failed += 1
            tally.problem(item.code, "invalid", problem)
            continue
        seen.add(item.code)
        candidates.append(item)
    taken = await LinkRepository(session).existing_codes(
        (item.code for item in candidates), domain=""
    )
    ours = await ImportRepository(session).imported_codes(kind, taken)
    fresh: list[ImportedLink] = []
    for item in candidates:
        if item.code in ours:
            tally.unchanged += 1
        elif item.code in taken:
            tally.clashes += 1
            tally.problem(item.code, "clash", "a link here has this code already; left as it is")
        else:
            fresh.append(item)
    now = utcnow()
    entries = [_entry(index, item, now) for index, item in enumerate(fresh)]
    outcome = await links.create_many(session, entries, principal)
    for failure in outcome.failed:
        item = fresh[failure.index]
        if failure.error.code == "CUSTOM_ALIAS_TAKEN":  # taken meanwhile
            tally.clashes += 1
            tally.problem(item.code, "clash", "a link here has this code already")
        else:
            tally.failed += 1
            tally.problem(
                item.code, "failed", _reason(failure.error.message, failure.error.details)
            )
    counted: list[CountedClicks] = []
    created = [(fresh[index], link) for index, link in outcome.created]
    for item, link in created:
        counted += _carry_over(item, link, now)
        tally.clicks += link.click_count
    tally.created = len(created)
    await session.flush()
    await analytics.add_counted_clicks(session, counted)
    ImportRepository(session).record(kind, job_id, (link.id for _, link in created))
    return tally


def _entry(index: int, item: ImportedLink, now: datetime) -> BulkEntry:
    values: dict[str, Any] = {
        "long_url": item.long_url,
        "custom_alias": item.code,
        "max_clicks": item.max_clicks if item.max_clicks and item.max_clicks > 0 else None,
        "description": (item.description or "").strip()[:_MAX_DESCRIPTION] or None,
        "tags": [tag.strip()[:_MAX_TAG_LENGTH] for tag in item.tags if tag.strip()][:_MAX_TAGS],
    }
    if item.expires_at is not None and item.expires_at > now:
        values["expiration_date"] = item.expires_at
    entry = entry_from(index, values, disabled=item.disabled)
    entry.kept_code = True
    return entry


def _carry_over(item: ImportedLink, link: Link, now: datetime) -> list[CountedClicks]:
    """Give a new link what the source knew of it; its clicks, for the rollups."""
    if item.created_at is not None and item.created_at < now:
        link.created_at = item.created_at
    if item.expires_at is not None and item.expires_at <= now:
        link.expires_at = item.expires_at
        if link.status == LinkStatus.ACTIVE:
            link.status = LinkStatus.EXPIRED
    counted = [
        CountedClicks(link.id, moment.at, moment.clicks, moment.is_bot, moment.values)
        for moment in item.history
        if moment.clicks > 0
    ]
    undated = item.undated_clicks()
    if undated:
        counted.append(CountedClicks(link.id, link.created_at, undated))
    humans = sum(entry.clicks for entry in counted if not entry.is_bot)
    link.click_count = humans
    link.clicks_used = sum(entry.clicks for entry in counted)
    if counted:
        link.last_clicked_at = max(entry.at for entry in counted)
    return counted


def _reason(message: str, details: Any) -> str:
    if isinstance(details, str) and details:
        return f"{message}: {details}"
    if isinstance(details, list):
        parts = [
            f"{item.get('field')}: {item.get('problem')}"
            for item in details
            if isinstance(item, dict)
        ]
        if parts:
            return f"{message}: {'; '.join(parts)}"
    return message
