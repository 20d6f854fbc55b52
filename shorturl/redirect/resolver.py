"""Resolving a code to what the redirect needs: local LRU → Redis → database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.links.models import Link
from shorturl.storage.cache import NOT_FOUND, CachedLink, LinkCache, Missing

__all__ = ["LinkResolver"]


class LinkResolver:
    def __init__(self, cache: LinkCache, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.cache = cache
        self.sessionmaker = sessionmaker

    async def resolve(self, code: str) -> CachedLink | None:
        """The link behind `code`, or None when there is none. Reads only; never writes the DB."""
        entry = self.cache.get_local(code)
        if entry is None:
            entry = await self.cache.get_shared(code)
        if entry is None:
            entry = await self._load(code)
            await self.cache.put(code, entry)
        return None if isinstance(entry, Missing) else entry

    async def _load(self, code: str) -> CachedLink | Missing:
        statement = select(
            Link.id, Link.long_url, Link.status, Link.expires_at, Link.max_clicks
        ).where(Link.code == code)
        async with self.sessionmaker() as session:
            row = (await session.execute(statement)).first()
        if row is None:
            return NOT_FOUND
        return CachedLink(
            id=row.id,
            long_url=row.long_url,
            status=row.status,
            expires_at=row.expires_at.timestamp() if row.expires_at else None,
            max_clicks=row.max_clicks,
        )
