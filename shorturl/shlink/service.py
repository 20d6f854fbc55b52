"""Shlink's operations, mapped onto the links, analytics and accounts domains. Never commits.

A key sees its owner's links only (another user's link is "not found", as in Shlink); an
administrator's key sees every link, and only it may see orphan visits, rename or delete
tags (tags are shared by every account) or change domain settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.principal import Principal
from shorturl.analytics import visits
from shorturl.analytics.orphans import OrphanFilter, OrphanRepository
from shorturl.domains import service as domains
from shorturl.domains.models import Domain
from shorturl.domains.registry import DomainRegistry
from shorturl.domains.repository import DomainRepository
from shorturl.domains.schemas import DomainCreate, DomainUpdate
from shorturl.errors import CustomAliasTaken, LinkNotFound, ValidationFailed
from shorturl.links import scope
from shorturl.links import tags as link_tags
from shorturl.links.models import Link
from shorturl.links.repository import LinkFilter
from shorturl.links.service import UNSET, LinkChanges, LinkService, NewLink, RoutingChanges
from shorturl.links.urls import normalize_long_url
from shorturl.shlink.auth import require_admin
from shorturl.shlink.models import ShlinkLinkSettings
from shorturl.shlink.presenter import (
    orphan_visit_out,
    pagination,
    short_url_out,
    summary,
    visit_out,
)
from shorturl.shlink.problems import (
    ShlinkProblem,
    domain_not_found,
    forbidden_tag_operation,
    invalid_data,
    short_url_not_found,
)
from shorturl.shlink.repository import ShlinkRepository
from shorturl.shlink.rules import from_shlink, to_shlink
from shorturl.shlink.schemas import DomainRedirectsEdit, ShortUrlCreate, ShortUrlEdit
from shorturl.timestamps import as_utc, utcnow

__all__ = ["DELETE_THRESHOLD", "ShlinkService", "VisitsQuery"]

# Shlink refuses to delete a short URL with more visits than this (422).
DELETE_THRESHOLD: Final = 15
MAX_PAGE: Final = 5000
ORDER_FIELDS: Final = {
    "dateCreated": "created_at",
    "shortCode": "code",
    "longUrl": "long_url",
    "title": "title",
    "visits": "click_count",
    "nonBotVisits": "click_count",
}


@dataclass(frozen=True, slots=True)
class VisitsQuery:
    page: int = 1
    items_per_page: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    exclude_bots: bool = False


def page_size(items_per_page: int | None, default: int) -> int:
    """Shlink's `itemsPerPage`: -1 means all (here at most MAX_PAGE)."""
    if items_per_page is None:
        return default
    if items_per_page == -1:
        return MAX_PAGE
    if not 1 <= items_per_page <= MAX_PAGE:
        raise invalid_data(f"itemsPerPage: 1 to {MAX_PAGE}, or -1 for all", ["itemsPerPage"])
    return items_per_page


