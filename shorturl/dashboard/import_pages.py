"""Administrators' import page: start an import (an uploaded export, or a peer's API address
and key) as a background job, and follow each job's progress and result.

The job runs in this process's background tasks and keeps its state in the database, so any
process shows it. The API key lives only in the running task: a job stopped by a restart is
continued by submitting the same source again (a file job is kept with its file)."""

from __future__ import annotations

import contextlib
from typing import Any, Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData, UploadFile

from shorturl.accounts import service as accounts
from shorturl.dashboard.csrf import VerifiedForm, VerifiedUpload
from shorturl.dashboard.forms import field_text
from shorturl.dashboard.rendering import render
from shorturl.dashboard.security import HtmlRoute
from shorturl.dashboard.sessions import AdminSession
from shorturl.errors import NotFound
from shorturl.imports import service as imports
from shorturl.imports.records import ImportProblem
from shorturl.imports.service import MAX_UPLOAD_BYTES, SOURCES, ImportRequest
from shorturl.runtime import Runtime
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(
    prefix="/dashboard/admin/imports", route_class=HtmlRoute, include_in_schema=False
)

_READ_CHUNK: Final = 1024 * 1024


@router.get("")
async def import_jobs(request: Request, web: AdminSession, db: SessionDep) -> Response:
    return await _page(request, db)


async def _page(request: Request, db: Any, *, error: str = "", status: int = 200) -> Response:
    return render(
        request,
        "admin_imports.html",
        {
            "jobs": await imports.recent_jobs(db),
            "sources": SOURCES,
            "error": error,
            "tab": "imports",
        },
        status,
    )


@router.post("")
async def start_import(
    request: Request, form: VerifiedUpload, web: AdminSession, db: SessionDep
) -> Response:
    """Open (or continue) the job of the form's source and run it in the background."""
    runtime: Runtime = request.app.state.runtime
    try:
        import_request = await _request_from(form, db)
        job_id, _ = await imports.open_import(runtime, import_request)
    except ImportProblem as problem:
        return await _page(request, db, error=str(problem), status=400)
    _run_in_background(runtime, job_id, import_request)
    return RedirectResponse(f"/dashboard/admin/imports/{job_id}", 303)


@router.get("/{job_id}")
async def import_job(request: Request, job_id: int, web: AdminSession, db: SessionDep) -> Response:
    job = await imports.job_view(db, job_id)
    if job is None:
        raise NotFound(details="No such import job")
    return render(request, "admin_import.html", {"job": job, "tab": "imports"})


@router.post("/{job_id}/resume")
async def resume_import(
    request: Request, job_id: int, form: VerifiedForm, web: AdminSession, db: SessionDep
) -> Response:
    """Continue a stopped file import (API imports need their key: submit the form again)."""
    runtime: Runtime = request.app.state.runtime
    job = await imports.job_view(db, job_id)
    data = await imports.upload_of(db, job_id)
    if job is None or data is None:
        raise NotFound(details="No stopped file import with this number")
    owner_id = await imports.owner_of(db, job_id)
    import_request = ImportRequest(job.source, data=data, file_name=job.origin, owner_id=owner_id)
    try:
        await imports.open_import(runtime, import_request)
    except ImportProblem as problem:
        return await _page(request, db, error=str(problem), status=400)
    _run_in_background(runtime, job_id, import_request)
    return RedirectResponse(f"/dashboard/admin/imports/{job_id}", 303)


def _run_in_background(runtime: Runtime, job_id: int, request: ImportRequest) -> None:
    async def job() -> None:
        # ImportProblem: another run has the job, which its page shows.
        with contextlib.suppress(ImportProblem):
            await imports.run_import(runtime, job_id, request)

    runtime.background.submit(f"import-{job_id}", job)


async def _request_from(form: FormData, db: Any) -> ImportRequest:
    source = field_text(form, "source", 16)
    upload = form.get("file")
    data = None
    file_name = None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await _read_capped(upload)
        file_name = upload.filename[:200]
    owner_id = None
    login = field_text(form, "owner", 320)
    if login:
        user = await accounts.find_user(db, login)
        if user is None:
            raise ImportProblem(f"no user {login!r}")
        owner_id = user.id
    request = ImportRequest(
        source,
        data=data,
        file_name=file_name,
        api_url=(field_text(form, "api_url", 2000) or None) if data is None else None,
        api_key=field_text(form, "api_key", 500) or None,
        group=field_text(form, "group", 100) or None,
        table_prefix=field_text(form, "table_prefix", 64) or "yourls_",
        history=form.get("history") is not None,
        owner_id=owner_id,
    )
    request.check()
    return request


async def _read_capped(upload: UploadFile) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(_READ_CHUNK):
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise ImportProblem(f"the file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)
