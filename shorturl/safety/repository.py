"""Every query of the safety domain: the safety columns of `links`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.links.models import DisabledBy, Link, LinkStatus

__all__ = ["SafetyRepository"]


class SafetyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active_targets(self, after_id: int, limit: int) -> Sequence[Row[int, str, str]]:
        """(id, code, long_url) of up to `limit` active links with an id above `after_id`."""
        result = await self.session.execute(
            select(Link.id, Link.code, Link.long_url)
            .where(Link.id > after_id, Link.status == LinkStatus.ACTIVE)
            .order_by(Link.id)
            .limit(limit)
        )
        return result.all()

    async def mark_checked(self, first_id: int, last_id: int, now: datetime) -> None:
        """Record a passed check on the active links with ids from `first_id` to `last_id`."""
        await self.session.execute(
            update(Link)
            .where(Link.id.between(first_id, last_id), Link.status == LinkStatus.ACTIVE)
            .values(is_safe=True, safety_checked_at=now)
            .execution_options(synchronize_session=False)
        )

    async def disable_unsafe(self, ids: Sequence[int], now: datetime) -> None:
        """Mark these links unsafe and disable them (their redirect answers 404)."""
        await self.session.execute(
            update(Link)
            .where(Link.id.in_(ids), Link.status == LinkStatus.ACTIVE)
            .values(
                is_safe=False,
                status=LinkStatus.DISABLED,
                safety_checked_at=now,
                updated_at=now,
                disabled_by=DisabledBy.SAFETY,
            )
            .execution_options(synchronize_session=False)
        )

    async def links(self, ids: Sequence[int]) -> Sequence[Link]:
        """These links, read afresh (for the events of a change made by `update`)."""
        found = await self.session.scalars(
            select(Link).where(Link.id.in_(ids)).execution_options(populate_existing=True)
        )
        return found.all()
