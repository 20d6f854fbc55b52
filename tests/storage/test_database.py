"""The database engine's session settings."""

from __future__ import annotations

from sqlalchemy import text

from shorturl.storage.db import Database


async def test_postgresql_plans_every_query_for_its_values(postgres_url: str) -> None:
    """A generic plan pinned while `clicks` was empty turned the worker's event-id lookup
    into a sequential scan once the table grew (36 s a query): no pinned plans."""
    database = Database(postgres_url)
    try:
        async with database.sessionmaker() as session:
            mode = (await session.execute(text("SHOW plan_cache_mode"))).scalar_one()
    finally:
        await database.dispose()
    assert mode == "force_custom_plan"
