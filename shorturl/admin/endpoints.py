"""API v1 admin routes (role admin only): seed-002 link jobs, link search, user management."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from shorturl.accounts import service as accounts
from shorturl.accounts.dependencies import AdminPrincipal
from shorturl.accounts.models import User
from shorturl.accounts.presenter import public_user_id
from shorturl.admin.schemas import AdminLinkList, Deactivated, UserChange, UserList, UserOut
from shorturl.analytics import service as analytics
from shorturl.analytics.orphans import OrphanFilter
from shorturl.analytics.periods import parse_moment
from shorturl.analytics.schemas import OrphanVisitList
from shorturl.api.envelope import Envelope, ok
from shorturl.api.paging import MAX_OFFSET, MAX_PAGE
from shorturl.errors import Forbidden, NotFound, ValidationFailed
from shorturl.links.dependencies import LinkServiceDep
from shorturl.links.models import Link
from shorturl.links.presenter import link_out
from shorturl.links.repository import LinkFilter
from shorturl.links.schemas import Pagination
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/admin", tags=["admin"])

Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
MAX_CODES_SHOWN = 1_000


def _pagination(total: int, limit: int, offset: int, shown: int) -> Pagination:
    return Pagination(
        total=total,
        limit=limit,
        offset=offset,
        page=offset // limit + 1,
        has_more=offset + shown < total,
    )


def _link_list(
    links: Sequence[Link], total: int, base_url: str, limit: int, offset: int
) -> AdminLinkList:
    return AdminLinkList(
        urls=[link_out(link, base_url) for link in links],
        pagination=_pagination(total, limit, offset, len(links)),
    )


def _user_out(user: User) -> UserOut:
    return UserOut(
        user_id=public_user_id(user.id),
        username=user.username,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        plan=user.plan,
        is_active=user.is_active,
        created_at=user.created_at,
    )


@router.get("/links/expired", response_model=Envelope[AdminLinkList])
async def expired_links(
    request: Request,
    _: AdminPrincipal,
    session: SessionDep,
    links: LinkServiceDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Envelope[AdminLinkList]:
    """Every link past its expiry date, of every owner (seed 002)."""
    found, total = await links.expired(session, limit=limit, offset=offset)
    return ok(request, _link_list(found, total, links.settings.base_url, limit, offset))


@router.post("/links/deactivate-unused", response_model=Envelope[Deactivated])
async def deactivate_unused(
    request: Request,
    _: AdminPrincipal,
    session: SessionDep,
    links: LinkServiceDep,
    days: Annotated[int, Query(ge=1, le=36500, description="Idle for this many days")],
) -> Envelope[Deactivated]:
    """Disable active links neither clicked nor created in the last `days` days (seed 002)."""
    codes = await links.deactivate_unused(session, days)
    return ok(
        request,
        Deactivated(days=days, deactivated=len(codes), short_codes=codes[:MAX_CODES_SHOWN]),
    )


@router.get("/links/search", response_model=Envelope[AdminLinkList])
async def search_links(
    request: Request,
    principal: AdminPrincipal,
    session: SessionDep,
    links: LinkServiceDep,
    url: Annotated[str, Query(min_length=1, max_length=2000, description="Part of the URL")],
    limit: Limit = 50,
    offset: Offset = 0,
) -> Envelope[AdminLinkList]:
    """Links of every owner whose original URL contains `url` (seed 002)."""
    found, total = await links.list(
        session,
        principal,
        spec=LinkFilter(all_owners=True, url_contains=url),
        limit=limit,
        offset=offset,
    )
    return ok(request, _link_list(found, total, links.settings.base_url, limit, offset))


@router.get("/orphan-visits", response_model=Envelope[OrphanVisitList])
async def orphan_visits(
    request: Request,
    session: SessionDep,
    _: AdminPrincipal,
    limit: Limit = 20,
    offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
    page: Annotated[int | None, Query(ge=1, le=MAX_PAGE)] = None,
    visit_type: Annotated[
        Literal["invalid_short_url", "base_url", "regular_404"] | None, Query(alias="type")
    ] = None,
    start: Annotated[str | None, Query(alias="from", description="A day or ISO time")] = None,
    end: Annotated[str | None, Query(alias="to", description="A day (whole) or ISO time")] = None,
) -> Envelope[OrphanVisitList]:
    """Requests on the short domain that matched no link, newest first: unknown codes
    (`invalid_short_url`), the base URL (`base_url`) and other missing pages (`regular_404`).
    `left_out` counts those over the per-minute cap, kept as a count only."""
    since = parse_moment(start, "from") if start else None
    until = parse_moment(end, "to", end=True) if end else None
    if since is not None and until is not None and since >= until:
        raise ValidationFailed("from must be before to", details={"field": "from"})
    first = offset if offset is not None else ((page or 1) - 1) * limit
    spec = OrphanFilter(type=visit_type, since=since, until=until)
    return ok(request, await analytics.orphan_visits(session, spec, limit=limit, offset=first))


@router.get("/users", response_model=Envelope[UserList])
async def list_users(
    request: Request,
    _: AdminPrincipal,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=200, description="Part of email or name")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Envelope[UserList]:
    """Every account, searchable by email, username or display name."""
    users, total = await accounts.list_users(session, query=q, limit=limit, offset=offset)
    return ok(
        request,
        UserList(
            users=[_user_out(user) for user in users],
            pagination=_pagination(total, limit, offset, len(users)),
        ),
    )


@router.patch("/users/{user_id}", response_model=Envelope[UserOut])
async def change_user(
    request: Request,
    user_id: str,
    body: UserChange,
    principal: AdminPrincipal,
    session: SessionDep,
) -> Envelope[UserOut]:
    """Change an account's plan, role, or disable it (its keys and tokens stop working)."""
    user = await accounts.find_user(session, user_id)
    if user is None:
        raise NotFound("User not found", details=f"No user '{user_id}'")
    if user.id == principal.user_id and (body.role == "user" or body.is_active is False):
        raise Forbidden(details="Administrators cannot demote or disable themselves")
    if body.plan is not None:
        await accounts.set_plan(session, user, body.plan)
    if body.role is not None:
        await accounts.set_role(session, user, body.role)
    if body.is_active is not None:
        await accounts.set_active(session, user, body.is_active)
    return ok(request, _user_out(user))
