"""PostgreSQL down under a running app (a cluster of the test's own, stopped and started).

Cached redirects keep answering; writes and uncached lookups answer 503 SERVICE_UNAVAILABLE
with `Retry-After`, in each API's error format; the clicks wait and are stored once the
database is back; the outage is logged once. With Redis down too, a link this process had
cached answers from its expired entry.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Iterator

import pytest

from shorturl.runtime import Runtime
from shorturl.storage.migrate import upgrade
from tests.analytics.conftest import make_link, visit_app
from tests.conftest import Backend, new_namespace, running, sign_up
from tests.own_services import OwnPostgres, OwnRedis, own_postgres, own_redis
from tests.resilience.test_redis_outage import clicks_of, wait_for


@pytest.fixture(scope="module")
def postgres() -> Iterator[OwnPostgres]:
    with own_postgres() as server:
        upgrade(server.url)
        yield server


@pytest.fixture
def redis() -> Iterator[OwnRedis]:
    with own_redis() as server:
        yield server


def settings_for(postgres: OwnPostgres, redis: OwnRedis, **overrides: object):  # type: ignore[no-untyped-def]
    return Backend("scaled", postgres.url, redis.url).settings(
        redis_namespace=new_namespace(),
        click_inbox=f"{tempfile.mkdtemp()}/clicks-inbox.db",
        **overrides,
    )


async def test_cached_redirects_answer_and_writes_get_503_while_the_database_is_down(
    postgres: OwnPostgres, redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(settings_for(postgres, redis)) as (app, client):
        runtime: Runtime = app.runtime
        hot = await make_link(client, long_url="https://example.com/hot")
        cold = await make_link(client, long_url="https://example.com/cold")
        assert (await visit_app(app, f"/{hot}")).status_code == 301
        caplog.clear()
        caplog.set_level(logging.INFO)

        postgres.stop()
        try:
            for _ in range(10):
                assert (await visit_app(app, f"/{hot}")).status_code == 301
            runtime.cache.local.clear()  # past the local TTL: the Redis tier answers
            assert (await visit_app(app, f"/{hot}")).status_code == 301

            created = await client.post("/api/v1/urls", json={"long_url": "https://example.com/n"})
            assert created.status_code == 503
            assert int(created.headers["retry-after"]) >= 1
            error = created.json()["error"]
            assert error["code"] == "SERVICE_UNAVAILABLE"
            assert error["details"]["retry_after"] == int(created.headers["retry-after"])
            assert created.json()["success"] is False

            root = await client.post("/shorten", json={"url": "https://example.com/r"})
            assert root.status_code == 503 and "error" in root.json()
            assert int(root.headers["retry-after"]) >= 1

            await runtime.cache.invalidate(cold)  # never looked up: only the database knows
            uncached = await visit_app(app, f"/{cold}")
            assert uncached.status_code == 503 and int(uncached.headers["retry-after"]) >= 1

            health = await client.get("/health")
            assert health.status_code == 503 and health.json()["status"] == "unhealthy"
            assert (await client.get("/health/live")).status_code == 200
            assert (await client.get("/health/ready")).status_code == 200  # serving cached
        finally:
            postgres.start()
        await wait_for(lambda: _stored(runtime, hot, 12), seconds=30)
        assert await clicks_of(runtime, hot) == (12, 12)
        assert (await client.get("/health")).json()["status"] == "healthy"

    outage = [r for r in caplog.records if r.name == "shorturl.storage.outage"]
    assert [r.getMessage().split(" ")[0:2] for r in outage][:1] == [["database", "unavailable"]]
    assert len([r for r in outage if "unavailable" in r.getMessage()]) == 1
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


async def test_smart_links_answer_503_not_500_while_the_database_is_down(
    postgres: OwnPostgres, redis: OwnRedis, caplog: pytest.LogCaptureFixture
) -> None:
    """The password form's unlock and a click-limited smart link fail like plain links do:
    503 with `Retry-After`, one warning for the outage, no traceback per request."""
    async with running(settings_for(postgres, redis)) as (app, client):
        account = await sign_up(client, app.runtime, "smart")
        client.headers.update(account.headers)
        locked = await make_link(client, long_url="https://example.com/locked", password="pw")
        limited = await make_link(
            client,
            long_url="https://example.com/limited",
            max_clicks=100,
            rules=[{"conditions": {"os": "ios"}, "long_url": "https://example.com/ios"}],
        )
        assert (await visit_app(app, f"/{limited}")).status_code in (301, 302)
        caplog.clear()
        caplog.set_level(logging.INFO)

        postgres.stop()
        redis.stop()  # the click counter lives in Redis (scaled) or the database
        try:
            for _ in range(3):
                unlock = await visit_app(
                    app,
                    f"/{locked}",
                    method="POST",
                    headers={"content-type": "application/x-www-form-urlencoded"},
                )
                assert unlock.status_code == 503, unlock.text
                assert int(unlock.headers["retry-after"]) >= 1
                counted = await visit_app(app, f"/{limited}")
                assert counted.status_code == 503, counted.text
                assert int(counted.headers["retry-after"]) >= 1
        finally:
            postgres.start()
            redis.start()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


async def test_with_redis_down_too_a_cached_link_answers_from_its_expired_entry(
    postgres: OwnPostgres, redis: OwnRedis
) -> None:
    settings = settings_for(postgres, redis, local_cache_ttl=0.1)
    async with running(settings) as (app, client):
        code = await make_link(client, long_url="https://example.com/both")
        assert (await visit_app(app, f"/{code}")).status_code == 301
        redis.stop()
        postgres.stop()
        try:
            await asyncio.sleep(0.3)  # the local entry has expired
            response = await visit_app(app, f"/{code}")
            assert response.status_code == 301
            assert response.headers["location"] == "https://example.com/both"
            unknown = await visit_app(app, "/nosuchcode")
            assert unknown.status_code == 503
        finally:
            postgres.start()
            redis.start()
        await wait_for(lambda: _stored(app.runtime, code, 2), seconds=30)
        assert await clicks_of(app.runtime, code) == (2, 2)


async def _stored(runtime: Runtime, code: str, expected: int) -> bool:
    try:
        return (await clicks_of(runtime, code))[0] >= expected
    except Exception:  # noqa: BLE001 - the database is still coming back
        return False
