"""Brute-force protection for sign-in and password checks: attempts limited per account and IP."""

from __future__ import annotations

import hashlib
from typing import Final

from shorturl.errors import RateLimited
from shorturl.ratelimit.limiter import LimitState, RateLimiter

__all__ = ["LoginThrottle", "account_key"]

WINDOW: Final = 15 * 60
FAILURES_PER_ACCOUNT: Final = 10
FAILURES_PER_IP: Final = 30
SIGNUPS_PER_IP: Final = 10  # per hour: each sign-up costs a password hash
SIGNUP_WINDOW: Final = 3600


def account_key(user_id: int | None, login: str) -> str:
    """The per-account counter's identity: the account's id when it exists, so its username
    and its email share one budget; the typed login (hashed) for an unknown account."""
    if user_id is not None:
        return f"user-{user_id}"
    # Hashed: the limiter's keys should not be a list of email addresses.
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()[:32]


class LoginThrottle:
    """At most 10 password attempts per account and 30 per IP in any 15 minutes; past that,
    every attempt (even with the right password) is refused until the window frees up.

    Each attempt is counted (reserved) *before* its password is hashed and compared: counted
    afterwards, 40 concurrent guesses all passed the check before any was counted. A right
    password then gives the account's budget back (not the IP's: an IP's 30 are attempts).

    Counting per account stops a password guesser that rotates IPs; counting per IP stops one
    that rotates accounts. The price is that someone who knows a login can keep its owner out
    for 15 minutes at a time (API keys keep working).
    """

    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter

    async def reserve(self, account: str, client_ip: str) -> None:
        """Count one attempt for `account` (see `account_key`) and `client_ip`; RateLimited
        (429 with Retry-After) when either budget is used up. Atomic in the limiter, so
        concurrent attempts cannot all slip through."""
        state = await self.limiter.hit("login-ip", client_ip, FAILURES_PER_IP, WINDOW)
        if not state.allowed:
            raise _too_many(state)
        state = await self.limiter.hit("login-account", account, FAILURES_PER_ACCOUNT, WINDOW)
        if not state.allowed:
            raise _too_many(state)

    async def reserve_signup(self, client_ip: str) -> None:
        """Count one sign-up from `client_ip`; RateLimited past 10 an hour."""
        state = await self.limiter.hit("signup-ip", client_ip, SIGNUPS_PER_IP, SIGNUP_WINDOW)
        if not state.allowed:
            wait = state.retry_after()
            raise RateLimited(
                "Too many sign-ups from this address",
                details=f"Try again in {wait} seconds",
                headers={"Retry-After": str(wait)},
            )

    async def succeeded(self, account: str) -> None:
        """A right password wipes the account's attempts (not the IP's)."""
        await self.limiter.clear("login-account", account, FAILURES_PER_ACCOUNT, WINDOW)


def _too_many(state: LimitState) -> RateLimited:
    wait = state.retry_after()
    return RateLimited(
        "Too many failed sign-in attempts",
        details=f"Try again in {wait} seconds",
        headers={"Retry-After": str(wait)},
    )
