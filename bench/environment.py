"""What every benchmark here stands on: throwaway stores on the servers the tests use
(`SHORTURL_TEST_PG_DSN`, `SHORTURL_TEST_REDIS_URL`), dropped after the run, and a line that
says which machine a figure was measured on."""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

PG_ADMIN_DSN: Final = os.environ.get(
    "SHORTURL_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL: Final = os.environ.get("SHORTURL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _pg_admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create_database() -> str:
    """A new, empty PostgreSQL database on the test server: its SQLAlchemy (asyncpg) URL."""
    name = "shorturl_bench_" + secrets.token_hex(4)
    await _pg_admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """`create_database` for the block, dropped after it."""
    url = await create_database()
    try:
        yield url
    finally:
        await drop_database(url)


def new_namespace() -> str:
    """A Redis key prefix of this run's own (`SHORTURL_REDIS_NAMESPACE`)."""
    return "bench" + secrets.token_hex(4)


async def delete_namespace(namespace: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{namespace}:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


def describe_machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{platform.node()}: {os.cpu_count()} cores {model}, Python {platform.python_version()}"
