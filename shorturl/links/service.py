"""Creating, changing, deleting and listing links. Never commits: the caller's session does."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.principal import Principal
from shorturl.config import Settings
from shorturl.errors import CustomAliasTaken, Forbidden, LinkNotFound, ValidationFailed
from shorturl.links.codes import alias_problem, generate_code
from shorturl.links.models import Link, LinkStatus
from shorturl.links.repository import LinkFilter, LinkRepository
from shorturl.links.urls import normalize_long_url
from shorturl.storage.cache import LinkCache
from shorturl.storage.db import after_commit
from shorturl.timestamps import as_utc, utcnow

__all__ = ["UNSET", "LinkChanges", "LinkService", "NewLink"]

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


@dataclass(slots=True)
class LinkChanges:
    """Fields to change; UNSET leaves a field alone, None clears it."""

    long_url: str | _Unset = UNSET
    expires_at: datetime | None | _Unset = UNSET
    max_clicks: int | None | _Unset = UNSET
    description: str | None | _Unset = UNSET
    tags: list[str] | None | _Unset = UNSET
    status: str | _Unset = UNSET


class LinkService:
    """The link domain's operations. One instance per process (`app.state.links`)."""

    def __init__(self, settings: Settings, cache: LinkCache) -> None:
        self.settings = settings
        self.cache = cache

    def short_url(self, code: str) -> str:
        return f"{self.settings.base_url}/{code}"

    async def create(self, session: AsyncSession, new: NewLink, principal: Principal) -> Link:
        """Create a link for `principal`; raises InvalidUrl, ValidationFailed, CustomAliasTaken."""
        long_url = normalize_long_url(new.long_url, short_host=self.settings.short_host)
        expires_at = _future_or_none(new.expires_at)
        repository = LinkRepository(session)
        link = Link(
            long_url=long_url,
            owner_id=principal.user_id,
            description=new.description,
            expires_at=expires_at,
            max_clicks=new.max_clicks,
            tags=await repository.tags_named(_unique(new.tags)),
        )
        if new.custom_alias is not None:
            problem = alias_problem(new.custom_alias)
            if problem:
                raise ValidationFailed(problem, details={"field": "custom_alias"})
            link.code, link.is_custom = new.custom_alias, True
            if not await repository.insert(link):
                raise CustomAliasTaken(details=f"The alias '{new.custom_alias}' is already in use")
        else:
            for _ in range(MAX_CODE_ATTEMPTS):
                link.code = generate_code(self.settings.code_length)
                if await repository.insert(link):
                    break
            else:  # pragma: no cover - needs ~1e12 links at the default length
                raise ValidationFailed("Could not allocate a free code; try a custom alias")
        # A lookup of this code before it existed may have cached "not found".
        after_commit(session, lambda: self.cache.invalidate(link.code))
        return link

    async def get(self, session: AsyncSession, code: str) -> Link:
        """The link with this code; deleted links are not found."""
        link = await LinkRepository(session).get_by_code(code)
        if link is None or link.status == LinkStatus.DELETED:
            raise LinkNotFound(details=f"No short URL with code '{code}'")
        return link

    async def get_managed(self, session: AsyncSession, code: str, principal: Principal) -> Link:
        """The link with this code, if `principal` may change it or read its analytics."""
        link = await self.get(session, code)
        ensure_can_manage(principal, link)
        return link

    async def update(
        self, session: AsyncSession, code: str, changes: LinkChanges, principal: Principal
    ) -> Link:
        link = await self.get_managed(session, code, principal)
        if not isinstance(changes.long_url, _Unset):
            link.long_url = normalize_long_url(
                changes.long_url, short_host=self.settings.short_host
            )
        if not isinstance(changes.expires_at, _Unset):
            link.expires_at = _future_or_none(changes.expires_at)
            if link.status == LinkStatus.EXPIRED:
                link.status = LinkStatus.ACTIVE
        if not isinstance(changes.max_clicks, _Unset):
            link.max_clicks = changes.max_clicks
        if not isinstance(changes.description, _Unset):
            link.description = changes.description
        if not isinstance(changes.tags, _Unset):
            link.tags = await LinkRepository(session).tags_named(_unique(changes.tags or []))
        if not isinstance(changes.status, _Unset):
            link.status = changes.status
        link.updated_at = utcnow()
        await session.flush()
        after_commit(session, lambda: self.cache.invalidate(link.code))
        return link

    async def delete(self, session: AsyncSession, code: str, principal: Principal) -> Link:
        """Soft delete: the code stops resolving and is never handed out again."""
        link = await self.get_managed(session, code, principal)
        link.status = LinkStatus.DELETED
        link.deleted_at = link.updated_at = utcnow()
        await session.flush()
        after_commit(session, lambda: self.cache.invalidate(link.code))
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
        return await LinkRepository(session).list(
            spec, sort=sort, descending=descending, limit=limit, offset=offset
        )


def ensure_can_manage(principal: Principal, link: Link) -> None:
    """Owners and admins manage owned links; anonymous links are open until accounts land."""
    if link.owner_id is None or principal.is_admin or link.owner_id == principal.user_id:
        return
    raise Forbidden(details="You do not own this short URL")


def expiry_in_days(days: int) -> datetime:
    return utcnow() + timedelta(days=days)


def _future_or_none(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    value = as_utc(value)
    if value <= utcnow():
        raise ValidationFailed(
            "Expiration date must be in the future", details={"field": "expiration_date"}
        )
    return value


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))
