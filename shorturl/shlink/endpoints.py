"""Shlink REST API v3 routes (`/rest/v3/…`, `/rest/health`): thin, over ShlinkService."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from shorturl.domains.dependencies import DomainRegistryDep
from shorturl.links.dependencies import LinkServiceDep
from shorturl.links.repository import LinkFilter
from shorturl.shlink.auth import ShlinkCaller
from shorturl.shlink.problems import ShlinkProblem
from shorturl.shlink.schemas import (
    DomainRedirectsEdit,
    RedirectRulesSet,
    ShortUrlCreate,
    ShortUrlEdit,
    TagRenaming,
)
from shorturl.shlink.service import ShlinkService, VisitsQuery
from shorturl.storage.db import SessionDep
from shorturl.timestamps import utcnow

__all__ = ["router"]

# The Shlink version whose API this one answers like (the web client reads it to pick features).
SHLINK_API_VERSION: Final = "4.4.0"

router = APIRouter(tags=["Shlink REST API v3"])
v3 = APIRouter(prefix="/rest/v3")


def _service(links: LinkServiceDep) -> ShlinkService:
    return ShlinkService(links)


Shlink = Annotated[ShlinkService, Depends(_service)]
Domain = Annotated[str | None, Query()]
Tags = Annotated[list[str], Query(alias="tags[]")]
Page = Annotated[int, Query(ge=1)]


def _visits_query(
    page: Page = 1,
    itemsPerPage: int | None = None,  # noqa: N803 - Shlink's names
    startDate: datetime | None = None,  # noqa: N803
    endDate: datetime | None = None,  # noqa: N803
    excludeBots: bool = False,  # noqa: N803
) -> VisitsQuery:
    return VisitsQuery(page, itemsPerPage, startDate, endDate, excludeBots)


Visits = Annotated[VisitsQuery, Depends(_visits_query)]


def _visits(page: dict[str, Any]) -> dict[str, Any]:
    return {"visits": page}


@router.get("/rest/health")
@v3.get("/health")
async def health(request: Request) -> JSONResponse:
    """Shlink's health check (no key needed): `pass`, or 503 `fail` when the database is down."""
    status = "pass"
    try:
        async with request.app.state.runtime.database.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means failing
        status = "fail"
    body = {
        "status": status,
        "version": SHLINK_API_VERSION,
        "links": {"about": "https://shlink.io", "project": "https://github.com/shlinkio/shlink"},
    }
    return JSONResponse(
        body, status_code=200 if status == "pass" else 503, media_type="application/health+json"
    )


@v3.get("/short-urls")
async def list_short_urls(
    session: SessionDep,
    principal: ShlinkCaller,
    shlink: Shlink,
    page: Page = 1,
    itemsPerPage: int | None = None,  # noqa: N803
    searchTerm: Annotated[str | None, Query(max_length=200)] = None,  # noqa: N803
    tags: Tags = [],  # noqa: B006 - FastAPI copies defaults
    tagsMode: Annotated[str, Query(pattern="^(any|all)$")] = "any",  # noqa: N803
    excludeTags: Annotated[list[str], Query(alias="excludeTags[]")] = [],  # noqa: B006, N803
    excludeTagsMode: Annotated[str, Query(pattern="^(any|all)$")] = "any",  # noqa: N803
    orderBy: str | None = None,  # noqa: N803
    startDate: datetime | None = None,  # noqa: N803
    endDate: datetime | None = None,  # noqa: N803
    excludeMaxVisitsReached: bool = False,  # noqa: N803
    excludePastValidUntil: bool = False,  # noqa: N803
    domain: Domain = None,
) -> dict[str, Any]:
    """Your short URLs (an admin's key: every one), filtered, searched and paged."""
    spec = LinkFilter(
        query=searchTerm or None,
        tags_any=tuple(tags) if tagsMode == "any" else (),
        tags_all=tuple(tags) if tagsMode == "all" else (),
        tags_excluded_any=tuple(excludeTags) if excludeTagsMode == "any" else (),
        tags_excluded_all=tuple(excludeTags) if excludeTagsMode == "all" else (),
        created_from=startDate,
        created_to=endDate,
        click_limit_not_reached=excludeMaxVisitsReached,
        not_expired_at=utcnow() if excludePastValidUntil else None,
    )
    found = await shlink.short_urls(
        session,
        principal,
        page=page,
        items_per_page=itemsPerPage,
        spec=spec,
        order_by=orderBy,
        domain=domain,
    )
    return {"shortUrls": found}


