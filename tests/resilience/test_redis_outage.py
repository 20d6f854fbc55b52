"""Redis is optional at run time: a Redis of the test's own is stopped under a running app.

Redirects keep answering (the local cache, then the database), clicks wait in the local inbox
and reach the stream once Redis is back (none lost, none twice), rate limits fail open or
closed by setting, `/health` says `degraded`, and the outage is logged once.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from shorturl.analytics.models import Click
from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.storage.migrate import upgrade
from shorturl.worker.fallback import StreamWithInbox
from tests.analytics.conftest import make_link, visit_app
from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    new_namespace,
    sign_up,
)
from tests.own_services import OwnRedis, own_redis


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    url = create_postgres_database()
    upgrade(url)
    yield url
    drop_postgres_database(url)


@pytest.fixture
def redis() -> Iterator[OwnRedis]:
    with own_redis() as server:
        yield server


def settings_for(database_url: str, redis: OwnRedis, **overrides: Any) -> Any:
    from tests.conftest import Backend

    namespace = new_namespace()
    return Backend("scaled", database_url, redis.url).settings(
        redis_namespace=namespace,
        click_inbox=f"{tempfile.mkdtemp()}/clicks-inbox.db",
        **overrides,
    )


async def clicks_of(runtime: Runtime, code: str) -> tuple[int, int]:
    """(click rows, distinct event ids) of the link `code`."""
    async with runtime.database.sessionmaker() as session:
        link_id = await session.scalar(select(Link.id).where(Link.code == code))
        rows = await session.scalar(select(func.count()).where(Click.link_id == link_id))
        ids = await session.scalar(
            select(func.count(func.distinct(Click.event_id))).where(Click.link_id == link_id)
        )
    return int(rows or 0), int(ids or 0)


async def wait_for(condition: Any, seconds: float = 20) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never met"
        await asyncio.sleep(0.1)


async def test_redirects_and_clicks_survive_a_redis_outage(
    database_url: str, redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.conftest import running

    settings = settings_for(database_url, redis, rate_limit_enabled=True)
    async with running(settings) as (app, client):
        runtime: Runtime = app.runtime
        hot = await make_link(client, long_url="https://example.com/hot")
        cold = await make_link(client, long_url="https://example.com/cold")
        for _ in range(3):
            assert (await visit_app(app, f"/{hot}")).status_code == 301
        caplog.clear()
        caplog.set_level(logging.INFO)

        redis.stop()
        served = 3
        for _ in range(20):
            assert (await visit_app(app, f"/{hot}")).status_code == 301  # the local cache
            served += 1
        assert runtime.cache.local.get_stale(hot) is not None, "local cache emptied"
        response = await visit_app(app, f"/{cold}")  # never cached here: the database
        assert response.status_code == 301
        assert response.headers["location"] == "https://example.com/cold"
        health = await client.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert health.json()["cache"] == "unavailable"
        # fail open (the default): the API goes on, uncounted
        created = await client.post("/api/v1/urls", json={"long_url": "https://example.com/x"})
        assert created.status_code == 201, created.text
        await asyncio.sleep(0.3)  # some flushes into the inbox
        transport = runtime.clicks.transport
        assert isinstance(transport, StreamWithInbox) and transport.kept > 0

        redis.start()
        await wait_for(lambda: _true(runtime.redis_availability.available))  # type: ignore[union-attr]
        await wait_for(lambda: _stored(runtime, hot, served))
        assert await clicks_of(runtime, hot) == (served, served)  # none lost, none twice
        assert await clicks_of(runtime, cold) == (1, 1)
        assert (await client.get("/health")).json()["status"] == "healthy"

    warnings = [r for r in caplog.records if r.name == "shorturl.storage.outage"]
    assert [r.levelno for r in warnings] == [logging.WARNING, logging.WARNING]  # down, back
    assert "redis unavailable" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    rate_limit_notes = [r for r in caplog.records if "rate limits fail open" in r.getMessage()]
    assert len(rate_limit_notes) == 1


async def test_rate_limits_can_fail_closed(database_url: str, redis: OwnRedis) -> None:
    from tests.conftest import running

    settings = settings_for(
        database_url, redis, rate_limit_enabled=True, rate_limit_without_redis="closed"
    )
    async with running(settings) as (app, client):
        await make_link(client)
        redis.stop()
        refused = await client.post("/api/v1/urls", json={"long_url": "https://example.com/y"})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["error"]["code"] == "RATE_LIMITED"
        redis.start()
        await wait_for(lambda: _true(app.runtime.redis_availability.available))
        created = await client.post("/api/v1/urls", json={"long_url": "https://example.com/y"})
        assert created.status_code == 201


async def test_an_edit_during_the_outage_reaches_the_shared_cache_when_redis_returns(
    database_url: str, redis: OwnRedis
) -> None:
    from tests.conftest import running

    settings = settings_for(database_url, redis)
    async with running(settings) as (app, client):
        runtime: Runtime = app.runtime
        owner = await sign_up(client, runtime, "editor" + new_namespace())
        created = await client.post(
            "/api/v1/urls", json={"long_url": "https://example.com/old"}, headers=owner.headers
        )
        code = created.json()["data"]["short_code"]
        assert (await visit_app(app, f"/{code}")).status_code == 301  # now in Redis too
        redis.stop()
        edited = await client.patch(
            f"/api/v1/urls/{code}",
            json={"long_url": "https://example.com/new"},
            headers=owner.headers,
        )
        assert edited.status_code == 200, edited.text
        redis.start()
        await wait_for(lambda: _true(runtime.redis_availability.available))  # type: ignore[union-attr]
        await wait_for(lambda: _gone_from_redis(runtime, code))
        runtime.cache.local.clear()  # as another process would: it must not read the old one
        response = await visit_app(app, f"/{code}")
        assert response.headers["location"] == "https://example.com/new"


async def _true(value: bool) -> bool:
    return value


async def _stored(runtime: Runtime, code: str, expected: int) -> bool:
    return (await clicks_of(runtime, code))[0] >= expected


async def _gone_from_redis(runtime: Runtime, code: str) -> bool:
    assert runtime.redis is not None
    return not await runtime.redis.exists(runtime.redis_key("link", code))


async def test_a_process_starts_while_redis_is_down_and_uses_it_once_it_is_up(
    database_url: str, redis: OwnRedis
) -> None:
    from tests.conftest import running

    redis.stop()
    settings = settings_for(database_url, redis)
    async with running(settings) as (app, client):
        runtime: Runtime = app.runtime
        code = await make_link(client, long_url="https://example.com/early")
        assert (await visit_app(app, f"/{code}")).status_code == 301
        assert (await client.get("/health")).json()["status"] == "degraded"
        redis.start()
        await wait_for(lambda: _true(runtime.redis_availability.available))  # type: ignore[union-attr]
        await wait_for(lambda: _stored(runtime, code, 1))
        assert await clicks_of(runtime, code) == (1, 1)
        assert (await client.get("/health")).json()["status"] == "healthy"
