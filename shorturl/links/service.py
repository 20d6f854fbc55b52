"""Creating, changing, deleting and listing links. Never commits: the caller's session does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.models import User
from shorturl.accounts.passwords import hash_password
from shorturl.accounts.principal import Principal
from shorturl.config import Settings
from shorturl.domains.repository import DomainRepository
from shorturl.domains.service import host_name
from shorturl.errors import (
    CustomAliasTaken,
    DisabledByAdmin,
    Forbidden,
    LinkNotFound,
    QuotaExceeded,
    Unauthorized,
    ValidationFailed,
)
from shorturl.links.codes import alias_problem, generate_code
from shorturl.links.events import LinkEvent, LinkEventHandler, TargetCheck
from shorturl.links.models import DisabledBy, Link, LinkStatus, short_base
from shorturl.links.repository import LinkFilter, LinkRepository
from shorturl.links.routing import (
    MAX_PASSWORD_LENGTH,
    validated_rules,
    validated_target,
    validated_variants,
)
from shorturl.links.urls import normalize_long_url
from shorturl.ratelimit.plans import plan_named
from shorturl.storage.cache import LinkCache
from shorturl.storage.db import after_commit
from shorturl.timestamps import as_utc, is_past, utcnow

if TYPE_CHECKING:
    from shorturl.links.bulk import BulkEntry, BulkOutcome
    from shorturl.links.schemas import LinkCreate

__all__ = [
    "UNSET",
    "LinkChanges",
    "LinkService",
    "NewLink",
    "OwnerUsage",
    "RoutingChanges",
    "ensure_can_manage",
    "ensure_can_read",
    "month_start",
    "plain_items",
    "quota_exceeded",
    "unique_names",
]

MAX_CODE_ATTEMPTS = 8


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


@dataclass(slots=True)
class NewLink:
    long_url: str
    custom_alias: str | None = None
    expires_at: datetime | None = None
    max_clicks: int | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    code_length: int | None = None  # of a random code; None: the CODE_LENGTH setting
    # smart links (links/routing.py), signed-in callers only
    password: str | None = None
    rules: list[Any] | None = None
    variants: list[Any] | None = None
    expired_redirect: str | None = None
    domain: str | None = None  # a host of GET /domains; None: the default domain

    @classmethod
    def from_request(cls, body: LinkCreate) -> NewLink:
        """What a validated `POST /urls` body (or a bulk or CSV item) asks for."""
        return cls(
            long_url=body.long_url,
            custom_alias=body.custom_alias,
            expires_at=body.expiration_date,
            max_clicks=body.max_clicks,
            description=body.description,
            tags=body.tags,
            password=body.password,
            rules=plain_items(body.rules),
            variants=plain_items(body.variants),
            expired_redirect=body.expired_redirect,
            domain=body.domain,
        )

    @property
    def routing(self) -> RoutingChanges:
        given = {
            name: value
            for name in ("password", "rules", "variants", "expired_redirect")
            if (value := getattr(self, name)) is not None
        }
        return RoutingChanges(**given)


@dataclass(slots=True)
class LinkChanges:
    """Fields to change; UNSET leaves a field alone, None clears it."""

    long_url: str | _Unset = UNSET
    expires_at: datetime | None | _Unset = UNSET
    max_clicks: int | None | _Unset = UNSET
    description: str | None | _Unset = UNSET
    tags: list[str] | None | _Unset = UNSET
    status: str | _Unset = UNSET
    disabled_reason: str | None | _Unset = UNSET  # why, recorded when this change disables
    routing: RoutingChanges = field(default_factory=lambda: RoutingChanges())


@dataclass(slots=True)
class RoutingChanges:
    """A smart link's fields to set; UNSET leaves one alone, None (or []) removes it."""

    password: str | None | _Unset = UNSET
    rules: list[Any] | None | _Unset = UNSET
    variants: list[Any] | None | _Unset = UNSET
    expired_redirect: str | None | _Unset = UNSET

    def any_set(self) -> bool:
        return any(
            not isinstance(value, _Unset) and value not in (None, [])
            for value in (self.password, self.rules, self.variants, self.expired_redirect)
        )


@dataclass(frozen=True, slots=True)
class OwnerUsage:
    links: int  # not deleted
    total_clicks: int
    created_this_month: int  # deleted ones included: the quota counts creations


