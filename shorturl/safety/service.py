"""`SafetyService`: the target checks of new and changed links, and the periodic re-check
that disables links whose target has been listed since they were made."""

from __future__ import annotations

import logging
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.config import Settings
from shorturl.links.events import TargetCheck
from shorturl.links.service import LinkService
from shorturl.net.safe_fetch import SafeFetcher
from shorturl.safety.blocklist import BlockListFile
from shorturl.safety.checks import BlockListCheck, PrivateTargetCheck, ReachabilityCheck
from shorturl.safety.repository import SafetyRepository
from shorturl.safety.shorteners import ShortenerCheck
from shorturl.storage.db import run_after_commit
from shorturl.timestamps import utcnow

__all__ = ["RECHECK_JOB", "SafetyService"]

log = logging.getLogger(__name__)

RECHECK_JOB: Final = "safety-recheck"  # the periodic job's name (BackgroundTasks)
_RECHECK_BATCH: Final = 1000  # links read and updated per transaction


class SafetyService:
    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        links: LinkService,
        fetcher: SafeFetcher,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.links = links
        self.blocklist = BlockListFile(settings.blocklist_file)
        self.checks: list[TargetCheck] = [BlockListCheck(self.blocklist)]
        private_allowed = settings.allow_private_link_targets
        if not (settings.allow_private_targets if private_allowed is None else private_allowed):
            self.checks.insert(0, PrivateTargetCheck())
        if settings.shortener_targets != "allow":
            hop_checks = list(self.checks)  # each URL a shortened link leads through
            mode = settings.shortener_targets
            self.checks.append(ShortenerCheck(fetcher, hop_checks, mode, settings.shortener_hosts))
        if settings.check_reachability:
            self.checks.append(ReachabilityCheck(fetcher))

    async def recheck(self) -> int:
        """Check every active link against the block list as it is now: a listed target's
        link is marked unsafe and disabled (its redirect answers 404, caches are told,
        `url.updated` fires), the others get `last_checked` now. Returns how many were
        disabled."""
        blocklist = await self.blocklist.current()
        now = utcnow()
        disabled = 0
        after = 0
        while True:
            async with self.sessionmaker() as session:
                repository = SafetyRepository(session)
                batch = await repository.active_targets(after, _RECHECK_BATCH)
                if not batch:
                    break
                listed = [(row.id, row.code) for row in batch if blocklist.match(row.long_url)]
                await repository.mark_checked(batch[0].id, batch[-1].id, now)
                keys: list[str] = []
                if listed:
                    ids = [link_id for link_id, _ in listed]
                    await repository.disable_unsafe(ids, now)
                    for link in await repository.links(ids):
                        keys.append(link.cache_key)
                        await self.links.emit(session, "url.updated", link)
                await run_after_commit(session)
            if listed:
                await self.links.cache.invalidate(*keys)
                log.warning(
                    "disabled %d link(s) whose target is now on the block list: %s",
                    len(listed),
                    ", ".join(code for _, code in listed[:20]),
                )
            disabled += len(listed)
            after = batch[-1].id
        return disabled
