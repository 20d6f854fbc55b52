"""Starting and running imports, for the CLI and the admin dashboard alike: the source an
`ImportRequest` names, the job it resumes or opens, and the run under the right principal."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts import service as accounts
from shorturl.accounts.principal import OPERATOR, Principal
from shorturl.imports.bitly import DEFAULT_API as BITLY_API
from shorturl.imports.bitly import BitlyApi, BitlyCsv
from shorturl.imports.csv_file import ShorturlCsv
from shorturl.imports.kutt import KuttApi
from shorturl.imports.models import ImportJob
from shorturl.imports.records import ImportProblem, Source
from shorturl.imports.remote import RemoteApi, import_fetcher
from shorturl.imports.repository import ImportRepository
from shorturl.imports.runner import JobView, Progress, fingerprint, open_job, run_job
from shorturl.imports.shlink import ShlinkApi, ShlinkCsv
from shorturl.imports.yourls import YourlsApi, YourlsDump
from shorturl.runtime import Runtime

__all__ = [
    "MAX_UPLOAD_BYTES",
    "SOURCES",
    "ImportRequest",
    "job_view",
    "open_import",
    "owner_of",
    "recent_jobs",
    "run_import",
    "upload_of",
]

SOURCES: Final = ("shlink", "yourls", "kutt", "bitly", "csv")
FILE_SOURCES: Final = frozenset({"shlink", "yourls", "bitly", "csv"})
API_SOURCES: Final = frozenset({"shlink", "yourls", "kutt", "bitly"})
MAX_UPLOAD_BYTES: Final = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """What to import: a file's contents, or an API's address and key."""

    source: str
    data: bytes | None = None
    file_name: str | None = None
    api_url: str | None = None
    api_key: str | None = None
    group: str | None = None  # Bitly: the group's guid (default: the account's)
    table_prefix: str = "yourls_"  # YOURLS dump
    history: bool = True  # API: fetch each link's visits or daily clicks
    owner_id: int | None = None

    def check(self) -> None:
        """ImportProblem when the request cannot be run (unknown source, file or API
        missing or both given, a source that has no such form)."""
        if self.source not in SOURCES:
            raise ImportProblem(f"unknown source {self.source!r}: one of {', '.join(SOURCES)}")
        if self.data is not None and self.api_url is not None:
            raise ImportProblem("give a file or an API address, not both")
        if self.data is None and self.api_url is None and self.source != "bitly":
            raise ImportProblem("give a file or an API address (--api-url)")
        if self.data is not None and self.source not in FILE_SOURCES:
            raise ImportProblem(f"{self.source} imports from its API only")
        if self.data is None and self.source not in API_SOURCES:
            raise ImportProblem(f"{self.source} imports from a file only")
        if self.data is None and not self.api_key:
            raise ImportProblem("an API import needs the API key")
        if self.data is not None and len(self.data) > MAX_UPLOAD_BYTES:
            raise ImportProblem(f"the file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")

    @property
    def origin(self) -> str:
        if self.data is not None:
            return self.file_name or "uploaded file"
        return (self.api_url or BITLY_API).rstrip("/") + (
            f" group {self.group}" if self.group else ""
        )

    @property
    def fingerprint(self) -> str:
        """Same source, same owner: the same fingerprint (the API key is not part of it)."""
        where = (
            hashlib.sha256(self.data).hexdigest()
            if self.data is not None
            else (self.api_url or BITLY_API).strip().rstrip("/").lower()
        )
        return fingerprint(self.source, where, self.group, self.table_prefix, self.owner_id)


def build_source(request: ImportRequest, runtime: Runtime) -> Source:
    """The reader of `request` (API sources fetch through the SSRF-safe fetcher)."""
    if request.data is not None:
        if request.source == "shlink":
            return ShlinkCsv(request.data)
        if request.source == "yourls":
            return YourlsDump(request.data, prefix=request.table_prefix)
        if request.source == "bitly":
            return BitlyCsv(request.data)
        return ShorturlCsv(request.data)
    fetcher = import_fetcher(runtime.settings.allow_private_targets)
    key = request.api_key or ""
    if request.source == "shlink":
        return ShlinkApi(
            RemoteApi(request.api_url or "", {"X-Api-Key": key}, fetcher), visits=request.history
        )
    if request.source == "yourls":
        return YourlsApi(RemoteApi(request.api_url or "", {}, fetcher), key)
    if request.source == "kutt":
        return KuttApi(RemoteApi(request.api_url or "", {"X-API-KEY": key}, fetcher))
    api = RemoteApi(request.api_url or BITLY_API, {"Authorization": f"Bearer {key}"}, fetcher)
    return BitlyApi(api, request.group, clicks=request.history)


async def principal_of(runtime: Runtime, owner_id: int | None) -> Principal:
    """Whom imported links belong to: nobody (the operator) or the owner, whose monthly
    quota applies."""
    if owner_id is None:
        return OPERATOR
    async with runtime.database.sessionmaker() as session:
        user = await accounts.user_by_id(session, owner_id)
    if user is None:
        raise ImportProblem(f"no user {owner_id}")
    return accounts.principal_for(user)


async def open_import(
    runtime: Runtime, request: ImportRequest, *, restart: bool = False
) -> tuple[int, bool]:
    """Check `request` and open its job: (job id, whether it resumes an unfinished one)."""
    request.check()
    build_source(request, runtime)  # reads a file now: a bad one fails before any job exists
    return await open_job(
        runtime.database.sessionmaker,
        source=request.source,
        origin=request.origin,
        fingerprint=request.fingerprint,
        owner_id=request.owner_id,
        upload=request.data,
        restart=restart,
    )


async def run_import(
    runtime: Runtime, job_id: int, request: ImportRequest, on_progress: Progress | None = None
) -> JobView:
    """Run the job opened for `request` to its end (done, or failed with its reason)."""
    source = build_source(request, runtime)
    principal = await principal_of(runtime, request.owner_id)
    fetcher = getattr(getattr(source, "api", None), "fetcher", None)
    try:
        return await run_job(
            runtime.database.sessionmaker, runtime.links, job_id, source, principal, on_progress
        )
    finally:
        if fetcher is not None:
            await fetcher.aclose()


async def job_view(session: AsyncSession, job_id: int) -> JobView | None:
    job = await session.get(ImportJob, job_id)
    return JobView.of(job) if job is not None else None


async def recent_jobs(session: AsyncSession, limit: int = 50) -> list[JobView]:
    return [JobView.of(job) for job in await ImportRepository(session).recent(limit)]


async def upload_of(session: AsyncSession, job_id: int) -> bytes | None:
    """The file an unfinished dashboard job was given (to resume it)."""
    return await ImportRepository(session).upload(job_id)


async def owner_of(session: AsyncSession, job_id: int) -> int | None:
    job = await session.get(ImportJob, job_id)
    return job.owner_id if job is not None else None
