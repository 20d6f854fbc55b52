"""Every route of the web UI in one router, for `create_app` to include."""

from __future__ import annotations

from fastapi import APIRouter

from shorturl.dashboard import (
    account_pages,
    admin_pages,
    assets,
    domain_pages,
    endpoints,
    import_pages,
    link_pages,
    webhook_pages,
)
from shorturl.dashboard.security import HtmlRoute
from shorturl.errors import NotFound

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
router.include_router(assets.router)
router.include_router(endpoints.router)
router.include_router(link_pages.router)
router.include_router(account_pages.router)
router.include_router(admin_pages.router)
router.include_router(domain_pages.router)
router.include_router(import_pages.router)
router.include_router(webhook_pages.router)

_not_found = APIRouter(route_class=HtmlRoute, include_in_schema=False)


@_not_found.api_route("/dashboard/{rest:path}", methods=["GET", "POST"])
async def no_such_page(rest: str) -> None:
    """Any other address under /dashboard is an HTML 404, not the API's JSON one."""
    raise NotFound(details="There is no page at this address")


router.include_router(_not_found)
