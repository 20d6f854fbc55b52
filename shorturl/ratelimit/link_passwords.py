"""Brute-force protection for password-protected links: failed attempts per link and IP."""

from __future__ import annotations

from typing import Final

from shorturl.ratelimit.limiter import LimitState, RateLimiter

__all__ = ["FAILURES_PER_LINK_AND_IP", "WINDOW", "LinkPasswordThrottle"]

WINDOW: Final = 15 * 60
FAILURES_PER_LINK_AND_IP: Final = 10


class LinkPasswordThrottle:
    """At most 10 wrong passwords for one link from one IP in any 15 minutes; past that,
    every attempt from there (even the right password) is refused until the window frees up.

    On whenever the service runs, even with `RATE_LIMIT_ENABLED=false`: a link password is
    short and guessable in a way API traffic limits are not meant to protect."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def state(self, link_id: int, client_ip: str) -> LimitState:
        """Whether one more attempt may be made (`allowed`), and when the window frees."""
        return await self.limiter.peek(
            "link-password", f"{link_id}:{client_ip}", FAILURES_PER_LINK_AND_IP, WINDOW
        )

    async def failed(self, link_id: int, client_ip: str) -> None:
        await self.limiter.hit(
            "link-password", f"{link_id}:{client_ip}", FAILURES_PER_LINK_AND_IP, WINDOW
        )
