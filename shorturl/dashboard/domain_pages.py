"""Administrators' short domains page: add a domain, change its `GET /` and unknown-code
redirects, remove one no link is on. The default domain (SHORTURL_BASE_URL) is listed only."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.dashboard.csrf import VerifiedForm
from shorturl.dashboard.forms import field_text
from shorturl.dashboard.rendering import plain_error, render
from shorturl.dashboard.security import HtmlRoute
from shorturl.dashboard.sessions import AdminSession
from shorturl.domains import service as domains
from shorturl.domains.dependencies import DomainRegistryDep
from shorturl.domains.models import MAX_HOST_LENGTH
from shorturl.domains.schemas import DomainCreate, DomainUpdate
from shorturl.errors import AppError, ValidationFailed
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(
    prefix="/dashboard/admin/domains", route_class=HtmlRoute, include_in_schema=False
)

M = TypeVar("M", DomainCreate, DomainUpdate)

PAGE = "/dashboard/admin/domains"
_FLASHES = {
    "added": "is served now: point its DNS at this server.",
    "changed": "has its new redirects.",
    "removed": "is not served any more.",
}


async def _page(request: Request, db: AsyncSession, status: int = 200, **context: Any) -> Response:
    settings = request.app.state.runtime.settings
    context.setdefault("error", None)
    context.setdefault("entered", {})
    flash = next(
        (
            f"{request.query_params[key]} {text}"
            for key, text in _FLASHES.items()
            if request.query_params.get(key)
        ),
        None,
    )
    return render(
        request,
        "admin_domains.html",
        {
            "domains": await domains.listed(db, settings),
            "flash": flash,
            "max_host": MAX_HOST_LENGTH,
            "tab": "domains",
            **context,
        },
        status=status,
    )


def _redirects(form: VerifiedForm) -> dict[str, str | None]:
    """The two redirect fields; an empty one means none (a 404)."""
    return {
        name: field_text(form, name, 8192) or None
        for name in ("root_redirect", "not_found_redirect")
    }


def _done(key: str, host: str) -> RedirectResponse:
    return RedirectResponse(f"{PAGE}?{urlencode({key: host})}", 303)


@router.get("")
async def domains_page(request: Request, web: AdminSession, db: SessionDep) -> Response:
    return await _page(request, db)


@router.post("")
async def add_domain(
    request: Request,
    form: VerifiedForm,
    web: AdminSession,
    db: SessionDep,
    registry: DomainRegistryDep,
) -> Response:
    entered = {"host": field_text(form, "host", MAX_HOST_LENGTH + 1), **_redirects(form)}
    settings = request.app.state.runtime.settings
    try:
        body = _checked(DomainCreate, entered)
        added = await domains.add(db, body, settings, registry)
    except AppError as error:
        await db.rollback()
        return await _page(
            request, db, error.status_code, error=plain_error(error), entered=entered
        )
    return _done("added", added.host)


@router.post("/{host}")
async def change_domain(
    request: Request,
    host: str,
    form: VerifiedForm,
    web: AdminSession,
    db: SessionDep,
    registry: DomainRegistryDep,
) -> Response:
    settings = request.app.state.runtime.settings
    domain = await domains.domain_of(db, host)
    try:
        body = _checked(DomainUpdate, _redirects(form))
        await domains.change(db, domain, body, settings, registry)
    except AppError as error:
        await db.rollback()
        return await _page(request, db, error.status_code, error=plain_error(error))
    return _done("changed", domain.host)


@router.post("/{host}/delete")
async def remove_domain(
    request: Request,
    host: str,
    form: VerifiedForm,
    web: AdminSession,
    db: SessionDep,
    registry: DomainRegistryDep,
) -> Response:
    domain = await domains.domain_of(db, host)
    try:
        await domains.remove(db, domain, registry)
    except AppError as error:
        await db.rollback()
        return await _page(request, db, error.status_code, error=plain_error(error))
    return _done("removed", domain.host)


def _checked(schema: type[M], values: dict[str, Any]) -> M:
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "form"
        raise ValidationFailed(f"{field}: {problem['msg']}") from None