@v3.post("/short-urls")
async def create_short_url(
    body: ShortUrlCreate, session: SessionDep, principal: ShlinkCaller, shlink: Shlink
) -> dict[str, Any]:
    link = await shlink.create(session, principal, body)
    return (await shlink.present(session, [link]))[0]


@v3.get("/short-urls/{code}")
async def get_short_url(
    code: str, session: SessionDep, principal: ShlinkCaller, shlink: Shlink, domain: Domain = None
) -> dict[str, Any]:
    link = await shlink.visible(session, principal, code, domain)
    return (await shlink.present(session, [link]))[0]


@v3.patch("/short-urls/{code}")
async def edit_short_url(
    code: str,
    body: ShortUrlEdit,
    session: SessionDep,
    principal: ShlinkCaller,
    shlink: Shlink,
    domain: Domain = None,
) -> dict[str, Any]:
    link = await shlink.update(session, principal, code, domain, body)
    return (await shlink.present(session, [link]))[0]


@v3.delete("/short-urls/{code}", status_code=204)
async def delete_short_url(
    code: str, session: SessionDep, principal: ShlinkCaller, shlink: Shlink, domain: Domain = None
) -> Response:
    await shlink.delete(session, principal, code, domain)
    return Response(status_code=204)


@v3.get("/short-urls/{code}/visits")
async def short_url_visits(
    code: str,
    session: SessionDep,
    principal: ShlinkCaller,
    shlink: Shlink,
    query: Visits,
    domain: Domain = None,
) -> dict[str, Any]:
    return _visits(await shlink.link_visits(session, principal, code, domain, query))


@v3.delete("/short-urls/{code}/visits")
async def delete_short_url_visits(
    code: str, session: SessionDep, principal: ShlinkCaller, shlink: Shlink, domain: Domain = None
) -> dict[str, Any]:
    return {"deletedVisits": await shlink.delete_link_visits(session, principal, code, domain)}


@v3.get("/short-urls/{code}/redirect-rules")
async def redirect_rules(
    code: str, session: SessionDep, principal: ShlinkCaller, shlink: Shlink, domain: Domain = None
) -> dict[str, Any]:
    """The link's rules in Shlink's form (one of ours with "any of" lists: one a choice)."""
    return await shlink.redirect_rules(session, principal, code, domain)


@v3.post("/short-urls/{code}/redirect-rules")
async def set_redirect_rules(
    code: str,
    body: RedirectRulesSet,
    session: SessionDep,
    principal: ShlinkCaller,
    shlink: Shlink,
    domain: Domain = None,
) -> dict[str, Any]:
    """Replace the link's rules; conditions this server cannot match on are `invalid-data`."""
    rules = body.redirectRules
    return await shlink.set_redirect_rules(session, principal, code, domain, rules)


@v3.get("/visits")
async def visits_overview(
    session: SessionDep, principal: ShlinkCaller, shlink: Shlink
) -> dict[str, Any]:
    """Visit counts of your links (an admin's key: of every link, and the orphan visits)."""
    return _visits(await shlink.overview(session, principal))


@v3.get("/visits/non-orphan")
async def non_orphan_visits(
    session: SessionDep, principal: ShlinkCaller, shlink: Shlink, query: Visits
) -> dict[str, Any]:
    return _visits(await shlink.non_orphan_visits(session, principal, query))


