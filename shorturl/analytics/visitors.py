"""Daily visitor salts: random, one per UTC day, shared by every worker through the database.

A visitor hash is SHA-256(salt of the day + IP + user agent). The salt is random (not derived
from a key), stored in `app_secrets` so every worker hashes alike, and deleted two days later
(`forget_old_salts`), after which nobody can recompute which address made a hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.storage.secrets import AppSecret, load_or_create_secret
from shorturl.timestamps import utcnow

__all__ = ["VisitorSalts"]

_PREFIX = "visitor_salt:"
KEEP_DAYS = 2


class VisitorSalts:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self._known: dict[date, str] = {}

    async def for_days(self, days: Iterable[date]) -> dict[date, str]:
        """The salt of each of `days`, created on first use."""
        wanted = set(days)
        for day in wanted - self._known.keys():
            self._known[day] = await load_or_create_secret(
                self.sessionmaker, f"{_PREFIX}{day.isoformat()}"
            )
        salts = {day: self._known[day] for day in wanted}
        # Keep a few recent days; a batch of many old days (a backlog) must not trim its own.
        if len(self._known) > 8:
            for day in sorted(self._known)[:-8]:
                del self._known[day]
        return salts

    async def today(self) -> str:
        """The salt of the current UTC day (the redirect's sticky A/B variants use it)."""
        day = utcnow().date()
        salt = self._known.get(day)
        if salt is None:
            salt = (await self.for_days((day,)))[day]
        return salt

    async def forget_old_salts(self) -> int:
        """Delete salts older than `KEEP_DAYS` days. Returns how many."""
        keep_from = (utcnow().date() - timedelta(days=KEEP_DAYS)).isoformat()
        async with self.sessionmaker() as session:
            result = await session.execute(
                delete(AppSecret).where(
                    AppSecret.name.like(f"{_PREFIX}%"),
                    AppSecret.name < f"{_PREFIX}{keep_from}",
                )
            )
            await session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
