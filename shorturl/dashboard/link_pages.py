"""The signed-in user's pages for links: the dashboard with its table, and one link's page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.dashboard.csrf import VerifiedForm
from shorturl.dashboard.endpoints import local_target
from shorturl.dashboard.forms import LinkForm, field_text
from shorturl.dashboard.qr import qr_svg
from shorturl.dashboard.rendering import error_headers, link_path, plain_error, render
from shorturl.dashboard.reports import PERIOD_CHOICES, link_report, owner_overview
from shorturl.dashboard.routing_form import DEVICES, OPERATING_SYSTEMS, RoutingForm
from shorturl.dashboard.security import HtmlRoute
from shorturl.dashboard.sessions import SignedInSession, WebSession
from shorturl.dashboard.table import SORTS, STATUSES, LinkTableQuery, page_of
from shorturl.domains import service as domains
from shorturl.errors import AppError, Forbidden, LinkNotFound, ValidationFailed
from shorturl.links.dependencies import LinkDomain, LinkServiceDep
from shorturl.links.models import Link, LinkStatus
from shorturl.links.presenter import qr_image_url
from shorturl.links.service import LinkChanges, LinkService
from shorturl.ratelimit.api import consume
from shorturl.ratelimit.plans import plan_named
from shorturl.storage.db import SessionDep

__all__ = ["links_table", "router", "tidy_table_url"]

router = APIRouter(prefix="/dashboard", route_class=HtmlRoute, include_in_schema=False)


def tidy_table_url(request: Request, base: str) -> Response | None:
    """A redirect to the tidy URL of this table view, when the query string is not tidy."""
    query = LinkTableQuery.parse(request.query_params)
    tidy = query.canonical_url(base, request.query_params)
    return RedirectResponse(tidy, 303) if tidy is not None else None


async def links_table(
    request: Request,
    db: AsyncSession,
    links: LinkService,
    web: WebSession,
    base: str,
    *,
    everyone: bool = False,
) -> dict[str, Any]:
    """What the links table partial needs: the rows of this view, its page, its choices.
    The viewer's own links, or with `everyone` (admins) those of every user."""
    query = LinkTableQuery.parse(request.query_params)
    found, total = await links.list(
        db,
        web.principal,
        spec=query.link_filter(web.user_id, everyone=everyone),
        sort=SORTS[query.sort],
        descending=query.order == "desc",
        limit=query.per_page,
        offset=query.offset,
    )
    return {
        "query": query,
        "rows": found,
        "page": page_of(query, base, total, len(found)),
        "table_base": base,
        "back": query.url(base),
        "tags": await links.tag_names(db, web.principal, all_owners=everyone),
        "statuses": STATUSES,
        "base_url": links.settings.base_url,
    }