@v3.get("/visits/orphan")
async def orphan_visits(
    session: SessionDep,
    principal: ShlinkCaller,
    shlink: Shlink,
    query: Visits,
    type: Annotated[  # noqa: A002 - Shlink's name
        str | None, Query(pattern="^(invalid_short_url|base_url|regular_404)$")
    ] = None,
) -> dict[str, Any]:
    """Requests that matched no link (an admin's key only): unknown codes, `/`, other 404s."""
    return _visits(await shlink.orphan_visits(session, principal, query, type))


@v3.delete("/visits/orphan")
async def delete_orphan_visits(
    session: SessionDep, principal: ShlinkCaller, shlink: Shlink
) -> dict[str, Any]:
    return {"deletedVisits": await shlink.delete_orphan_visits(session, principal)}


@v3.get("/tags")
async def list_tags(session: SessionDep, principal: ShlinkCaller, shlink: Shlink) -> dict[str, Any]:
    names = await shlink.tags(session, principal)
    return {"tags": {"data": names}}


@v3.get("/tags/stats")
async def tags_stats(
    session: SessionDep, principal: ShlinkCaller, shlink: Shlink
) -> dict[str, Any]:
    stats = await shlink.tags_stats(session, principal)
    per_page = max(len(stats), 1)
    return {
        "tags": {
            "data": stats,
            "pagination": {
                "currentPage": 1,
                "pagesCount": 1 if stats else 0,
                "itemsPerPage": per_page,
                "itemsInCurrentPage": len(stats),
                "totalItems": len(stats),
            },
        }
    }


@v3.put("/tags", status_code=204)
async def rename_tag(
    body: TagRenaming, session: SessionDep, principal: ShlinkCaller, shlink: Shlink
) -> Response:
    await shlink.rename_tag(session, principal, body.oldName, body.newName)
    return Response(status_code=204)


@v3.delete("/tags", status_code=204)
async def delete_tags(
    session: SessionDep,
    principal: ShlinkCaller,
    shlink: Shlink,
    tags: Tags = [],  # noqa: B006
) -> Response:
    await shlink.delete_tags(session, principal, tags)
    return Response(status_code=204)


@v3.get("/tags/{tag}/visits")
async def tag_visits(
    tag: str, session: SessionDep, principal: ShlinkCaller, shlink: Shlink, query: Visits
) -> dict[str, Any]:
    return _visits(await shlink.tag_visits(session, principal, tag, query))


@v3.get("/domains")
async def list_domains(
    session: SessionDep, principal: ShlinkCaller, shlink: Shlink
) -> dict[str, Any]:
    """The default domain (the host of BASE_URL) and every added one, with redirects."""
    return {"domains": await shlink.domains(session)}


@v3.patch("/domains/redirects")
async def edit_domain_redirects(
    body: DomainRedirectsEdit,
    session: SessionDep,
    principal: ShlinkCaller,
    shlink: Shlink,
    registry: DomainRegistryDep,
) -> dict[str, Any]:
    """An added domain's redirects (an admin's key; an unknown domain is added, as in
    Shlink). The default domain's are configuration: 403 `invalid-domain`."""
    return await shlink.edit_domain_redirects(session, principal, body, registry)


@v3.get("/domains/{domain}/visits")
async def domain_visits(
    domain: str, session: SessionDep, principal: ShlinkCaller, shlink: Shlink, query: Visits
) -> dict[str, Any]:
    return _visits(await shlink.domain_visits(session, principal, domain, query))


@v3.get("/mercure-info")
async def mercure_info(principal: ShlinkCaller) -> dict[str, Any]:
    raise ShlinkProblem(
        501,
        "mercure-not-configured",
        "Mercure integration not configured",
        "This Shlink instance is not integrated with a mercure hub.",
    )


router.include_router(v3)
