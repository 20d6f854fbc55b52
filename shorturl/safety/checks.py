"""The target checks the link service runs before a link may point to a URL
(`LinkService.target_checks`): the block list, and (optional) reachability."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Final
from urllib.parse import urlsplit

from shorturl.errors import InvalidUrl, MaliciousUrl, UrlNotAccessible
from shorturl.net.safe_fetch import (
    FetchFailed,
    IPAddress,
    Resolver,
    SafeFetcher,
    is_public_address,
    system_resolver,
)
from shorturl.safety.blocklist import BlockListFile

__all__ = ["BlockListCheck", "PrivateTargetCheck", "ReachabilityCheck"]

# Answers that show a server is there, even if it will not hand this page to a robot.
_ALIVE: Final = frozenset({401, 403, 405, 429})


class BlockListCheck:
    """Refuses URLs the block list matches (400 MALICIOUS_URL)."""

    def __init__(self, blocklist: BlockListFile) -> None:
        self.blocklist = blocklist

    async def __call__(self, long_url: str) -> None:
        entry = (await self.blocklist.current()).match(long_url)
        if entry is not None:
            raise MaliciousUrl(details=f"The target is on the block list ({entry})")


class PrivateTargetCheck:
    """Refuses links to loopback, private, link-local (cloud metadata) and other
    non-public addresses (400 INVALID_URL): a public shortener must not hand out links
    into its own network. A host name is resolved (within `timeout`), and refused when any
    of its addresses is not public; a name that does not resolve here cannot lead into
    this network, so it passes (the SSRF-safe fetcher still guards every request the
    service itself makes)."""

    def __init__(self, resolver: Resolver = system_resolver, timeout: float = 2.0) -> None:
        self.resolver = resolver
        self.timeout = timeout

    async def __call__(self, long_url: str) -> None:
        parts = urlsplit(long_url)
        host = (parts.hostname or "").strip("[]")
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            addresses = await self._resolved(host, parts.port or 443)
        for address in addresses:
            if not is_public_address(address):
                where = (
                    f"URL points to {address}"
                    if str(address) == host
                    else f"URL host {host} resolves to {address}"
                )
                raise InvalidUrl(
                    details=f"{where}, a private, loopback or link-local address "
                    "(allowed only with SHORTURL_ALLOW_PRIVATE_LINK_TARGETS)"
                )

    async def _resolved(self, host: str, port: int) -> list[IPAddress]:
        if not host:
            return []
        try:
            async with asyncio.timeout(self.timeout):
                found = await self.resolver(host, port)
        except (OSError, TimeoutError):
            return []
        return [ipaddress.ip_address(item.split("%", 1)[0]) for item in found]


class ReachabilityCheck:
    """Refuses URLs that do not answer (400 URL_NOT_ACCESSIBLE): a HEAD, then a GET when
    the HEAD fails, through the SSRF-safe fetcher (its timeout, redirects and address
    rules). A page is reachable when it answers below 400, or with a status that shows a
    server that is there but choosy (401, 403, 405, 429)."""

    def __init__(self, fetcher: SafeFetcher) -> None:
        self.fetcher = fetcher

    async def __call__(self, long_url: str) -> None:
        problem = "no answer"
        for method in (self.fetcher.head, self.fetcher.get):
            try:
                response = await method(long_url)
            except FetchFailed as exc:
                problem = str(exc)
                continue
            if response.status_code < 400 or response.status_code in _ALIVE:
                return
            problem = f"it answered HTTP {response.status_code}"
        raise UrlNotAccessible(details=f"The URL could not be reached: {problem}")