async def _dashboard(
    request: Request,
    web: WebSession,
    db: AsyncSession,
    links: LinkService,
    *,
    form: LinkForm | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    usage = await links.usage(db, web.user_id)
    table = await links_table(request, db, links, web, "/dashboard")
    notices = {
        "welcome": "Welcome! Create your first short link below.",
        "deleted": "The link was deleted.",
    }
    flash = next((text for key, text in notices.items() if key in request.query_params), None)
    context = {
        "usage": usage,
        "quota": plan_named(web.principal.plan).monthly_quota,
        "form": form or LinkForm(),
        "form_open": form is not None or not table["page"].total,
        "error": error,
        "flash": flash,
        "show_owner": False,
        "overview": await owner_overview(db, web.user_id),
        "domains": await domains.hosts(db, links.settings),
        **table,
    }
    return render(request, "dashboard.html", context, status=status)


@router.get("")
async def dashboard(
    request: Request, web: SignedInSession, db: SessionDep, links: LinkServiceDep
) -> Response:
    return tidy_table_url(request, "/dashboard") or await _dashboard(request, web, db, links)


@router.post("/links")
async def create_link(
    request: Request,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    links: LinkServiceDep,
) -> Response:
    entered = LinkForm.read(form)
    try:
        await consume(request, web.principal, "create")
        link = await links.create(db, entered.new_link(), web.principal)
    except AppError as error:
        await db.rollback()
        page = await _dashboard(
            request,
            web,
            db,
            links,
            form=entered,
            error=plain_error(error),
            status=error.status_code,
        )
        page.headers.update(error_headers(error))
        return page
    return RedirectResponse(link_path(link, created="1"), 303)


async def _managed(
    db: AsyncSession, links: LinkService, code: str, web: WebSession, domain: str | None
) -> Link:
    """The link, if this viewer may manage it; a link of someone else is simply not found."""
    try:
        return await links.get_managed(db, code, web.principal, domain)
    except Forbidden:
        raise LinkNotFound(details=f"You have no short link '{code}'") from None


async def _link_page(
    request: Request,
    web: WebSession,
    db: AsyncSession,
    links: LinkService,
    link: Link,
    *,
    form: LinkForm | None = None,
    error: str | None = None,
    routing: RoutingForm | None = None,
    routing_error: str | None = None,
    status: int = 200,
) -> Response:
    notices = {
        "created": "Your short link is ready.",
        "saved": "Changes saved.",
        "routed": "Routing saved.",
    }
    flash = next((text for key, text in notices.items() if key in request.query_params), None)
    context = {
        "link": link,
        "short_url": links.short_url(link.code, link.domain),
        "form": form or LinkForm.of(link),
        "error": error,
        "flash": flash,
        "statuses": (LinkStatus.ACTIVE, LinkStatus.DISABLED),
        "qr_svg": qr_svg(links.short_url(link.code, link.domain)),
        "qr_url": qr_image_url(link, ""),
        "report": await link_report(db, link, request.query_params.get("period")),
        "period_choices": PERIOD_CHOICES,
        "routing": routing or RoutingForm.of(link),
        "routing_error": routing_error,
        "devices": DEVICES,
        "systems": OPERATING_SYSTEMS,
    }
    return render(request, "link.html", context, status=status)


@router.get("/links/{code}")
async def link_page(
    request: Request,
    code: str,
    web: SignedInSession,
    db: SessionDep,
    links: LinkServiceDep,
    domain: LinkDomain = None,
) -> Response:
    link = await _managed(db, links, code, web, domain)
    return await _link_page(request, web, db, links, link)


@router.post("/links/{code}")
async def update_link(
    request: Request,
    code: str,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    links: LinkServiceDep,
    domain: LinkDomain = None,
) -> Response:
    link = await _managed(db, links, code, web, domain)
    entered = LinkForm.read(form)
    try:
        await links.update(db, code, entered.changes_to(link), web.principal, link.domain)
    except AppError as error:
        await db.rollback()
        link = await _managed(db, links, code, web, domain)
        return await _link_page(
            request,
            web,
            db,
            links,
            link,
            form=entered,
            error=plain_error(error),
            status=error.status_code,
        )
    return RedirectResponse(link_path(link, saved="1") + "#settings", 303)


@router.post("/links/{code}/routing")
async def update_routing(
    request: Request,
    code: str,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    links: LinkServiceDep,
    domain: LinkDomain = None,
) -> Response:
    """Save the link's password, rules, A/B variants and expired_redirect."""
    link = await _managed(db, links, code, web, domain)
    entered = RoutingForm.read(form, has_password=link.password_hash is not None)
    try:
        changes = LinkChanges(routing=entered.changes())
        await links.update(db, code, changes, web.principal, link.domain)
    except AppError as error:
        await db.rollback()
        link = await _managed(db, links, code, web, domain)
        return await _link_page(
            request,
            web,
            db,
            links,
            link,
            routing=entered,
            routing_error=plain_error(error),
            status=error.status_code,
        )
    return RedirectResponse(link_path(link, routed="1") + "#routing", 303)


@router.post("/links/{code}/status")
async def change_status(
    request: Request,
    code: str,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    links: LinkServiceDep,
    domain: LinkDomain = None,
) -> Response:
    """Disable or enable a link from the table (the owner's, or any link for an admin)."""
    wanted = field_text(form, "status", 16)
    if wanted not in (LinkStatus.ACTIVE, LinkStatus.DISABLED):
        raise ValidationFailed(details="A link can be made active or disabled.")
    link = await _managed(db, links, code, web, domain)
    await links.update(db, code, LinkChanges(status=wanted), web.principal, link.domain)
    return RedirectResponse(local_target(field_text(form, "back", 2000)), 303)


@router.post("/links/{code}/delete")
async def delete_link(
    request: Request,
    code: str,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    links: LinkServiceDep,
    domain: LinkDomain = None,
) -> Response:
    link = await _managed(db, links, code, web, domain)
    await links.delete(db, code, web.principal, link.domain)
    return RedirectResponse("/dashboard?deleted=1", 303)
