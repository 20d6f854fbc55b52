"""Every query on domains."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.domains.models import Domain
from shorturl.links.models import Link, LinkStatus

__all__ = ["DomainRepository"]


class DomainRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> Sequence[Domain]:
        return (await self.session.scalars(select(Domain).order_by(Domain.host))).all()

    async def get(self, host: str) -> Domain | None:
        return await self.session.scalar(select(Domain).where(Domain.host == host))

    async def add(self, domain: Domain) -> Domain:
        self.session.add(domain)
        await self.session.flush()
        return domain

    async def delete(self, domain: Domain) -> None:
        await self.session.delete(domain)
        await self.session.flush()

    async def link_counts(self) -> dict[str, int]:
        """Links not deleted per domain ('' the default one)."""
        rows = await self.session.execute(
            select(Link.domain, func.count())
            .where(Link.status != LinkStatus.DELETED)
            .group_by(Link.domain)
        )
        return {host: count for host, count in rows.all()}

    async def has_links(self, host: str) -> bool:
        """Whether any link (deleted ones too: their codes stay reserved) is on `host`."""
        found = await self.session.scalar(select(Link.id).where(Link.domain == host).limit(1))
        return found is not None
