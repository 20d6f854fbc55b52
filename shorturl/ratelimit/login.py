"""Brute-force protection for sign-in: failed attempts are limited per account and per IP."""

from __future__ import annotations

import hashlib
from typing import Final

from shorturl.errors import RateLimited
from shorturl.ratelimit.limiter import LimitState, RateLimiter

__all__ = ["LoginThrottle"]

WINDOW: Final = 15 * 60
FAILURES_PER_ACCOUNT: Final = 10
FAILURES_PER_IP: Final = 30


def _account(login: str) -> str:
    # Hashed: the limiter's keys should not be a list of email addresses.
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()[:32]


class LoginThrottle:
    """At most 10 failed sign-ins per account and 30 per IP in any 15 minutes; past that,
    every attempt (even with the right password) is refused until the window frees up.

    Counting per account stops a password guesser that rotates IPs; counting per IP stops one
    that rotates accounts. The price is that someone who knows a login can keep its owner out
    for 15 minutes at a time (API keys keep working).
    """

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def ensure_allowed(self, login: str, client_ip: str) -> None:
        """RateLimited (429 with Retry-After) when either budget is used up."""
        for state in (
            await self.limiter.peek("login-account", _account(login), FAILURES_PER_ACCOUNT, WINDOW),
            await self.limiter.peek("login-ip", client_ip, FAILURES_PER_IP, WINDOW),
        ):
            if not state.allowed:
                raise _too_many(state)

    async def failed(self, login: str, client_ip: str) -> None:
        await self.limiter.hit("login-account", _account(login), FAILURES_PER_ACCOUNT, WINDOW)
        await self.limiter.hit("login-ip", client_ip, FAILURES_PER_IP, WINDOW)

    async def succeeded(self, login: str) -> None:
        """A right password wipes the account's failures (not the IP's)."""
        await self.limiter.clear("login-account", _account(login), FAILURES_PER_ACCOUNT, WINDOW)


def _too_many(state: LimitState) -> RateLimited:
    wait = state.retry_after()
    return RateLimited(
        "Too many failed sign-in attempts",
        details=f"Try again in {wait} seconds",
        headers={"Retry-After": str(wait)},
    )
