"""Secrets the service generates for itself once and keeps in the database (`SECRET_KEY`)."""

from __future__ import annotations

import secrets

from sqlalchemy import String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from shorturl.storage.base import Base

__all__ = ["AppSecret", "load_or_create_secret"]


class AppSecret(Base):
    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


async def load_or_create_secret(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> str:
    """The stored secret `name`, generated on first use; safe when processes race to create it."""
    async with sessionmaker() as session:
        existing = await session.scalar(select(AppSecret.value).where(AppSecret.name == name))
        if existing:
            return existing
        session.add(AppSecret(name=name, value=secrets.token_urlsafe(48)))
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
        value = await session.scalar(select(AppSecret.value).where(AppSecret.name == name))
        assert value is not None
        return value
