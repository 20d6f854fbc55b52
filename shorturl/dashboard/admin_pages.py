"""Administrators' pages: every link and every user, disabling either, orphan visits, and the
seed-002 jobs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts import service as accounts
from shorturl.analytics import service as analytics
from shorturl.analytics.orphans import ORPHAN_TYPES, OrphanFilter
from shorturl.dashboard.csrf import VerifiedForm
from shorturl.dashboard.forms import field_text
from shorturl.dashboard.link_pages import links_table, tidy_table_url
from shorturl.dashboard.rendering import render
from shorturl.dashboard.security import HtmlRoute
from shorturl.dashboard.sessions import AdminSession, WebSession
from shorturl.dashboard.table import LinkTableQuery, page_of
from shorturl.errors import Forbidden, NotFound, ValidationFailed
from shorturl.links.dependencies import LinkServiceDep
from shorturl.links.service import LinkService
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/dashboard/admin", route_class=HtmlRoute, include_in_schema=False)

USERS_PER_PAGE = 50
ORPHANS_PER_PAGE = 50
DEFAULT_IDLE_DAYS = 90


@router.get("")
async def all_links(
    request: Request, web: AdminSession, db: SessionDep, links: LinkServiceDep
) -> Response:
    tidy = tidy_table_url(request, "/dashboard/admin")
    if tidy is not None:
        return tidy
    table = await links_table(request, db, links, web, "/dashboard/admin", everyone=True)
    owner = None
    if table["query"].owner is not None:
        owner = await accounts.user_by_id(db, table["query"].owner)
    return render(
        request, "admin_links.html", {"show_owner": True, "owner": owner, "tab": "links", **table}
    )


@router.get("/users")
async def users(request: Request, web: AdminSession, db: SessionDep) -> Response:
    query = LinkTableQuery.parse(request.query_params)  # only q and page are used
    found, total = await accounts.list_users(
        db, query=query.q or None, limit=USERS_PER_PAGE, offset=(query.page - 1) * USERS_PER_PAGE
    )
    paging = LinkTableQuery(q=query.q, page=query.page, per_page=USERS_PER_PAGE)
    return render(
        request,
        "admin_users.html",
        {
            "users": found,
            "query": query,
            "page": page_of(paging, "/dashboard/admin/users", total, len(found)),
            "back": paging.url("/dashboard/admin/users"),
            "tab": "users",
        },
    )


@router.post("/users/{user_id}/active")
async def set_user_active(
    request: Request, user_id: int, form: VerifiedForm, web: AdminSession, db: SessionDep
) -> Response:
    """Disable an account (its sessions, tokens and keys stop working) or enable it again."""
    user = await accounts.user_by_id(db, user_id)
    if user is None:
        raise NotFound(details="No such user")
    active = field_text(form, "active", 8)
    if active not in ("true", "false"):
        raise ValidationFailed(details="Choose to enable or disable the account.")
    if user.id == web.user_id and active == "false":
        raise Forbidden(details="You cannot disable your own account.")
    await accounts.set_active(db, user, active == "true")
    back = field_text(form, "back", 2000)
    return RedirectResponse(
        back if back.startswith("/dashboard/admin/users") else "/dashboard/admin/users", 303
    )


@router.get("/orphans")
async def orphan_visits(request: Request, web: AdminSession, db: SessionDep) -> Response:
    """Requests that matched no link, newest first, by type."""
    query = LinkTableQuery.parse(request.query_params)  # only page is used
    chosen = request.query_params.get("type") or None
    if chosen is not None and chosen not in ORPHAN_TYPES:
        raise ValidationFailed(details="Choose one of the listed types.")
    paging = LinkTableQuery(page=query.page, per_page=ORPHANS_PER_PAGE)
    listed = await analytics.orphan_visits(
        db, OrphanFilter(type=chosen), limit=ORPHANS_PER_PAGE, offset=paging.offset
    )
    page = page_of(paging, "/dashboard/admin/orphans", listed.total, len(listed.visits))
    if chosen:  # keep the filter on the pager's links
        page = replace(
            page,
            previous_url=_with_type(page.previous_url, chosen),
            next_url=_with_type(page.next_url, chosen),
        )
    return render(
        request,
        "admin_orphans.html",
        {
            "orphans": listed,
            "types": ORPHAN_TYPES,
            "chosen": chosen,
            "page": page,
            "tab": "orphans",
        },
    )


def _with_type(url: str | None, chosen: str) -> str | None:
    if url is None:
        return None
    return f"{url}{'&' if '?' in url else '?'}type={chosen}"


async def _jobs(
    request: Request, db: AsyncSession, links: LinkService, web: WebSession, **context: Any
) -> Response:
    query = LinkTableQuery.parse(request.query_params)
    expired, total = await links.expired(db, limit=query.per_page, offset=query.offset)
    context.setdefault("deactivated", None)
    context.setdefault("days", DEFAULT_IDLE_DAYS)
    return render(
        request,
        "admin_jobs.html",
        {
            "expired": expired,
            "page": page_of(query, "/dashboard/admin/jobs", total, len(expired)),
            "base_url": links.settings.base_url,
            "tab": "jobs",
            **context,
        },
    )


@router.get("/jobs")
async def jobs(
    request: Request, web: AdminSession, db: SessionDep, links: LinkServiceDep
) -> Response:
    return await _jobs(request, db, links, web)


@router.post("/jobs/deactivate-unused")
async def deactivate_unused(
    request: Request, form: VerifiedForm, web: AdminSession, db: SessionDep, links: LinkServiceDep
) -> Response:
    """Seed 002: disable the active links nobody clicked (nor created) in the last N days."""
    days_text = field_text(form, "days", 8)
    if not days_text.isdigit() or not 1 <= int(days_text) <= 36500:
        raise ValidationFailed(details="Days: a whole number from 1 to 36,500.")
    codes = await links.deactivate_unused(db, int(days_text))
    return await _jobs(request, db, links, web, deactivated=codes, days=int(days_text))