class LinkService:
    """The link domain's operations. One instance per process (`app.state.links`)."""

    def __init__(self, settings: Settings, cache: LinkCache) -> None:
        self.settings = settings
        self.cache = cache
        # Run before a link may point to a URL (block lists, reachability): raise to refuse.
        self.target_checks: list[TargetCheck] = []
        # Called in the transaction of each change (metadata, webhooks): links/events.py.
        self.event_handlers: list[LinkEventHandler] = []

    def short_url(self, code: str, domain: str = "") -> str:
        """The short URL of `code` on `domain` (a `links.domain` value; '' the default)."""
        return f"{short_base(domain, self.settings.base_url)}/{code}"

    async def create(self, session: AsyncSession, new: NewLink, principal: Principal) -> Link:
        """Create a link for `principal`; raises InvalidUrl, ValidationFailed, CustomAliasTaken,
        QuotaExceeded (a signed-in caller past their plan's monthly quota)."""
        long_url, expires_at = self.validate_new(new)
        routing = await self.validated_routing(new.routing, principal)
        repository = LinkRepository(session)
        domain = await self.domain_for(session, new.domain)
        await self.ensure_within_quota(session, principal)
        checked_at = await self.check_target(long_url)
        link = Link(
            domain=domain,
            long_url=long_url,
            owner_id=principal.user_id,
            description=new.description,
            expires_at=expires_at,
            max_clicks=new.max_clicks,
            tags=await repository.tags_named(unique_names(new.tags)),
            is_safe=True,
            safety_checked_at=checked_at,
            status=LinkStatus.EXPIRED if is_past(expires_at) else LinkStatus.ACTIVE,
            **routing,
        )
        if principal.user_id is not None:
            # Usually already in the session (authentication loaded it): no query.
            link.owner = await session.get(User, principal.user_id)
        if new.custom_alias is not None:
            link.code, link.is_custom = new.custom_alias, True
            if not await repository.insert(link):
                raise CustomAliasTaken(details=f"The alias '{new.custom_alias}' is already in use")
        else:
            for _ in range(MAX_CODE_ATTEMPTS):
                link.code = generate_code(new.code_length or self.settings.code_length)
                if await repository.insert(link):
                    break
            else:  # pragma: no cover - needs ~1e12 links at the default length
                raise ValidationFailed("Could not allocate a free code; try a custom alias")
        # A lookup of this code before it existed may have cached "not found".
        after_commit(session, lambda: self.cache.invalidate(link.cache_key))
        await self.emit(session, "url.created", link)
        if link.status == LinkStatus.EXPIRED:  # made with a date already past (seed 003's)
            await self.emit(session, "url.expired", link)
        return link

    async def create_many(
        self,
        session: AsyncSession,
        entries: Sequence[BulkEntry],
        principal: Principal,
        *,
        allowed: int | None = None,
    ) -> BulkOutcome:
        """Create many links at once, each created or failed on its own (links/bulk.py);
        entries from index `allowed` on fail as RATE_LIMITED."""
        from shorturl.links.bulk import create_many  # it builds on this module

        return await create_many(self, session, entries, principal, allowed=allowed)

    def validate_new(self, new: NewLink) -> tuple[str, datetime | None]:
        """The normalised target and expiry of a link to create; raises InvalidUrl or
        ValidationFailed (bad alias). An expiry already past makes the link expired at once."""
        long_url = normalize_long_url(new.long_url, short_host=self.settings.short_host)
        expires_at = None if new.expires_at is None else as_utc(new.expires_at)
        if new.custom_alias is not None:
            problem = alias_problem(new.custom_alias)
            if problem:
                raise ValidationFailed(problem, details={"field": "custom_alias"})
        return long_url, expires_at

    async def validated_routing(
        self, changes: RoutingChanges, principal: Principal
    ) -> dict[str, Any]:
        """The `links` columns a smart link's changes set (password hashed, rules and variants
        validated, every target normalised and checked like a long_url). ValidationFailed
        naming the field; Unauthorized for an anonymous caller (nobody but an admin could
        change it)."""
        if changes.any_set() and not (principal.is_authenticated or principal.is_admin):
            raise Unauthorized(details="Sign in to create password-protected or smart links")
        short_host = self.settings.short_host
        columns: dict[str, Any] = {}
        if not isinstance(changes.password, _Unset):
            password = changes.password
            if password is not None and not 1 <= len(password) <= MAX_PASSWORD_LENGTH:
                raise ValidationFailed(
                    f"Password must be 1 to {MAX_PASSWORD_LENGTH} characters",
                    details={"field": "password"},
                )
            columns["password_hash"] = await hash_password(password) if password else None
        if not isinstance(changes.rules, _Unset):
            columns["rules"] = (
                validated_rules(changes.rules, short_host=short_host) if changes.rules else None
            )
        if not isinstance(changes.variants, _Unset):
            columns["variants"] = (
                validated_variants(changes.variants, short_host=short_host)
                if changes.variants
                else None
            )
        if not isinstance(changes.expired_redirect, _Unset):
            columns["expired_redirect"] = (
                validated_target(changes.expired_redirect, "expired_redirect", short_host)
                if changes.expired_redirect
                else None
            )
        for url in _routing_targets(columns):
            await self.check_target(url)
        return columns

    def domain_column(self, raw: str | None) -> str:
        """`raw` as `links.domain` keeps it: '' for none or the default domain, else the host."""
        host = host_name(raw, "domain") if raw else ""
        return "" if host == self.settings.short_host else host

    async def domain_for(self, session: AsyncSession, raw: str | None) -> str:
        """The `links.domain` of a link asked for on `raw`: '' for the default domain, else
        an added one's host; ValidationFailed naming `domain` for any other."""
        host = self.domain_column(raw)
        if host and await DomainRepository(session).get(host) is None:
            problem = f"'{host}' is not one of this server's domains (GET /api/v1/domains)"
            raise ValidationFailed(
                f"domain: {problem}", details=[{"field": "domain", "problem": problem}]
            )
        return host

    async def check_target(self, long_url: str) -> datetime | None:
        """Run the target checks on `long_url` (raising to refuse it); when they ran."""
        for check in self.target_checks:
            await check(long_url)
        return utcnow() if self.target_checks else None

    async def emit(self, session: AsyncSession, event: LinkEvent, link: Link) -> None:
        """Tell every event handler about `event`, inside the session's transaction."""
        for handler in self.event_handlers:
            await handler(session, event, link)

    async def get(self, session: AsyncSession, code: str, domain: str | None = None) -> Link:
        """The link with this code (on the default domain first, else on another, unless
        `domain` names one); deleted links are not found."""
        column = None if domain is None else self.domain_column(domain)
        link = await LinkRepository(session).get_by_code(code, column)
        if link is None or link.status == LinkStatus.DELETED:
            raise LinkNotFound(details=f"No short URL with code '{code}'")
        return link

    async def get_readable(
        self, session: AsyncSession, code: str, principal: Principal, domain: str | None = None
    ) -> Link:
        """The link with this code, if `principal` may see its details and analytics: anyone
        for an anonymous link (seed 001 analytics are public), the owner or an admin else."""
        link = await self.get(session, code, domain)
        ensure_can_read(principal, link)
        return link

    async def get_managed(
        self, session: AsyncSession, code: str, principal: Principal, domain: str | None = None
    ) -> Link:
        """The link with this code, if `principal` may change or delete it."""
        link = await self.get(session, code, domain)
        ensure_can_manage(principal, link)
        return link

    async def update(
        self,
        session: AsyncSession,
        code: str,
        changes: LinkChanges,
        principal: Principal,
        domain: str | None = None,
    ) -> Link:
        link = await self.get_managed(session, code, principal, domain)
        for name, value in (await self.validated_routing(changes.routing, principal)).items():
            setattr(link, name, value)
        if not isinstance(changes.long_url, _Unset):
            long_url = normalize_long_url(changes.long_url, short_host=self.settings.short_host)
            if long_url != link.long_url:
                link.safety_checked_at = await self.check_target(long_url)
                link.long_url, link.is_safe = long_url, True
                # The page's metadata belongs to the old target: fetch it again.
                link.title = link.page_description = link.image_url = None
                link.metadata_fetched_at = None
        expired_now = False
        if not isinstance(changes.expires_at, _Unset):
            was_expired = link.status == LinkStatus.EXPIRED
            link.expires_at = None if changes.expires_at is None else as_utc(changes.expires_at)
            if was_expired:
                link.status = LinkStatus.ACTIVE
            if link.status == LinkStatus.ACTIVE and is_past(link.expires_at):
                link.status = LinkStatus.EXPIRED  # a date already past: expired at once
                expired_now = not was_expired
        if not isinstance(changes.max_clicks, _Unset):
            link.max_clicks = changes.max_clicks
        if not isinstance(changes.description, _Unset):
            link.description = changes.description
        if not isinstance(changes.tags, _Unset):
            link.tags = await LinkRepository(session).tags_named(unique_names(changes.tags or []))
        if not isinstance(changes.status, _Unset):
            await self._change_status(link, changes, principal)
        link.updated_at = utcnow()
        await session.flush()
        after_commit(session, lambda: self.cache.invalidate(link.cache_key))
        await self.emit(session, "url.updated", link)
        if expired_now:
            await self.emit(session, "url.expired", link)
        return link

    async def _change_status(self, link: Link, changes: LinkChanges, principal: Principal) -> None:
        """Enable or disable, recording who disabled and why. An owner cannot undo an
        administrator's disable (403 DISABLED_BY_ADMIN): Bitly and GitHub keep a moderator's
        decision out of the owner's hands."""
        assert isinstance(changes.status, str)
        reason = changes.disabled_reason if isinstance(changes.disabled_reason, str) else None
        if changes.status == LinkStatus.DISABLED:
            admins_decision = link.disabled_by == DisabledBy.ADMIN and not principal.is_admin
            if (link.status != LinkStatus.DISABLED or reason is not None) and not admins_decision:
                acting_as_admin = principal.is_admin and principal.user_id != link.owner_id
                link.disabled_by = DisabledBy.ADMIN if acting_as_admin else DisabledBy.OWNER
                link.disabled_by_user_id = principal.user_id
                link.disabled_reason = reason
        elif changes.status == LinkStatus.ACTIVE and link.status == LinkStatus.DISABLED:
            if link.disabled_by == DisabledBy.ADMIN and not principal.is_admin:
                raise DisabledByAdmin(
                    details={
                        "reason": link.disabled_reason,
                        "message": "Only an administrator can enable this link again",
                    }
                )
            link.disabled_by = link.disabled_by_user_id = link.disabled_reason = None
        if changes.status == LinkStatus.ACTIVE and not link.is_safe:
            # Disabled as unsafe: back only if its target passes the checks now.
            link.safety_checked_at = await self.check_target(link.long_url)
            link.is_safe = True
        link.status = changes.status

    async def delete(
        self, session: AsyncSession, code: str, principal: Principal, domain: str | None = None
    ) -> Link:
        """Soft delete: the code stops resolving and is never handed out again."""
        link = await self.get_managed(session, code, principal, domain)
        link.status = LinkStatus.DELETED
        link.deleted_at = link.updated_at = utcnow()
        await session.flush()
        after_commit(session, lambda: self.cache.invalidate(link.cache_key))
        await self.emit(session, "url.deleted", link)
        return link

    async def list(
        self,
        session: AsyncSession,
        principal: Principal,
        *,
        spec: LinkFilter,
        sort: str = "created_at",
        descending: bool = True,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[list[Link], int]:
        """Links matching `spec`: only the caller's own, except for an admin, who sees every
        link. Anonymous callers have no links to list (Unauthorized)."""
        if not principal.is_authenticated and not principal.is_admin:
            raise Unauthorized(details="Sign in (API key or bearer token) to list your links")
        if not principal.is_admin:
            spec = replace(spec, owner_id=principal.user_id, all_owners=False)
        return await LinkRepository(session).list(
            spec, sort=sort, descending=descending, limit=limit, offset=offset
        )

    async def tag_names(
        self, session: AsyncSession, principal: Principal, *, all_owners: bool = False
    ) -> Sequence[str]:
        """The tags on the caller's links, for filter choices; on every link when an admin
        asks for `all_owners`."""
        if not principal.is_authenticated:
            return []
        return await LinkRepository(session).tag_names(
            principal.user_id, all_owners=all_owners and principal.is_admin
        )

    async def ensure_within_quota(self, session: AsyncSession, principal: Principal) -> None:
        """QuotaExceeded when a signed-in caller has used their plan's links for this month.
        Admins have no quota. Concurrent creations may overshoot by the few in flight."""
        room = await self.quota_room(session, principal)
        if room is not None and room <= 0:
            raise quota_exceeded(principal)

    async def quota_room(self, session: AsyncSession, principal: Principal) -> int | None:
        """How many more links the caller may create this month; None: no quota."""
        if principal.user_id is None or principal.is_admin:
            return None
        quota = plan_named(principal.plan).monthly_quota
        if quota is None:
            return None
        used = await LinkRepository(session).created_since(principal.user_id, month_start())
        return max(quota - used, 0)

    async def usage(self, session: AsyncSession, owner_id: int) -> OwnerUsage:
        repository = LinkRepository(session)
        links, clicks = await repository.owner_totals(owner_id)
        created = await repository.created_since(owner_id, month_start())
        return OwnerUsage(links=links, total_clicks=clicks, created_this_month=created)

    async def erase_owner(self, session: AsyncSession, owner_id: int) -> int:
        """Forget every link of an owner who leaves: clicks deleted, links reduced to
        tombstones that only keep their code reserved. Returns how many links."""
        codes = await LinkRepository(session).erase_owned(owner_id, utcnow())
        self._invalidate_after_commit(session, codes)
        return len(codes)

    async def expired(
        self, session: AsyncSession, *, limit: int, offset: int
    ) -> tuple[Sequence[Link], int]:
        """Links past their expiry date, whether or not a job has marked them yet."""
        return await LinkRepository(session).expired(utcnow(), limit=limit, offset=offset)

    async def expire_due(self, session: AsyncSession, *, limit: int = 500) -> Sequence[str]:
        """Mark up to `limit` active links past `expires_at` as expired, firing `url.expired`
        for each; their codes. Redirects already answer 410 for them: this makes the status
        (lists, filters, webhooks) say so too."""
        now = utcnow()
        due = await LinkRepository(session).due_to_expire(now, limit=limit)
        for link in due:
            link.status = LinkStatus.EXPIRED
            link.updated_at = now
        await session.flush()
        codes = [link.code for link in due]
        self._invalidate_after_commit(session, [link.cache_key for link in due])
        for link in due:
            await self.emit(session, "url.expired", link)
        return codes

    async def deactivate_unused(self, session: AsyncSession, days: int) -> Sequence[str]:
        """Disable active links not clicked (or created) in the last `days` days."""
        now = utcnow()
        codes = await LinkRepository(session).deactivate_unused(now - timedelta(days=days), now)
        self._invalidate_after_commit(session, codes)
        return codes

    def _invalidate_after_commit(self, session: AsyncSession, codes: Sequence[str]) -> None:
        async def invalidate() -> None:
            for code in codes:
                await self.cache.invalidate(code)

        if codes:
            after_commit(session, invalidate)


def ensure_can_read(principal: Principal, link: Link) -> None:
    """Anyone reads an anonymous link; an owned one only its owner or an admin."""
    if link.owner_id is None:
        return
    _ensure_owner_or_admin(principal, link)


def ensure_can_manage(principal: Principal, link: Link) -> None:
    """Only the owner or an admin changes a link. Anonymous links have nobody to prove
    ownership, so only an admin may change them."""
    if link.owner_id is None and not principal.is_admin:
        if not principal.is_authenticated:
            raise Unauthorized(details="Sign in to change short URLs")
        raise Forbidden(details="Links created anonymously cannot be changed")
    _ensure_owner_or_admin(principal, link)


def _ensure_owner_or_admin(principal: Principal, link: Link) -> None:
    if principal.is_admin or link.owner_id == principal.user_id:
        return
    if not principal.is_authenticated:
        raise Unauthorized(details="This short URL belongs to an account; sign in as its owner")
    raise Forbidden(details="You do not own this short URL")


def quota_exceeded(principal: Principal) -> QuotaExceeded:
    quota = plan_named(principal.plan).monthly_quota
    return QuotaExceeded(
        details=f"The {principal.plan} plan allows {quota} new links a month; "
        "this month's are used up"
    )


def month_start(now: datetime | None = None) -> datetime:
    """Midnight UTC on the first day of this month: where monthly quotas restart."""
    now = now or utcnow()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def expiry_in_days(days: int) -> datetime:
    return utcnow() + timedelta(days=days)


def _routing_targets(columns: dict[str, Any]) -> list[str]:
    urls = [rule["long_url"] for rule in columns.get("rules") or ()]
    urls += [variant["long_url"] for variant in columns.get("variants") or ()]
    if columns.get("expired_redirect"):
        urls.append(columns["expired_redirect"])
    return list(dict.fromkeys(urls))


def plain_items(items: Sequence[BaseModel] | None) -> list[Any] | None:
    """Request models back to plain data: the service validates what every caller gives."""
    return None if items is None else [item.model_dump(exclude_none=True) for item in items]


def unique_names(names: list[str]) -> list[str]:
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))
