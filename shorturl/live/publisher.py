"""`LivePublisher`: the worker's listener that publishes each stored batch's clicks live, and
`live_feed`: which feed a process uses (the same choice as its click transport)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import make_url, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.links.models import Link
from shorturl.live.events import clicks_of_rows
from shorturl.live.feeds import LiveFeed, MemoryFeed, RedisFeed, SqliteFeed

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from shorturl.config import Settings

__all__ = ["LivePublisher", "live_feed"]

log = logging.getLogger(__name__)


def live_feed(settings: Settings, redis: Redis | None, key: str) -> LiveFeed:
    """Scaled: a Redis stream. Embedded on a file: a table in the click inbox's file, which
    the worker process and every web process open. Otherwise the worker runs in the web
    process (worker/transports.py), and so does the feed."""
    if redis is not None:
        return RedisFeed(redis, key)
    if settings.click_inbox_url is not None:
        return SqliteFeed(make_url(settings.click_inbox_url).database or "")
    return MemoryFeed()


class LivePublisher:
    def __init__(self, feed: LiveFeed, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.feed = feed
        self.sessionmaker = sessionmaker

    async def on_clicks_stored(self, rows: list[dict[str, Any]]) -> None:
        """After a batch's commit: its clicks, with their link's code and owner, as one
        feed entry (one small query a batch, never one a click)."""
        if not rows:
            return
        ids = {row["link_id"] for row in rows}
        async with self.sessionmaker() as session:
            found = await session.execute(
                select(Link.id, Link.code, Link.owner_id).where(Link.id.in_(ids))
            )
            links = {row.id: (row.code, row.owner_id) for row in found}
        clicks = clicks_of_rows(rows, links)
        if clicks:
            await self.feed.publish([click.to_json() for click in clicks])
