"""API v1 domain routes: admins add short domains, any signed-in caller lists them.

Errors: 400 `VALIDATION_ERROR` (not a host name, a bad redirect URL), 401 `UNAUTHORIZED`,
403 `FORBIDDEN` (not an admin), 404 `NOT_FOUND`, 409 `DOMAIN_EXISTS` or `DOMAIN_IN_USE`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from shorturl.accounts.dependencies import AdminPrincipal, CurrentUser
from shorturl.api.envelope import Envelope, ok
from shorturl.domains import service
from shorturl.domains.dependencies import DomainRegistryDep
from shorturl.domains.schemas import (
    DomainCreate,
    DomainDeleted,
    DomainList,
    DomainOut,
    DomainUpdate,
)
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/domains", tags=["domains"])


@router.get("", response_model=Envelope[DomainList])
async def list_domains(
    request: Request, user: CurrentUser, session: SessionDep
) -> Envelope[DomainList]:
    """The default domain and every added one: a link may be made on any of them."""
    settings = request.app.state.runtime.settings
    return ok(request, DomainList(domains=await service.listed(session, settings)))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Envelope[DomainOut])
async def add_domain(
    request: Request,
    body: DomainCreate,
    admin: AdminPrincipal,
    session: SessionDep,
    registry: DomainRegistryDep,
) -> Envelope[DomainOut]:
    """Serve short links on `host` too (point its DNS at this server). Optional redirects for
    `GET /` and for unknown codes on it."""
    settings = request.app.state.runtime.settings
    return ok(request, await service.add(session, body, settings, registry))


@router.patch("/{host}", response_model=Envelope[DomainOut])
async def change_domain(
    request: Request,
    host: str,
    body: DomainUpdate,
    admin: AdminPrincipal,
    session: SessionDep,
    registry: DomainRegistryDep,
) -> Envelope[DomainOut]:
    """Change a domain's redirects (`null` removes one: the home page, or a 404, again)."""
    settings = request.app.state.runtime.settings
    domain = await service.domain_of(session, host)
    return ok(request, await service.change(session, domain, body, settings, registry))


@router.delete("/{host}", response_model=Envelope[DomainDeleted])
async def remove_domain(
    request: Request,
    host: str,
    admin: AdminPrincipal,
    session: SessionDep,
    registry: DomainRegistryDep,
) -> Envelope[DomainDeleted]:
    """Stop serving a domain no link is on (409 `DOMAIN_IN_USE` else)."""
    domain = await service.domain_of(session, host)
    await service.remove(session, domain, registry)
    return ok(request, DomainDeleted(message="Domain removed", host=domain.host))
