"""API v1 routes that move many links at once: bulk create (seed 003), CSV import and export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile

from shorturl.accounts.dependencies import CurrentPrincipal
from shorturl.accounts.principal import Principal
from shorturl.api.envelope import Envelope, ok
from shorturl.errors import Unauthorized, ValidationFailed
from shorturl.links.bulk import BulkEntry, BulkOutcome, entry_from
from shorturl.links.dependencies import LinkServiceDep
from shorturl.links.presenter import bulk_result
from shorturl.links.repository import LinkFilter
from shorturl.links.schemas import BulkCreate, BulkResult
from shorturl.links.service import LinkService
from shorturl.links.transfer import (
    MAX_IMPORT_BYTES,
    export_csv,
    export_total,
    import_entries,
    parse_import,
)
from shorturl.ratelimit.api import consume_up_to
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(tags=["links"])

_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


async def _create(
    request: Request,
    session: SessionDep,
    links: LinkService,
    principal: Principal,
    entries: list[BulkEntry],
) -> BulkOutcome:
    # The request itself counted one creation already; each further item counts one more.
    allowed = 1 + await consume_up_to(request, principal, "create", len(entries) - 1)
    return await links.create_many(session, entries, principal, allowed=allowed)


@router.post("/urls/bulk", status_code=status.HTTP_200_OK, response_model=Envelope[BulkResult])
async def bulk_create(
    request: Request,
    body: BulkCreate,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
) -> Envelope[BulkResult]:
    """Create up to 1,000 short URLs; each item is created or fails with its own error code
    (`INVALID_URL`, `CUSTOM_ALIAS_TAKEN`, `MALICIOUS_URL`, `QUOTA_EXCEEDED`,
    `RATE_LIMITED`…), and `summary` counts both. Each item counts against the hourly
    creation limit and the monthly quota."""
    entries = [entry_from(index, item) for index, item in enumerate(body.urls)]
    outcome = await _create(request, session, links, principal, entries)
    return ok(request, bulk_result(outcome, links.settings.base_url))


@router.post(
    "/urls/import",
    status_code=status.HTTP_200_OK,
    response_model=Envelope[BulkResult],
    openapi_extra=_CSV_BODY,
)
async def import_links(
    request: Request,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
    keep_codes: Annotated[bool, Query(description="Use the short_code column as alias")] = True,
) -> Envelope[BulkResult]:
    """Import up to 1,000 links from CSV (an export, or any file with a `long_url` column),
    sent as the body (`text/csv`) or as the `file` of a multipart upload. Answers like bulk
    create, each item with its `row` (1 = the first row after the header)."""
    rows = parse_import(await _upload(request), keep_codes=keep_codes)
    outcome = await _create(request, session, links, principal, import_entries(rows))
    rows_of = [row.row for row in rows]
    return ok(request, bulk_result(outcome, links.settings.base_url, rows_of))


@router.get(
    "/urls/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The links as CSV"}},
)
async def export_links(
    request: Request,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
    status_filter: Annotated[
        Literal["active", "expired", "disabled", "deleted"] | None, Query(alias="status")
    ] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> StreamingResponse:
    """Your links as CSV (the columns of the link object, oldest first), streamed;
    `X-Total-Count` says how many rows follow the header."""
    if not principal.is_authenticated:
        raise Unauthorized(details="Sign in (API key or bearer token) to export your links")
    spec = LinkFilter(
        owner_id=principal.user_id, all_owners=False, status=status_filter, tag=tag, query=q
    )
    total = await export_total(session, spec)
    # The stream reads in sessions of its own: this request's is closed before it runs.
    sessionmaker = request.app.state.runtime.database.sessionmaker
    return StreamingResponse(
        export_csv(sessionmaker, spec, links.settings.base_url),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="shorturl-links.csv"',
            "X-Total-Count": str(total),
        },
    )


async def _upload(request: Request) -> bytes:
    """The CSV file of an import: the body, or the `file` part of a multipart form."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_IMPORT_BYTES)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("Send the CSV file as the 'file' field of the form")
        return await upload.read(MAX_IMPORT_BYTES + 1)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_IMPORT_BYTES:
            break
    return bytes(data)
