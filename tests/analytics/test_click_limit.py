"""Expiry by clicks: `max_clicks` enforced at redirect time, never overshot."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from shorturl.runtime import Runtime
from tests.analytics.conftest import UA, Visit, make_link, visit_app
from tests.conftest import AppFactory


async def test_concurrent_redirects_never_overshoot(
    client: httpx.AsyncClient, runtime: Runtime, visit: Visit
) -> None:
    code = await make_link(client, max_clicks=5)
    answers = await asyncio.gather(*(visit(f"/{code}") for _ in range(30)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [301] * 5 + [410] * 25
    await runtime.clicks.drain()
    link = (await client.get(f"/api/v1/urls/{code}")).json()["data"]
    assert link["click_count"] == 5
    assert (await visit(f"/{code}")).status_code == 410


async def test_two_processes_share_the_limit(
    client: httpx.AsyncClient, runtime: Runtime, app: Any, app_factory: AppFactory
) -> None:
    # The second app resets the shared storage when it starts: create the link after that.
    async with app_factory(redis_namespace=runtime.settings.redis_namespace) as (other, _):
        code = await make_link(client, max_clicks=7)
        answers = await asyncio.gather(
            *(visit_app(target, f"/{code}") for target in (app, other) for _ in range(10))
        )
        assert sorted(answer.status_code for answer in answers) == [301] * 7 + [410] * 13
        await other.runtime.clicks.drain()
    await runtime.clicks.drain()
    link = (await client.get(f"/api/v1/urls/{code}")).json()["data"]
    assert link["click_count"] == 7


async def test_head_and_robots(client: httpx.AsyncClient, visit: Visit) -> None:
    code = await make_link(client, max_clicks=2)
    assert (await visit(f"/{code}", method="HEAD")).status_code == 301  # uses nothing
    assert (await visit(f"/{code}", ua=UA["googlebot"])).status_code == 301  # a use
    assert (await visit(f"/{code}")).status_code == 301
    assert (await visit(f"/{code}")).status_code == 410
    assert (await visit(f"/{code}", method="HEAD")).status_code == 410
    assert (await visit(f"/analytics/click?short_id={code}", method="POST")).status_code == 410


async def test_raising_the_limit_lets_exactly_that_many_more_in(
    user_client: httpx.AsyncClient, visit: Visit
) -> None:
    code = await make_link(user_client, max_clicks=1)
    assert [(await visit(f"/{code}")).status_code for _ in range(3)] == [301, 410, 410]
    response = await user_client.patch(f"/api/v1/urls/{code}", json={"max_clicks": 3})
    assert response.status_code == 200
    assert [(await visit(f"/{code}")).status_code for _ in range(4)] == [301, 301, 410, 410]


async def test_a_lost_counter_resumes_from_the_database(
    client: httpx.AsyncClient, runtime: Runtime, visit: Visit
) -> None:
    code = await make_link(client, max_clicks=3)
    assert (await visit(f"/{code}")).status_code == 301
    assert (await visit(f"/{code}")).status_code == 301
    await runtime.clicks.drain()
    link_id = (await runtime.resolver.resolve(code)).id  # type: ignore[union-attr]
    await runtime.clicks.limit.forget(link_id)  # Redis lost it (embedded: nothing to lose)
    assert [(await visit(f"/{code}")).status_code for _ in range(2)] == [301, 410]
