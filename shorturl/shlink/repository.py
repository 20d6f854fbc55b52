"""Every query on `shlink_link_settings`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.shlink.models import ShlinkLinkSettings

__all__ = ["ShlinkRepository"]


class ShlinkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def settings_of(self, link_ids: Sequence[int]) -> dict[int, ShlinkLinkSettings]:
        if not link_ids:
            return {}
        rows = await self.session.scalars(
            select(ShlinkLinkSettings).where(ShlinkLinkSettings.link_id.in_(list(link_ids)))
        )
        return {row.link_id: row for row in rows}

    async def settings_for_change(self, link_id: int) -> ShlinkLinkSettings:
        """The link's row, added (with Shlink's defaults) when it has none yet."""
        row = await self.session.get(ShlinkLinkSettings, link_id)
        if row is None:
            row = ShlinkLinkSettings(
                link_id=link_id, valid_since=None, crawlable=False, forward_query=True
            )
            self.session.add(row)
        return row
