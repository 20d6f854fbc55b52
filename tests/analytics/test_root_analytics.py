"""Seed 001: `GET /analytics` and `POST /analytics/click`, fed by real redirects."""

from __future__ import annotations

from datetime import timedelta

import httpx

from shorturl.runtime import Runtime
from shorturl.timestamps import utcnow
from tests.analytics.conftest import IP, UA, Visit, make_link


async def test_the_seed_example(client: httpx.AsyncClient, runtime: Runtime, visit: Visit) -> None:
    shortened = await client.post("/shorten", json={"url": "https://example.com/very/long/url"})
    code = shortened.json()["short_code"]
    before = utcnow()
    for country, device in (("US", "mobile"), ("AU", "tablet"), ("RU", "desktop")):
        response = await visit(f"/{code}", ip=IP[country], ua=UA[device])
        assert response.status_code == 301
    await runtime.clicks.drain()

    response = await client.get("/analytics", params={"short_id": code})
    assert response.status_code == 200
    body = response.json()
    last_click = body.pop("last_click")
    assert body == {
        "total_clicks": 3,
        "clicks_by_country": {"US": 1, "AU": 1, "RU": 1},
        "clicks_by_device": {"mobile": 1, "tablet": 1, "desktop": 1},
    }
    assert last_click.endswith("Z")
    assert before - timedelta(seconds=1) <= _parse(last_click) <= utcnow()


async def test_no_clicks_yet(client: httpx.AsyncClient) -> None:
    code = await make_link(client)
    response = await client.get("/analytics", params={"short_id": code})
    assert response.json() == {
        "total_clicks": 0,
        "clicks_by_country": {},
        "clicks_by_device": {},
        "last_click": None,
    }


async def test_errors_are_the_seeds(client: httpx.AsyncClient) -> None:
    for params, status in (
        ({}, 400),
        ({"short_id": ""}, 400),
        ({"short_id": "bad$id"}, 400),
        ({"short_id": "nosuchcode"}, 404),
    ):
        for method, path in (("GET", "/analytics"), ("POST", "/analytics/click")):
            response = await client.request(method, path, params=params)
            assert response.status_code == status, (method, params)
            assert set(response.json()) == {"error"}


async def test_post_click_records_a_click(
    client: httpx.AsyncClient, runtime: Runtime, visit: Visit
) -> None:
    code = await make_link(client)
    response = await visit(
        f"/analytics/click?short_id={code}", method="POST", ip=IP["AU"], ua="curl/8.5.0"
    )
    assert response.status_code == 200
    assert response.json() == {"status": "success"}
    await runtime.clicks.drain()
    body = (await client.get("/analytics", params={"short_id": code})).json()
    assert body["total_clicks"] == 1
    assert body["clicks_by_country"] == {"AU": 1}


async def test_robots_previews_and_head_are_recorded_but_not_counted(
    client: httpx.AsyncClient, runtime: Runtime, visit: Visit
) -> None:
    code = await make_link(client)
    assert (await visit(f"/{code}", ua=UA["googlebot"])).status_code == 301
    assert (await visit(f"/{code}", ua=UA["slack"])).status_code == 301
    assert (await visit(f"/{code}", ua=UA["desktop"], method="HEAD")).status_code == 301
    assert (await visit(f"/{code}", ua=UA["mobile"], ip=IP["RU"])).status_code == 301
    await runtime.clicks.drain()

    body = (await client.get("/analytics", params={"short_id": code})).json()
    assert body["total_clicks"] == 1
    assert body["clicks_by_country"] == {"RU": 1}
    assert body["clicks_by_device"] == {"mobile": 1}
    stats = (await client.get(f"/api/v1/urls/{code}/stats")).json()["data"]
    assert stats["visit_count"] == 1
    with_bots = (await client.get(f"/api/v1/urls/{code}/stats?include_bots=true")).json()
    # the robot's and the link preview's GETs count on request; the HEAD never counts
    assert with_bots["data"]["visit_count"] == 3


async def test_clicks_on_owned_links_are_for_the_owner(
    client: httpx.AsyncClient, user_client: httpx.AsyncClient
) -> None:
    code = await make_link(user_client)
    assert (await client.get("/analytics", params={"short_id": code})).status_code == 401
    assert (await user_client.get("/analytics", params={"short_id": code})).status_code == 200


def _parse(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))
