"""`MetadataService`: fetch a link's target page off the request path and keep what it says
about itself (title, description, image), through the SSRF-safe fetcher."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.background import BackgroundTasks
from shorturl.links.events import LinkEvent
from shorturl.links.models import Link, LinkStatus
from shorturl.metadata.extract import PageMetadata, decode_html, extract_metadata
from shorturl.metadata.repository import MetadataRepository
from shorturl.net.safe_fetch import FetchFailed, SafeFetcher
from shorturl.storage.db import after_commit
from shorturl.timestamps import utcnow

__all__ = ["MetadataService"]

log = logging.getLogger(__name__)

_HTML_TYPES: Final = ("text/html", "application/xhtml+xml")
_ACCEPT: Final = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
# A link younger than this may still be in the queue of the process that made it.
_SWEEP_GRACE: Final = timedelta(minutes=2)
_SWEEP_BATCH: Final = 200
_SWEEP_CONCURRENCY: Final = 8


class MetadataService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        fetcher: SafeFetcher,
        background: BackgroundTasks,
        *,
        enabled: bool = True,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.fetcher = fetcher
        self.background = background
        self.enabled = enabled

    async def on_link_event(self, session: AsyncSession, event: LinkEvent, link: Link) -> None:
        """A new link, or one whose target changed, gets its metadata once committed."""
        if not self.enabled or event not in ("url.created", "url.updated"):
            return
        if link.metadata_fetched_at is not None or link.status == LinkStatus.DELETED:
            return
        link_id = link.id

        async def schedule() -> None:
            self.background.submit("metadata", lambda: self.refresh(link_id))

        after_commit(session, schedule)

    async def refresh(self, link_id: int) -> PageMetadata | None:
        """Fetch and store the metadata of one link; None when it has gone meanwhile."""
        async with self.sessionmaker() as session:
            long_url = await MetadataRepository(session).target_of(link_id)
        if long_url is None:
            return None
        metadata = await self.read_page(long_url)
        async with self.sessionmaker() as session:
            await MetadataRepository(session).store(link_id, long_url, metadata, utcnow())
            await session.commit()
        return metadata

    async def read_page(self, url: str) -> PageMetadata:
        """What the page at `url` says about itself; empty when it cannot be read (refused,
        unreachable, not HTML): the attempt is recorded either way, so it is not repeated."""
        try:
            response = await self.fetcher.get(url, headers={"Accept": _ACCEPT})
        except FetchFailed as exc:
            log.info("metadata of %s not fetched: %s", url, exc)
            return PageMetadata()
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if response.status_code != 200 or media_type not in _HTML_TYPES:
            return PageMetadata()
        charset = _charset(response.headers.get("content-type", ""))
        html = decode_html(response.content, charset)
        return await asyncio.to_thread(extract_metadata, html, response.url)

    async def sweep(self) -> int:
        """Fetch what the queue missed (a full queue, a process that stopped first)."""
        if not self.enabled:
            return 0
        async with self.sessionmaker() as session:
            ids = await MetadataRepository(session).never_fetched(
                utcnow() - _SWEEP_GRACE, _SWEEP_BATCH
            )
        gate = asyncio.Semaphore(_SWEEP_CONCURRENCY)

        async def one(link_id: int) -> None:
            async with gate:
                await self.refresh(link_id)

        await asyncio.gather(*(one(link_id) for link_id in ids))
        return len(ids)


def _charset(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None
