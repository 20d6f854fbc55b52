"""Periodic jobs: expiry (with `url.expired`), unused links, visitor salts, one runner at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.links.events import LinkEvent
from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.storage.secrets import AppSecret, load_or_create_secret
from shorturl.timestamps import utcnow
from shorturl.worker.jobs import PeriodicJobs
from tests.analytics.conftest import make_link
from tests.conftest import MakeAccount


async def shift(runtime: Runtime, code: str, **values: Any) -> None:
    """Change a link behind the service's back (a date that passes while it is cached)."""
    async with runtime.database.sessionmaker() as session:
        await session.execute(update(Link).where(Link.code == code).values(**values))
        await session.commit()
    await runtime.cache.invalidate(code)


async def status_of(client: httpx.AsyncClient, code: str) -> str:
    response = await client.get(f"/api/v1/urls/{code}")
    assert response.status_code == 200, response.text
    return response.json()["data"]["status"]


@pytest.fixture
async def link_events(runtime: Runtime) -> AsyncIterator[list[tuple[LinkEvent, str]]]:
    """Every link event fired while the test runs: (event, code)."""
    seen: list[tuple[LinkEvent, str]] = []

    async def handler(_session: AsyncSession, event: LinkEvent, link: Link) -> None:
        seen.append((event, link.code))

    runtime.links.event_handlers.append(handler)
    yield seen
    runtime.links.event_handlers.remove(handler)


async def test_links_past_their_expiry_are_marked_expired_once(
    client: httpx.AsyncClient, runtime: Runtime, link_events: list[tuple[LinkEvent, str]]
) -> None:
    due = await make_link(client, expires_at="2099-01-01T00:00:00Z")
    also_due = await make_link(client, expires_at="2099-01-01T00:00:00Z")
    later = await make_link(client, expires_at="2099-01-01T00:00:00Z")
    forever = await make_link(client)
    for code in (due, also_due):
        await shift(runtime, code, expires_at=utcnow() - timedelta(minutes=5))
    assert await status_of(client, due) == "active"  # and cached so
    jobs = PeriodicJobs(runtime)
    done = await jobs.run_once()
    assert (done.expired, done.failed) == (2, [])
    for code in (due, also_due):
        assert await status_of(client, code) == "expired"  # the cache was invalidated
        assert (await client.get(f"/{code}")).status_code == 410
    for code in (later, forever):
        assert await status_of(client, code) == "active"
    fired = [pair for pair in link_events if pair[0] == "url.expired"]
    assert sorted(fired) == sorted([("url.expired", due), ("url.expired", also_due)])
    assert (await jobs.run_once()).expired == 0  # nothing twice
    assert len([pair for pair in link_events if pair[0] == "url.expired"]) == 2


async def test_a_date_already_past_expires_the_link_at_once_and_fires_once(
    client: httpx.AsyncClient,
    runtime: Runtime,
    make_account: MakeAccount,
    link_events: list[tuple[LinkEvent, str]],
) -> None:
    alice = await make_account("alice")
    made = await client.post(
        "/api/v1/urls",
        json={"long_url": "https://example.com/", "expiration_date": "2024-12-31T23:59:59Z"},
    )
    assert made.status_code == 201, made.text
    made_past = made.json()["data"]["short_code"]
    assert made.json()["data"]["status"] == "expired"
    assert (await client.get(f"/{made_past}")).status_code == 410
    kept = await client.post(
        "/api/v1/urls",
        json={"long_url": "https://example.com/", "expiration_date": "2099-01-01T00:00:00Z"},
        headers=alice.headers,
    )
    moved = kept.json()["data"]["short_code"]
    assert (await client.get(f"/{moved}")).status_code == 301  # cached as active
    for _ in range(2):  # the second change keeps it expired: no second event
        changed = await client.patch(
            f"/api/v1/urls/{moved}",
            json={"expiration_date": "2020-06-01T00:00:00Z"},
            headers=alice.headers,
        )
        assert changed.status_code == 200 and changed.json()["data"]["status"] == "expired"
    assert (await client.get(f"/{moved}")).status_code == 410  # the cache was invalidated
    assert (await PeriodicJobs(runtime).run_once()).expired == 0
    fired = [pair for pair in link_events if pair[0] == "url.expired"]
    assert fired == [("url.expired", made_past), ("url.expired", moved)]
    # A date in the future again brings the link back.
    back = await client.patch(
        f"/api/v1/urls/{moved}",
        json={"expiration_date": "2099-01-01T00:00:00Z"},
        headers=alice.headers,
    )
    assert back.json()["data"]["status"] == "active"
    assert (await client.get(f"/{moved}")).status_code == 301


async def test_expiry_works_through_many_batches(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shorturl.worker.jobs.EXPIRE_BATCH", 2)
    codes = [await make_link(client, expires_at="2099-01-01T00:00:00Z") for _ in range(5)]
    async with runtime.database.sessionmaker() as session:
        await session.execute(update(Link).where(Link.code.in_(codes)).values(expires_at=utcnow()))
        await session.commit()
    assert await PeriodicJobs(runtime).expire_links() == 5
    for code in codes:
        assert await status_of(client, code) == "expired"


async def test_unused_links_are_deactivated_only_when_configured(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    idle = await make_link(client)
    clicked = await make_link(client)
    fresh = await make_link(client)
    long_ago = utcnow() - timedelta(days=100)
    await shift(runtime, idle, created_at=long_ago)
    await shift(runtime, clicked, created_at=long_ago, last_clicked_at=utcnow() - timedelta(days=3))
    assert (await client.get(f"/{idle}")).status_code == 301  # cached
    jobs = PeriodicJobs(runtime)
    assert runtime.settings.deactivate_unused_days is None  # off by default
    assert (await jobs.run_once()).deactivated == 0
    assert await status_of(client, idle) == "active"
    jobs.settings = runtime.settings.model_copy(update={"deactivate_unused_days": 30})
    assert (await jobs.run_once()).deactivated == 1
    assert await status_of(client, idle) == "disabled"
    assert (await client.get(f"/{idle}")).status_code == 404
    for code in (clicked, fresh):
        assert await status_of(client, code) == "active"


async def test_old_visitor_salts_are_forgotten(client: httpx.AsyncClient, runtime: Runtime) -> None:
    today = utcnow().date()
    names = [f"visitor_salt:{today - timedelta(days=days)}" for days in (0, 2, 3, 40)]
    for name in names:
        await load_or_create_secret(runtime.database.sessionmaker, name)
    assert (await PeriodicJobs(runtime).run_once()).salts_forgotten >= 2
    async with runtime.database.sessionmaker() as session:
        kept = set(await session.scalars(select(AppSecret.name).where(AppSecret.name.in_(names))))
    assert kept == set(names[:2])  # today's and the day before yesterday's stay


async def test_one_worker_at_a_time_with_redis(client: httpx.AsyncClient, runtime: Runtime) -> None:
    first, second = PeriodicJobs(runtime, interval=60), PeriodicJobs(runtime, interval=60)
    assert await first.acquire()
    if runtime.redis is None:  # embedded: the only worker always runs them
        assert await second.acquire()
    else:
        assert not await second.acquire()
        assert not await first.acquire()  # not twice in one interval either


async def test_the_worker_runs_them_every_interval(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    code = await make_link(client, expires_at="2099-01-01T00:00:00Z")
    await shift(runtime, code, expires_at=utcnow() - timedelta(seconds=1))
    jobs = PeriodicJobs(runtime, interval=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(jobs.run(stop))
    try:
        for _ in range(200):
            if jobs.runs >= 2:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert jobs.runs >= 2
    assert await status_of(client, code) == "expired"
