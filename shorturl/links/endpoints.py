"""API v1 link routes: create, read, update, delete, list (seed 003, seed 004)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, Request, status

from shorturl.accounts.dependencies import CurrentPrincipal
from shorturl.api.envelope import Envelope, ok
from shorturl.api.paging import MAX_OFFSET, MAX_PAGE
from shorturl.links.dependencies import LinkDomain, LinkServiceDep
from shorturl.links.presenter import link_out
from shorturl.links.repository import LinkFilter
from shorturl.links.schemas import (
    DeletedLink,
    LinkCreate,
    LinkList,
    LinkOut,
    LinkUpdate,
    Pagination,
)
from shorturl.links.service import UNSET, LinkChanges, NewLink, RoutingChanges, plain_items
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(tags=["links"])


@router.post("/urls", status_code=status.HTTP_201_CREATED, response_model=Envelope[LinkOut])
@router.post(
    "/shorten",
    status_code=status.HTTP_201_CREATED,
    response_model=Envelope[LinkOut],
    summary="Create a short URL (seed 004 spelling)",
)
async def create_link(
    request: Request,
    body: LinkCreate,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
) -> Envelope[LinkOut]:
    """Create a short URL, random or with a custom alias, optionally expiring."""
    new = NewLink.from_request(body)
    link = await links.create(session, new, principal)
    return ok(request, link_out(link, links.settings.base_url))


@router.get("/urls", response_model=Envelope[LinkList])
async def list_links(
    request: Request,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int | None, Query(ge=0, le=MAX_OFFSET)] = None,
    page: Annotated[int | None, Query(ge=1, le=MAX_PAGE)] = None,
    status_filter: Annotated[
        Literal["active", "expired", "disabled", "deleted"] | None, Query(alias="status")
    ] = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Literal["created_at", "updated_at", "click_count", "last_clicked_at"] = "created_at",
    order: Literal["asc", "desc"] = "desc",
) -> Envelope[LinkList]:
    """The caller's links (an admin's: every link), filtered, searched (code, URL,
    description), sorted and paginated. Anonymous callers get 401."""
    start = offset if offset is not None else ((page or 1) - 1) * limit
    spec = LinkFilter(
        owner_id=principal.user_id,
        all_owners=True,
        status=status_filter,
        tag=tag,
        query=q or None,
    )
    found, total = await links.list(
        session,
        principal,
        spec=spec,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=start,
    )
    base_url = links.settings.base_url
    return ok(
        request,
        LinkList(
            urls=[link_out(link, base_url) for link in found],
            pagination=Pagination(
                total=total,
                limit=limit,
                offset=start,
                page=start // limit + 1,
                has_more=start + len(found) < total,
            ),
        ),
    )


@router.get("/urls/{code}", response_model=Envelope[LinkOut])
async def get_link(
    request: Request,
    code: str,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
    domain: LinkDomain = None,
) -> Envelope[LinkOut]:
    """Details of one short URL, with its click count and owner (owner or admin only, when
    the link has an owner)."""
    link = await links.get_readable(session, code, principal, domain)
    return ok(request, link_out(link, links.settings.base_url))


@router.put("/urls/{code}", response_model=Envelope[LinkOut])
@router.patch("/urls/{code}", response_model=Envelope[LinkOut])
async def update_link(
    request: Request,
    code: str,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
    body: Annotated[LinkUpdate, Body()],
    domain: LinkDomain = None,
) -> Envelope[LinkOut]:
    """Change a link's target, expiry, click limit, description, tags, status, password,
    rules, A/B variants or expired_redirect (`null` removes one of the last four)."""
    given = body.model_fields_set
    changes = LinkChanges(
        long_url=body.long_url if "long_url" in given and body.long_url is not None else UNSET,
        expires_at=body.expiration_date if "expiration_date" in given else UNSET,
        max_clicks=body.max_clicks if "max_clicks" in given else UNSET,
        description=body.description if "description" in given else UNSET,
        tags=body.tags if "tags" in given else UNSET,
        status=body.status if "status" in given and body.status is not None else UNSET,
        disabled_reason=body.disabled_reason if "disabled_reason" in given else UNSET,
        routing=RoutingChanges(
            password=body.password if "password" in given else UNSET,
            rules=plain_items(body.rules) if "rules" in given else UNSET,
            variants=plain_items(body.variants) if "variants" in given else UNSET,
            expired_redirect=body.expired_redirect if "expired_redirect" in given else UNSET,
        ),
    )
    link = await links.update(session, code, changes, principal, domain)
    return ok(request, link_out(link, links.settings.base_url))


@router.delete("/urls/{code}", response_model=Envelope[DeletedLink])
async def delete_link(
    request: Request,
    code: str,
    session: SessionDep,
    links: LinkServiceDep,
    principal: CurrentPrincipal,
    domain: LinkDomain = None,
) -> Envelope[DeletedLink]:
    """Delete a link. Its code stops working and is never handed out again."""
    link = await links.delete(session, code, principal, domain)
    assert link.deleted_at is not None
    return ok(
        request,
        DeletedLink(
            message="URL successfully deleted", short_code=link.code, deleted_at=link.deleted_at
        ),
    )
