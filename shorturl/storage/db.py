"""The async database engine, its sessions, and the request-scoped session dependency.

The request dependency commits when the endpoint returns and rolls back when it raises;
services and repositories never commit.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any, Final

from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = [
    "Database",
    "SessionDep",
    "after_commit",
    "get_session",
    "reuse_generic_plans",
    "run_after_commit",
    "sqlite_pragmas",
]

AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run `action` once the session's transaction has committed (never on rollback).

    Cache invalidations and queued jobs go here, so nobody sees them before the data.
    """
    session.info.setdefault("after_commit", []).append(action)


async def run_after_commit(session: AsyncSession) -> None:
    """Commit `session`, then run what was registered with `after_commit`."""
    await session.commit()
    actions: list[AfterCommit] = session.info.pop("after_commit", [])
    for action in actions:
        await action()


async def reuse_generic_plans(session: AsyncSession) -> None:
    """PostgreSQL: let this transaction run generic plans, for a bulk write.

    Connections plan every query for its values (`Database`), and that includes the
    foreign-key check of every inserted row, planned anew for each one: +30 µs a row,
    measured on clicks. A bulk write's statements are key lookups, which a generic plan
    serves as well. No-op on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = auto"))


_WAL_ATTEMPTS: Final = 20


def sqlite_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    """What every SQLite connection of the project runs first (the engine's on connect)."""
    cursor = dbapi_connection.cursor()
    for attempt in range(1, _WAL_ATTEMPTS + 1):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except Exception as exc:
            # Processes opening a new file together race to turn it to WAL, and SQLite
            # answers all but one "database is locked" at once, without its busy wait (two
            # readers upgrading to the write lock would deadlock). Once the file is in WAL
            # mode that cannot happen again.
            code = getattr(exc, "sqlite_errorcode", None)  # extended codes: same low byte
            busy = isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_BUSY
            if attempt == _WAL_ATTEMPTS or not busy:
                raise
            time.sleep(0.02 * attempt)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """One engine and session factory per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        kwargs: dict[str, Any] = {"echo": echo}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 10}
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
            if url.startswith("postgresql+asyncpg"):
                # asyncpg keeps statements prepared, and after five runs PostgreSQL may pin a
                # generic plan made while a table was small: the worker's lookup of 5,000
                # event ids then became a sequential scan of a grown `clicks` table (0.07 s
                # → 36 s a query, stalling the consumer). Plan each run for its values;
                # bulk writes opt out for their transaction (`reuse_generic_plans`).
                # No JIT: it compiled every large report query anew, 50-70 ms each for
                # queries of a few hundred ms (bench/analytics_10m.py), and gains nothing on
                # the short ones.
                kwargs["connect_args"] = {
                    "server_settings": {"plan_cache_mode": "force_custom_plan", "jit": "off"}
                }
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", sqlite_pragmas)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request: committed on success, rolled back on error."""
    database: Database = request.app.state.database
    async with database.sessionmaker() as session:
        try:
            yield session
            await run_after_commit(session)
        except BaseException:
            session.info.pop("after_commit", None)
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
