"""Server-side dashboard sessions: opened at sign-in, ended at sign-out, idle timeout, and
revoked with every access token of a user (password change, disable, delete, sign-out
everywhere). The cookie only names a session; the row in `browser_sessions` makes it valid."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.models import BrowserSession, User
from shorturl.accounts.repository import AccountRepository
from shorturl.timestamps import as_utc, utcnow

__all__ = [
    "close_session",
    "open_session",
    "prune_sessions",
    "revoke_credentials",
    "session_is_live",
]

# A page view moves `last_seen_at` only when it is this old: not a write per request.
_TOUCH_AFTER: Final = timedelta(minutes=1)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


async def open_session(session: AsyncSession, user_id: int, sid: str, lifetime: timedelta) -> None:
    now = utcnow()
    record = BrowserSession(
        id=_hash(sid), user_id=user_id, created_at=now, last_seen_at=now, expires_at=now + lifetime
    )
    await AccountRepository(session).insert_browser_session(record)


async def session_is_live(
    session: AsyncSession, user_id: int, sid: str, idle_timeout: timedelta
) -> bool:
    """Whether `sid` is an open session of `user_id`, used within `idle_timeout`; a live one
    is marked as seen now. An ended (or idle, or expired) session is deleted."""
    repository = AccountRepository(session)
    key = _hash(sid)
    record = await repository.browser_session(key)
    if record is None or record.user_id != user_id:
        return False
    now = utcnow()
    last_seen = as_utc(record.last_seen_at)
    if as_utc(record.expires_at) <= now or last_seen + idle_timeout <= now:
        await repository.delete_browser_session(key)
        return False
    if now - last_seen >= _TOUCH_AFTER:
        await repository.touch_browser_session(key, now)
    return True


async def close_session(session: AsyncSession, sid: str) -> None:
    await AccountRepository(session).delete_browser_session(_hash(sid))


async def revoke_credentials(session: AsyncSession, user: User) -> None:
    """End every dashboard session of `user` and invalidate every access token issued to
    them so far (API keys are revoked one by one, on purpose)."""
    user.token_generation = (user.token_generation or 0) + 1
    await AccountRepository(session).delete_browser_sessions(user.id)
    await session.flush()


async def prune_sessions(session: AsyncSession, idle_timeout: timedelta) -> int:
    """Delete sessions past their lifetime or idle too long; how many."""
    now = utcnow()
    return await AccountRepository(session).delete_stale_browser_sessions(now, now - idle_timeout)
