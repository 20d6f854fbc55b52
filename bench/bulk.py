"""Benchmark of bulk creation: `POST /api/v1/urls/bulk` with 1,000 links, in both modes.

The app runs in this process (httpx's ASGI transport, lifespan started), so the figure is the
server's work: parsing, validation, code allocation, the inserts and the answer, without a
network in between. Embedded mode uses a fresh SQLite file; scaled mode a fresh PostgreSQL
database and Redis namespace, dropped afterwards. The caller is a premium user; every item
has a tag and every other one a custom alias. Rate limits and page-metadata fetches are off
(they would measure the limiter and example.com).

    .venv/bin/python bench/bulk.py                  # both modes, 5 batches each
    .venv/bin/python bench/bulk.py --modes embedded --repeat 10 --items 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environment import (  # noqa: E402  (bench/, beside this script)
    REDIS_URL,
    delete_namespace,
    describe_machine,
    new_namespace,
    postgres_database,
)

from shorturl.accounts import service as accounts  # noqa: E402
from shorturl.app import create_app  # noqa: E402
from shorturl.config import Settings  # noqa: E402
from shorturl.storage.migrate import upgrade  # noqa: E402


@contextlib.asynccontextmanager
async def storage(mode: str, tmp: Path) -> AsyncIterator[dict[str, Any]]:
    """Settings of a fresh store in `mode`: a SQLite file, or a PG database + Redis namespace."""
    if mode == "embedded":
        yield {"database_url": f"sqlite+aiosqlite:///{tmp / 'bench.db'}"}
        return
    namespace = new_namespace()
    async with postgres_database() as url:
        try:
            yield {"database_url": url, "redis_url": REDIS_URL, "redis_namespace": namespace}
        finally:
            await delete_namespace(namespace)


def batch(run: int, items: int) -> list[dict[str, Any]]:
    return [
        {
            "long_url": f"https://example.com/landing/{run}/{i}?utm_source=bench",
            "tags": [f"campaign-{i % 10}"],
            "description": f"item {i}",
        }
        | ({"custom_alias": f"r{run}-item-{i}"} if i % 2 else {})
        for i in range(items)
    ]


async def signed_in(client: httpx.AsyncClient, app: Any) -> dict[str, str]:
    """A premium user's bearer token (premium: 10,000 links a month)."""
    email, password = "bench@example.com", "bench-password-123"
    response = await client.post(
        "/api/v1/auth/signup", json={"email": email, "username": "bench", "password": password}
    )
    response.raise_for_status()
    runtime = app.runtime
    async with runtime.database.sessionmaker() as session:
        user = await accounts.find_user(session, "bench")
        assert user is not None
        await accounts.set_plan(session, user, "premium")
        await session.commit()
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['data']['access_token']}"}


async def measure(mode: str, args: argparse.Namespace) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with storage(mode, Path(tmp)) as values:
            await asyncio.to_thread(upgrade, values["database_url"])
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                secret_key=secrets.token_urlsafe(48),
                rate_limit_enabled=False,
                fetch_metadata=False,
                environment="production",
                **values,
            )
            app = create_app(settings)
            async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench", timeout=60
                ) as client:
                    headers = await signed_in(client, app)
                    await client.post(  # warm-up: imports, connections, statement caches
                        "/api/v1/urls/bulk", json={"urls": batch(0, 50)}, headers=headers
                    )
                    times = []
                    for run in range(1, args.repeat + 1):
                        body = {"urls": batch(run, args.items)}
                        started = time.perf_counter()
                        response = await client.post(
                            "/api/v1/urls/bulk", json=body, headers=headers
                        )
                        times.append(time.perf_counter() - started)
                        summary = response.json()["data"]["summary"]
                        assert summary["created"] == args.items, summary
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", nargs="+", default=["embedded", "scaled"])
    parser.add_argument("--items", type=int, default=1000, help="links per request (≤ 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="measured requests per mode")
    args = parser.parse_args()
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {describe_machine()}")
    print(f"# load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'mode':<10} {'items':>6} {'best ms':>9} {'median ms':>10} {'items/s (best)':>15}")
    for mode in args.modes:
        times = asyncio.run(measure(mode, args))
        best, median = min(times), statistics.median(times)
        print(
            f"{mode:<10} {args.items:>6} {best * 1000:>9.0f} {median * 1000:>10.0f} "
            f"{args.items / best:>15,.0f}"
        )
    print(f"# load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
