"""The database engine's session settings."""

from __future__ import annotations

from sqlalchemy import text

from shorturl.storage.db import Database, reuse_generic_plans


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


async def test_a_bulk_write_reuses_plans_for_its_transaction_only(postgres_url: str) -> None:
    """Planned anew for every row, the foreign-key checks of a bulk insert cost +30 µs a row:
    a bulk write's transaction opts out, and the next one plans per value again."""
    database = Database(postgres_url)
    show = text("SHOW plan_cache_mode")
    try:
        async with database.sessionmaker() as session:
            await reuse_generic_plans(session)
            during = (await session.execute(show)).scalar_one()
            await session.commit()
            after = (await session.execute(show)).scalar_one()
    finally:
        await database.dispose()
    assert (during, after) == ("auto", "force_custom_plan")
