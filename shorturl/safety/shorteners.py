"""Links to other URL shorteners: a `bit.ly/x` hides its target from the block list, so it
is followed to where it leads (every hop checked) or refused, as SHORTENER_TARGETS says."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal
from urllib.parse import urlsplit

from shorturl.errors import InvalidUrl, UrlNotAccessible
from shorturl.links.events import TargetCheck
from shorturl.net.safe_fetch import FetchFailed, SafeFetcher

__all__ = ["KNOWN_SHORTENERS", "ShortenerCheck"]

# Public shorteners and the link wrappers of big sites (hosts, without `www.`).
KNOWN_SHORTENERS: Final = frozenset(
    {
        "bit.ly", "bitly.com", "j.mp", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd",
        "v.gd", "buff.ly", "rebrand.ly", "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy",
        "s.id", "bl.ink", "lnkd.in", "t.ly", "shorte.st", "adf.ly", "bc.vc", "soo.gd",
        "qr.ae", "tr.im", "x.co", "trib.al", "dlvr.it", "ift.tt", "fb.me", "youtu.be",
        "amzn.to", "amzn.eu", "tiny.one", "kutt.it", "short.io", "shorturl.com", "clck.ru",
        "urlz.fr", "surl.li", "linktr.ee", "n9.cl", "1url.com", "u.to", "gg.gg",
    }
)  # fmt: skip
MAX_HOPS: Final = 5


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


class ShortenerCheck:
    """Refuses (400 INVALID_URL) a link to a shortener in "refuse" mode; in "resolve" mode
    asks the shortener where it leads, through the SSRF-safe fetcher, up to MAX_HOPS
    shorteners deep, and runs `hop_checks` (the block list, private addresses) on each
    URL on the way: a blocked target is refused as if it had been given. A shortened link
    that leads nowhere, or a shortener that does not answer, is refused too (400
    URL_NOT_ACCESSIBLE): what cannot be seen cannot be checked."""

    def __init__(
        self,
        fetcher: SafeFetcher,
        hop_checks: Iterable[TargetCheck],
        mode: Literal["resolve", "refuse"],
        extra_hosts: Iterable[str] = (),
    ) -> None:
        self.fetcher = fetcher
        self.hop_checks = list(hop_checks)
        self.mode = mode
        self.hosts = KNOWN_SHORTENERS | {_host(f"//{host}") for host in extra_hosts}

    async def __call__(self, long_url: str) -> None:
        if _host(long_url) not in self.hosts:
            return
        if self.mode == "refuse":
            raise InvalidUrl(
                details=f"Links to other shorteners ({_host(long_url)}) are not accepted: "
                "give the target itself"
            )
        url = long_url
        for _ in range(MAX_HOPS):
            try:
                target = await self.fetcher.redirect_target(url)
            except FetchFailed as exc:
                raise UrlNotAccessible(
                    details=f"Where the shortened link {url} leads could not be seen ({exc}): "
                    "give the target itself"
                ) from None
            if target is None:
                raise UrlNotAccessible(
                    details=f"The shortened link {url} does not lead anywhere (expired?)"
                )
            for check in self.hop_checks:
                await check(target)
            if _host(target) not in self.hosts:
                return
            url = target
        raise UrlNotAccessible(
            details=f"The shortened link leads through more than {MAX_HOPS} shorteners"
        )
