"""Resolving a code to what the redirect needs: local LRU → Redis → database.

When the lookup fails (the database away, and Redis too or without the code), a link this
process had cached answers from its expired local entry instead: a hot link keeps
redirecting through an outage of both."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.links.models import Link, cache_key
from shorturl.storage.cache import NOT_FOUND, CachedLink, LinkCache, Missing
from shorturl.storage.outage import Availability, is_outage

__all__ = ["LinkResolver"]


class LinkResolver:
    def __init__(
        self,
        cache: LinkCache,
        sessionmaker: async_sessionmaker[AsyncSession],
        database: Availability | None = None,
    ) -> None:
        self.cache = cache
        self.sessionmaker = sessionmaker
        self.database = database
        self._in_flight: dict[str, asyncio.Future[CachedLink | Missing]] = {}

    async def resolve(self, code: str, domain: str = "") -> CachedLink | None:
        """The link behind `code`, or None when there is none. Reads only; never writes the DB.

        Concurrent misses on one code share a single lookup: when a hot link's local entry
        expires under load, one request goes to Redis/the database and the rest wait for it
        instead of stampeding the connection pools.
        """
        key = cache_key(code, domain)
        entry = self.cache.get_local(key)
        if entry is None:
            try:
                pending = self._in_flight.get(key)
                if pending is not None:
                    entry = await asyncio.shield(pending)
                else:
                    entry = await self._lookup_once(code, domain, key)
            except Exception as exc:
                entry = self.cache.local.get_stale(key)
                if entry is None:
                    raise
                if self.database is not None and is_outage(exc):
                    self.database.failed(exc)
        return None if isinstance(entry, Missing) else entry

    async def _lookup_once(self, code: str, domain: str, key: str) -> CachedLink | Missing:
        future: asyncio.Future[CachedLink | Missing] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            entry = await self.cache.get_shared(key)
            if entry is None:
                entry = await self._load(code, domain)
                await self.cache.put(key, entry)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # marked retrieved, so a lone caller leaves no warning
            raise
        else:
            future.set_result(entry)
            return entry
        finally:
            del self._in_flight[key]

    async def _load(self, code: str, domain: str) -> CachedLink | Missing:
        statement = select(
            Link.id,
            Link.long_url,
            Link.status,
            Link.expires_at,
            Link.max_clicks,
            Link.password_hash,
            Link.rules,
            Link.variants,
            Link.expired_redirect,
        ).where(Link.code == code, Link.domain == domain)
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
            password_hash=row.password_hash,
            rules=row.rules,
            variants=row.variants,
            expired_redirect=row.expired_redirect,
        )
