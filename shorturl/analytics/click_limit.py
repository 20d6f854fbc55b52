"""`ClickLimit`: expiry by clicks, enforced at redirect time with an atomic counter.

Only links with `max_clicks` pay for it. A use is a GET redirect served (robots included:
otherwise a client could pass the limit by calling itself a robot); HEAD reads the counter
without using the link. Concurrent requests, in one process or many, cannot overshoot:

* with Redis, a Lua script increments `clicks-used:<link id>` only while it is below the
  limit. The key is seeded from `links.clicks_used` when missing (a fresh or flushed Redis);
  the worker writes the use numbers it sees back to that column, so a lost Redis resumes
  from what was recorded;
* embedded, `UPDATE links SET clicks_used = clicks_used + 1 WHERE id = ? AND clicks_used <
  max_clicks` in the database, which is atomic across processes too.

A refused request is not counted, so raising a link's limit lets exactly that many more in.
"""

from __future__ import annotations

from typing import Final

from redis.asyncio import Redis
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.links.models import Link
from shorturl.storage.cache import CachedLink

__all__ = ["ClickLimit"]

# KEYS[1] counter; ARGV[1] limit. -1: counter unknown (seed it); 0: used up; n: the n-th use.
_TAKE: Final = """
local used = redis.call('GET', KEYS[1])
if not used then return -1 end
if tonumber(used) >= tonumber(ARGV[1]) then return 0 end
return redis.call('INCR', KEYS[1])
"""


class ClickLimit:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        redis: Redis | None = None,
        key_prefix: str = "clicks-used",
    ) -> None:
        self.sessionmaker = sessionmaker
        self.redis = redis
        self.key_prefix = key_prefix
        self._take_script = redis.register_script(_TAKE) if redis is not None else None

    async def take(self, link: CachedLink, *, use: bool = True) -> int | None:
        """Use `link` once: the use's number (1 = first), or None when its clicks are used up.
        With `use=False` (HEAD) only checks: 0 while uses remain, None when used up."""
        assert link.max_clicks is not None
        if not use:
            used = await self.used(link)
            return None if used >= link.max_clicks else 0
        if self._take_script is not None:
            return await self._take_redis(link)
        return await self._take_database(link)

    async def used(self, link: CachedLink) -> int:
        """How many uses `link` has had."""
        if self.redis is not None:
            raw = await self.redis.get(self._key(link))
            if raw is not None:
                return int(raw)
        async with self.sessionmaker() as session:
            return int(
                await session.scalar(select(Link.clicks_used).where(Link.id == link.id)) or 0
            )

    async def forget(self, link_id: int) -> None:
        """Drop the Redis counter (it is seeded again from the database on next use)."""
        if self.redis is not None:
            await self.redis.delete(f"{self.key_prefix}:{link_id}")

    def _key(self, link: CachedLink) -> str:
        return f"{self.key_prefix}:{link.id}"

    async def _take_redis(self, link: CachedLink) -> int | None:
        assert self._take_script is not None and self.redis is not None
        key = self._key(link)
        for _ in range(3):
            result = int(await self._take_script(keys=[key], args=[int(link.max_clicks or 0)]))
            if result > 0:
                return result
            if result == 0:
                return None
            async with self.sessionmaker() as session:
                recorded = await session.scalar(select(Link.clicks_used).where(Link.id == link.id))
            await self.redis.set(key, int(recorded or 0), nx=True)
        raise RuntimeError(f"click counter {key} keeps disappearing")

    async def _take_database(self, link: CachedLink) -> int | None:
        statement = (
            update(Link)
            .where(
                Link.id == link.id,
                # the database's limit, not the cached one: an edit may not have reached us
                or_(Link.max_clicks.is_(None), Link.clicks_used < Link.max_clicks),
            )
            .values(clicks_used=Link.clicks_used + 1)
            .returning(Link.clicks_used)
            .execution_options(synchronize_session=False)
        )
        async with self.sessionmaker() as session:
            number = await session.scalar(statement)
            await session.commit()
        return None if number is None else int(number)
