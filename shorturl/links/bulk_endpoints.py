"""API v1 routes that move many links at once: bulk create (seed 003)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from shorturl.accounts.dependencies import CurrentPrincipal
from shorturl.api.envelope import Envelope, ok
from shorturl.links.bulk import entry_from
from shorturl.links.dependencies import LinkServiceDep
from shorturl.links.presenter import bulk_result
from shorturl.links.schemas import BulkCreate, BulkResult
from shorturl.ratelimit.api import consume_up_to
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(tags=["links"])


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
    # The request itself counted one creation already.
    allowed = 1 + await consume_up_to(request, principal, "create", len(entries) - 1)
    outcome = await links.create_many(session, entries, principal, allowed=allowed)
    return ok(request, bulk_result(outcome, links.settings.base_url))
