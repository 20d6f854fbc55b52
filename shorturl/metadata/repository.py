"""Every query of the metadata domain: the page metadata columns of `links`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.links.models import Link, LinkStatus
from shorturl.metadata.extract import PageMetadata

__all__ = ["MetadataRepository"]


class MetadataRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def target_of(self, link_id: int) -> str | None:
        """The long URL of a link that still wants its metadata (not deleted)."""
        return await self.session.scalar(
            select(Link.long_url).where(Link.id == link_id, Link.status != LinkStatus.DELETED)
        )

    async def store(
        self, link_id: int, long_url: str, metadata: PageMetadata, fetched_at: datetime
    ) -> bool:
        """Save what was read from `long_url`, unless the link points elsewhere by now."""
        result = await self.session.execute(
            update(Link)
            .where(Link.id == link_id, Link.long_url == long_url)
            .values(
                title=metadata.title,
                page_description=metadata.description,
                image_url=metadata.image,
                metadata_fetched_at=fetched_at,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def never_fetched(self, changed_before: datetime, limit: int) -> Sequence[int]:
        """Active links whose metadata was never fetched, changed before `changed_before`
        (younger ones are still in some process's queue)."""
        found = await self.session.scalars(
            select(Link.id)
            .where(
                Link.metadata_fetched_at.is_(None),
                Link.status == LinkStatus.ACTIVE,
                Link.updated_at < changed_before,
            )
            .order_by(Link.id)
            .limit(limit)
        )
        return found.all()