class ShlinkService:
    def __init__(self, links: LinkService) -> None:
        self.links = links
        self.base_url = links.settings.base_url
        self.host = links.settings.short_host

    def is_default_domain(self, domain: str | None) -> bool:
        return domain is None or domain == "DEFAULT" or domain.lower() == self.host

    async def domain_column(self, session: AsyncSession, domain: str | None) -> str | None:
        """The `links.domain` a Shlink `domain` parameter names ('' the default domain, an
        added domain's host); None when it names no domain served here."""
        if self.is_default_domain(domain):
            return ""
        try:
            host = domains.host_name(domain or "")
        except ValidationFailed:
            return None
        return host if await DomainRepository(session).get(host) is not None else None

    # short URLs

    async def present(self, session: AsyncSession, found: Sequence[Link]) -> list[dict[str, Any]]:
        ids = [link.id for link in found]
        settings = await ShlinkRepository(session).settings_of(ids)
        bots = await visits.bot_clicks(session, link_ids=ids)
        return [
            short_url_out(link, settings.get(link.id), bots.get(link.id, 0), self.base_url)
            for link in found
        ]

    async def visible(
        self, session: AsyncSession, principal: Principal, code: str, domain: str | None = None
    ) -> Link:
        """The link with this code on `domain` (none: the default domain, as in Shlink) if
        the caller's key may see it; 404 otherwise."""
        column = await self.domain_column(session, domain)
        if column is None:
            raise short_url_not_found(code, domain)
        try:
            link = await self.links.get(session, code, column)
        except LinkNotFound:
            raise short_url_not_found(code, domain) from None
        if not principal.is_admin and link.owner_id != principal.user_id:
            raise short_url_not_found(code, domain)
        return link

    async def create(
        self, session: AsyncSession, principal: Principal, body: ShortUrlCreate
    ) -> Link:
        column = await self.domain_column(session, body.domain)
        if column is None:
            raise invalid_data(
                f'Domain "{body.domain}" is not served here (an admin adds it first)', ["domain"]
            )
        self._check_valid_since(body.validSince)
        if body.findIfExists:
            existing = await self._find_existing(session, principal, body)
            if existing is not None:
                return existing
        new = NewLink(
            long_url=body.longUrl,
            custom_alias=body.customSlug,
            expires_at=body.validUntil,
            max_clicks=body.maxVisits,
            description=body.title,
            tags=body.tags or [],
            code_length=body.shortCodeLength,
            domain=column or None,
        )
        try:
            link = await self.links.create(session, new, principal)
        except CustomAliasTaken:
            raise ShlinkProblem(
                400,
                "non-unique-slug",
                "Invalid custom slug",
                f'Provided slug "{body.customSlug}" is already in use.',
                customSlug=body.customSlug,
            ) from None
        await self._save_settings(session, link, body, body.model_fields_set)
        return link

    async def _find_existing(
        self, session: AsyncSession, principal: Principal, body: ShortUrlCreate
    ) -> Link | None:
        """Shlink's `findIfExists`: one of the caller's links with this target and every
        other field that was given."""
        long_url = normalize_long_url(body.longUrl, short_host=self.host)
        column = await self.domain_column(session, body.domain)
        found, _ = await self.links.list(
            session, principal, spec=LinkFilter(long_url=long_url, domain=column), limit=100
        )
        for link in found:
            if body.customSlug is not None and link.code != body.customSlug:
                continue
            if body.tags is not None and sorted(set(body.tags)) != link.tag_names:
                continue
            if body.maxVisits is not None and link.max_clicks != body.maxVisits:
                continue
            if principal.is_admin and link.owner_id != principal.user_id:
                continue
            return link
        return None

    async def update(
        self,
        session: AsyncSession,
        principal: Principal,
        code: str,
        domain: str | None,
        body: ShortUrlEdit,
    ) -> Link:
        link = await self.visible(session, principal, code, domain)
        given = body.model_fields_set
        if "validSince" in given:
            self._check_valid_since(body.validSince)
        if "longUrl" in given and body.longUrl is None:
            raise invalid_data("longUrl cannot be null", ["longUrl"])
        changes = LinkChanges(
            long_url=body.longUrl if body.longUrl is not None else UNSET,
            expires_at=body.validUntil if "validUntil" in given else UNSET,
            max_clicks=body.maxVisits if "maxVisits" in given else UNSET,
            description=body.title if "title" in given else UNSET,
            tags=(body.tags or []) if "tags" in given else UNSET,
        )
        link = await self.links.update(session, code, changes, principal, link.domain)
        await self._save_settings(session, link, body, given)
        return link

    async def delete(
        self, session: AsyncSession, principal: Principal, code: str, domain: str | None
    ) -> None:
        link = await self.visible(session, principal, code, domain)
        if link.click_count > DELETE_THRESHOLD:
            raise ShlinkProblem(
                422,
                "invalid-short-url-deletion",
                "Cannot delete short URL",
                f'Impossible to delete short URL with short code "{code}", since it has more '
                f'than "{DELETE_THRESHOLD}" visits.',
                shortCode=code,
                threshold=DELETE_THRESHOLD,
            )
        await self.links.delete(session, code, principal, link.domain)

    async def short_urls(
        self,
        session: AsyncSession,
        principal: Principal,
        *,
        page: int,
        items_per_page: int | None,
        spec: LinkFilter,
        order_by: str | None,
        domain: str | None,
    ) -> dict[str, Any]:
        per_page = page_size(items_per_page, 10)
        sort, descending = self._order(order_by)
        if domain is not None:
            column = await self.domain_column(session, domain)
            if column is None:
                return {"data": [], "pagination": pagination(page, per_page, 0, 0)}
            spec = replace(spec, domain=column)
        found, total = await self.links.list(
            session,
            principal,
            spec=spec,
            sort=sort,
            descending=descending,
            limit=per_page,
            offset=(page - 1) * per_page,
        )
        data = await self.present(session, found)
        return {"data": data, "pagination": pagination(page, per_page, len(data), total)}

    @staticmethod
    def _order(order_by: str | None) -> tuple[str, bool]:
        if not order_by:
            return "created_at", True
        field, _, direction = order_by.partition("-")
        if field not in ORDER_FIELDS or direction.upper() not in ("ASC", "DESC", ""):
            raise invalid_data(
                f"orderBy: one of {', '.join(ORDER_FIELDS)}, then -ASC or -DESC", ["orderBy"]
            )
        return ORDER_FIELDS[field], direction.upper() != "ASC"

    @staticmethod
    def _check_valid_since(valid_since: datetime | None) -> None:
        # The redirect has no "not yet valid" state: refusing says so, where storing it
        # would let the link work before its time.
        if valid_since is not None and as_utc(valid_since) > utcnow():
            raise invalid_data(
                "validSince in the future is not supported: links work from their creation",
                ["validSince"],
            )

    async def _save_settings(
        self, session: AsyncSession, link: Link, body: ShortUrlEdit, given: set[str]
    ) -> None:
        wanted = {
            "validSince": body.validSince,
            "crawlable": body.crawlable,
            "forwardQuery": body.forwardQuery,
        }
        if not given & wanted.keys():
            return
        row: ShlinkLinkSettings = await ShlinkRepository(session).settings_for_change(link.id)
        if "validSince" in given:
            row.valid_since = body.validSince
        if "crawlable" in given:
            row.crawlable = bool(body.crawlable)
        if "forwardQuery" in given:
            row.forward_query = body.forwardQuery is not False
        await session.flush()

    # visits

    async def link_visits(
        self,
        session: AsyncSession,
        principal: Principal,
        code: str,
        domain: str | None,
        query: VisitsQuery,
    ) -> dict[str, Any]:
        link = await self.visible(session, principal, code, domain)
        spec = visits.ClickFilter(link_ids=[link.id])
        return await self._visits(session, spec, query)

    async def tag_visits(
        self, session: AsyncSession, principal: Principal, tag: str, query: VisitsQuery
    ) -> dict[str, Any]:
        ids = await scope.link_ids(session, principal, LinkFilter(tags_any=(tag,)))
        # a tag only on other accounts' links does not exist for this key
        if not ids and (not principal.is_admin or await link_tags.tag_named(session, tag) is None):
            raise ShlinkProblem(
                404,
                "tag-not-found",
                "Tag not found",
                f'Tag with name "{tag}" could not be found',
                tag=tag,
            )
        return await self._visits(session, visits.ClickFilter(link_ids=list(ids)), query)

    async def domain_visits(
        self, session: AsyncSession, principal: Principal, domain: str, query: VisitsQuery
    ) -> dict[str, Any]:
        column = await self.domain_column(session, domain)
        if column is None:
            raise domain_not_found(domain)
        if column == "" and not await DomainRepository(session).all():
            return await self.non_orphan_visits(session, principal, query)
        ids = await scope.link_ids(session, principal, LinkFilter(domain=column))
        return await self._visits(session, visits.ClickFilter(link_ids=list(ids)), query)

    async def non_orphan_visits(
        self, session: AsyncSession, principal: Principal, query: VisitsQuery
    ) -> dict[str, Any]:
        spec = (
            visits.ClickFilter(all_links=True)
            if principal.is_admin
            else visits.ClickFilter(owner_id=principal.user_id)
        )
        return await self._visits(session, spec, query)

    async def _visits(
        self, session: AsyncSession, spec: visits.ClickFilter, query: VisitsQuery
    ) -> dict[str, Any]:
        per_page = page_size(query.items_per_page, MAX_PAGE)
        spec = visits.ClickFilter(
            link_ids=spec.link_ids,
            owner_id=spec.owner_id,
            all_links=spec.all_links,
            since=query.start,
            until=query.end,
            include_bots=not query.exclude_bots,
        )
        if spec.link_ids is not None and not spec.link_ids:
            return {"data": [], "pagination": pagination(query.page, per_page, 0, 0)}
        clicks, total = await visits.visits_page(
            session, spec, limit=per_page, offset=(query.page - 1) * per_page
        )
        links = {}
        for link_id in {click.link_id for click in clicks}:
            link = await session.get(Link, link_id)
            if link is not None:
                links[link_id] = link
        data = [visit_out(click, links[click.link_id], self.base_url) for click in clicks]
        return {"data": data, "pagination": pagination(query.page, per_page, len(data), total)}

    async def orphan_visits(
        self,
        session: AsyncSession,
        principal: Principal,
        query: VisitsQuery,
        visit_type: str | None = None,
    ) -> dict[str, Any]:
        """Requests that matched no link (an admin's key only), newest first."""
        require_admin(principal, "Orphan visits")
        per_page = page_size(query.items_per_page, MAX_PAGE)
        spec = OrphanFilter(
            type=visit_type,
            since=query.start,
            until=query.end,
            include_bots=not query.exclude_bots,
        )
        orphans = OrphanRepository(session)
        total = await orphans.count(spec)
        rows = await orphans.page(spec, limit=per_page, offset=(query.page - 1) * per_page)
        data = [orphan_visit_out(row, self.base_url) for row in rows]
        return {"data": data, "pagination": pagination(query.page, per_page, len(data), total)}

    async def delete_orphan_visits(self, session: AsyncSession, principal: Principal) -> int:
        require_admin(principal, "Orphan visits")
        return await OrphanRepository(session).delete_all()

    async def overview(self, session: AsyncSession, principal: Principal) -> dict[str, Any]:
        human = await scope.human_clicks(session, principal)
        bots = await visits.bot_clicks(
            session, owner_id=principal.user_id, every_link=principal.is_admin
        )
        orphans = {"human": 0, "robots": 0}
        if principal.is_admin:  # orphan visits belong to no account
            repository = OrphanRepository(session)
            everything = await repository.count(OrphanFilter())
            orphans["human"] = await repository.count(OrphanFilter(include_bots=False))
            orphans["robots"] = everything - orphans["human"]
        return {
            "nonOrphanVisits": summary(human, sum(bots.values())),
            "orphanVisits": summary(orphans["human"], orphans["robots"]),
        }

    async def delete_link_visits(
        self, session: AsyncSession, principal: Principal, code: str, domain: str | None
    ) -> int:
        link = await self.visible(session, principal, code, domain)
        return await visits.delete_link_clicks(session, link)

    # tags

    async def tags(self, session: AsyncSession, principal: Principal) -> list[str]:
        return sorted({name for name, _, _ in await link_tags.tagged_links(session, principal)})

    async def tags_stats(self, session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
        rows = await link_tags.tagged_links(session, principal)
        bots = await visits.bot_clicks(
            session, link_ids=sorted({link_id for _, link_id, _ in rows})
        )
        stats: dict[str, list[int]] = {}
        for name, link_id, human in rows:
            entry = stats.setdefault(name, [0, 0, 0])
            entry[0] += 1
            entry[1] += human
            entry[2] += bots.get(link_id, 0)
        return [
            {"tag": name, "shortUrlsCount": count, "visitsSummary": summary(human, robots)}
            for name, (count, human, robots) in sorted(stats.items())
        ]

    async def rename_tag(
        self, session: AsyncSession, principal: Principal, old: str, new: str
    ) -> None:
        if not principal.is_admin:
            raise forbidden_tag_operation("You are not allowed to rename tags")
        tag = await link_tags.tag_named(session, old)
        if tag is None:
            raise ShlinkProblem(
                404,
                "tag-not-found",
                "Tag not found",
                f'Tag with name "{old}" could not be found',
                tag=old,
            )
        if old != new and await link_tags.tag_named(session, new) is not None:
            raise ShlinkProblem(
                409,
                "tag-conflict",
                "Tag conflict",
                f"You cannot rename tag {old} to {new}, because it already exists",
                oldName=old,
                newName=new,
            )
        await link_tags.rename_tag(session, tag, new)

    async def delete_tags(
        self, session: AsyncSession, principal: Principal, names: Sequence[str]
    ) -> None:
        if not principal.is_admin:
            raise forbidden_tag_operation("You are not allowed to delete tags")
        await link_tags.delete_tags(session, list(names))

    # redirect rules

    async def redirect_rules(
        self, session: AsyncSession, principal: Principal, code: str, domain: str | None
    ) -> dict[str, Any]:
        link = await self.visible(session, principal, code, domain)
        return {"defaultLongUrl": link.long_url, "redirectRules": to_shlink(link.rules)}

    async def set_redirect_rules(
        self,
        session: AsyncSession,
        principal: Principal,
        code: str,
        domain: str | None,
        rules: Sequence[dict[str, Any]],
    ) -> dict[str, Any]:
        """Replace the link's rules (none: remove them), as the link page and API v1 do."""
        link = await self.visible(session, principal, code, domain)
        changes = LinkChanges(routing=RoutingChanges(rules=from_shlink(rules) or None))
        try:
            link = await self.links.update(session, code, changes, principal, link.domain)
        except ValidationFailed as error:
            raise invalid_data(error.message, ["redirectRules"]) from None
        return {"defaultLongUrl": link.long_url, "redirectRules": to_shlink(link.rules)}

    # domains

    async def domains(self, session: AsyncSession) -> dict[str, Any]:
        """The default domain (its redirects are configuration: none) and every added one."""
        default = {"domain": self.host, "isDefault": True, "redirects": NO_REDIRECTS}
        added = [
            {"domain": domain.host, "isDefault": False, "redirects": _redirects(domain)}
            for domain in await DomainRepository(session).all()
        ]
        return {"data": [default, *added], "defaultRedirects": NO_REDIRECTS}

    async def edit_domain_redirects(
        self,
        session: AsyncSession,
        principal: Principal,
        body: DomainRedirectsEdit,
        registry: DomainRegistry,
    ) -> dict[str, Any]:
        """Set an added domain's redirects (fields not sent stay); as in Shlink, a domain not
        known yet is added. The default domain's are configuration (403 `invalid-domain`)."""
        require_admin(principal, "Domain redirects")
        if self.is_default_domain(body.domain):
            raise ShlinkProblem(
                403,
                "invalid-domain",
                "Invalid domain",
                "You cannot configure default domain's redirects this way. Use the "
                "configuration or environment variables.",
            )
        given = body.model_fields_set
        if body.regular404Redirect is not None:
            raise invalid_data(
                "regular404Redirect is not supported: other paths answer 404 here",
                ["regular404Redirect"],
            )
        settings = self.links.settings
        changes: dict[str, Any] = {}
        if "baseUrlRedirect" in given:
            changes["root_redirect"] = body.baseUrlRedirect
        if "invalidShortUrlRedirect" in given:
            changes["not_found_redirect"] = body.invalidShortUrlRedirect
        try:
            host = domains.host_name(body.domain, "domain")
            domain = await DomainRepository(session).get(host)
            if domain is None:
                await domains.add(session, DomainCreate(host=host, **changes), settings, registry)
                domain = await domains.domain_of(session, host)
            else:
                update = DomainUpdate(**changes)
                await domains.change(session, domain, update, settings, registry)
        except ValidationFailed as error:
            raise invalid_data(error.message, _shlink_fields(error)) from None
        return _redirects(domain)


def _redirects(domain: Domain) -> dict[str, str | None]:
    return {
        "baseUrlRedirect": domain.root_redirect,
        "regular404Redirect": None,
        "invalidShortUrlRedirect": domain.not_found_redirect,
    }


_REDIRECT_FIELDS: Final = {
    "root_redirect": "baseUrlRedirect",
    "not_found_redirect": "invalidShortUrlRedirect",
}


def _shlink_fields(error: ValidationFailed) -> list[str]:
    """The Shlink names of the fields a domain's validation error names."""
    items = error.details if isinstance(error.details, list) else []
    named = [item.get("field") for item in items if isinstance(item, dict)]
    return [_REDIRECT_FIELDS.get(str(name), "domain") for name in named] or ["domain"]


NO_REDIRECTS: Final = {
    "baseUrlRedirect": None,
    "regular404Redirect": None,
    "invalidShortUrlRedirect": None,
}
