"""The short domains every process knows, for the redirect to read without a query.

Loaded at start and again every `REFRESH_SECONDS` (a domain added through another process
is served here within that), and at once in the process that changed one. While the
database is away the last list stays in use."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.background import cancel_and_wait
from shorturl.domains.repository import DomainRepository
from shorturl.links.routing import Destination
from shorturl.redirect.headers import request_host

__all__ = ["REFRESH_SECONDS", "DomainRegistry", "HostSettings"]

log = logging.getLogger(__name__)

REFRESH_SECONDS: Final = 10.0


@dataclass(frozen=True, slots=True)
class HostSettings:
    """An extra domain as the redirect reads it: its fallbacks' 302 answers built once."""

    host: str
    root_redirect: Destination | None
    not_found_redirect: Destination | None


class DomainRegistry:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        # host (lower case, with :port if any) → its settings; empty: the default domain only
        self.hosts: dict[bytes, HostSettings] = {}
        self._task: asyncio.Task[None] | None = None

    def lookup(self, host: bytes) -> HostSettings | None:
        """The extra domain a request's `Host` names; None for the default (or an unknown)."""
        return self.hosts.get(host.lower())

    def domain_of(self, scope: dict[str, Any]) -> str:
        """The `links.domain` a request is for: an extra domain's host, else ''."""
        if not self.hosts:
            return ""
        extra = self.lookup(request_host(scope))
        return "" if extra is None else extra.host

    async def reload(self) -> None:
        async with self.sessionmaker() as session:
            domains = await DomainRepository(session).all()
        self.hosts = {
            domain.host.encode("ascii"): HostSettings(
                domain.host, _answer(domain.root_redirect), _answer(domain.not_found_redirect)
            )
            for domain in domains
        }

    async def start(self) -> None:
        try:
            await self.reload()
        except Exception as exc:  # the database away at start: the refresh retries
            log.warning("could not load the short domains yet: %s", exc)
        self._task = asyncio.create_task(self._refresh(), name="domains-refresh")

    async def close(self) -> None:
        if self._task is not None:
            await cancel_and_wait(self._task)
            self._task = None

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            with contextlib.suppress(Exception):  # kept as it was until the database answers
                await self.reload()


def _answer(url: str | None) -> Destination | None:
    return None if url is None else Destination(url, None)
