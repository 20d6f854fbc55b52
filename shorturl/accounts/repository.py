"""Every query on users, API keys and browser sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.models import ApiKey, BrowserSession, User

__all__ = ["AccountRepository"]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # users

    async def user(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def user_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def user_by_username(self, username: str) -> User | None:
        return await self.session.scalar(select(User).where(User.username == username))

    async def insert_user(self, user: User) -> bool:
        """Insert `user`; False (nothing written) when the email or username is taken."""
        try:
            async with self.session.begin_nested():
                self.session.add(user)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def flush(self) -> bool:
        """Write pending changes; False when they break a unique constraint."""
        try:
            async with self.session.begin_nested():
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def users(
        self, *, query: str | None, limit: int, offset: int
    ) -> tuple[Sequence[User], int]:
        statement = select(User)
        counting = select(func.count(User.id))
        if query:
            pattern = _like(query.lower())
            matches = or_(
                User.email.like(pattern, escape="\\"),
                User.username.like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
            statement, counting = statement.where(matches), counting.where(matches)
        page = await self.session.scalars(statement.order_by(User.id).limit(limit).offset(offset))
        return page.all(), int(await self.session.scalar(counting) or 0)

    async def delete_user(self, user: User) -> None:
        """Remove the user; their keys and webhooks go with them (ON DELETE CASCADE)."""
        await self.session.execute(delete(ApiKey).where(ApiKey.user_id == user.id))
        await self.session.delete(user)
        await self.session.flush()

    # API keys

    async def insert_key(self, key: ApiKey) -> None:
        self.session.add(key)
        await self.session.flush()

    async def active_keys(self, user_id: int) -> Sequence[ApiKey]:
        found = await self.session.scalars(
            select(ApiKey)
            .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.id)
        )
        return found.all()

    async def count_active_keys(self, user_id: int) -> int:
        found = await self.session.scalar(
            select(func.count(ApiKey.id)).where(
                ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None)
            )
        )
        return int(found or 0)

    async def active_key(self, user_id: int, key_id: int) -> ApiKey | None:
        return await self.session.scalar(
            select(ApiKey).where(
                ApiKey.id == key_id, ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None)
            )
        )

    async def key_with_owner(self, key_hash: str) -> tuple[ApiKey, User] | None:
        """The unrevoked key with this hash and its active owner."""
        row = (
            await self.session.execute(
                select(ApiKey, User)
                .join(User, User.id == ApiKey.user_id)
                .where(
                    ApiKey.key_hash == key_hash,
                    ApiKey.revoked_at.is_(None),
                    User.is_active.is_(True),
                )
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def active_key_hashes(self) -> Sequence[str]:
        """The hashes of every unrevoked key whose owner is active."""
        return (
            await self.session.scalars(
                select(ApiKey.key_hash)
                .join(User, User.id == ApiKey.user_id)
                .where(ApiKey.revoked_at.is_(None), User.is_active.is_(True))
            )
        ).all()

    async def mark_key_used(self, key_id: int, at: datetime, stale_before: datetime) -> None:
        """Record a use, writing only when the stored time is older than `stale_before`, so a
        busy key does not turn every request into a write."""
        await self.session.execute(
            update(ApiKey)
            .where(
                ApiKey.id == key_id,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < stale_before),
            )
            .values(last_used_at=at)
        )

    # browser sessions

    async def insert_browser_session(self, record: BrowserSession) -> None:
        self.session.add(record)
        await self.session.flush()

    async def browser_session(self, session_hash: str) -> BrowserSession | None:
        return await self.session.get(BrowserSession, session_hash)

    async def touch_browser_session(self, session_hash: str, at: datetime) -> None:
        await self.session.execute(
            update(BrowserSession).where(BrowserSession.id == session_hash).values(last_seen_at=at)
        )

    async def delete_browser_session(self, session_hash: str) -> None:
        await self.session.execute(delete(BrowserSession).where(BrowserSession.id == session_hash))

    async def delete_browser_sessions(self, user_id: int) -> None:
        await self.session.execute(delete(BrowserSession).where(BrowserSession.user_id == user_id))

    async def delete_stale_browser_sessions(self, now: datetime, idle_since: datetime) -> int:
        result = await self.session.execute(
            delete(BrowserSession).where(
                or_(BrowserSession.expires_at < now, BrowserSession.last_seen_at < idle_since)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
