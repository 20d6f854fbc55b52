"""Apply the Alembic migrations programmatically (`shorturl db upgrade`, `serve` on start)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

__all__ = ["alembic_config", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d-%%(slug)s")
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database at `database_url` to `revision` (every head by default).

    Runs its own event loop: call it from synchronous code or through `asyncio.to_thread`.
    """
    command.upgrade(alembic_config(database_url), revision)
