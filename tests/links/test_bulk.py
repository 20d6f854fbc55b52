"""Bulk create (`POST /api/v1/urls/bulk`, seed 003): partial success reported per item, limits
and quotas per item, link events per created link — both storage modes."""

from __future__ import annotations

import asyncio
import time

import httpx
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from shorturl.runtime import Runtime
from tests.conftest import AppFactory, MakeAccount, sign_up
from tests.local_servers import serving
from tests.ratelimit.test_quotas import fill


async def bulk(client: httpx.AsyncClient, urls: list, **options: object) -> dict:
    response = await client.post("/api/v1/urls/bulk", json={"urls": urls}, **options)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


async def test_each_item_is_created_or_fails_with_its_own_error(
    client: httpx.AsyncClient,
) -> None:
    taken = await client.post(
        "/api/v1/urls", json={"long_url": "https://example.com/old", "custom_alias": "page2"}
    )
    assert taken.status_code == 201
    data = await bulk(
        client,
        [
            {"long_url": "https://example.com/page1", "custom_alias": "page1", "description": "P1"},
            {"long_url": "https://example.com/page2", "custom_alias": "page2"},
            {"url": "https://example.com/three", "alias": "page3", "tags": ["a", "b"]},
            {"long_url": "ftp://example.com/nope"},
            {"long_url": "https://example.com/again", "custom_alias": "page1"},
            {"long_url": "https://example.com/bad-alias", "custom_alias": "x"},
            {"description": "no url at all"},
            "https://example.com/just-a-string",
            {"long_url": "https://example.com/past", "expiration_date": "2000-01-01T00:00:00Z"},
        ],
    )
    assert data["summary"] == {"total": 9, "created": 4, "failed": 5}
    created = {item["index"]: item for item in data["created"]}
    assert sorted(created) == [0, 2, 7, 8]
    assert created[0] | {"created_at": None} == created[0] | {
        "short_url": "http://localhost:8080/page1",
        "short_code": "page1",
        "long_url": "https://example.com/page1",
        "custom_alias": "page1",
        "description": "P1",
        "status": "created",
        "created_at": None,
    }
    assert created[2]["tags"] == ["a", "b"]
    assert created[7]["custom_alias"] is None and len(created[7]["short_code"]) == 7
    failed = {item["index"]: item for item in data["failed"]}
    assert {index: item["code"] for index, item in failed.items()} == {
        1: "CUSTOM_ALIAS_TAKEN",
        3: "INVALID_URL",
        4: "CUSTOM_ALIAS_TAKEN",
        5: "VALIDATION_ERROR",
        6: "VALIDATION_ERROR",
    }
    assert failed[1] | {"details": None} == {
        "index": 1,
        "row": None,
        "status": "failed",
        "long_url": "https://example.com/page2",
        "custom_alias": "page2",
        "error": "Custom alias already exists",
        "code": "CUSTOM_ALIAS_TAKEN",
        "details": None,
    }
    # What was created is there; what failed is not, and the old page2 is untouched.
    page1 = await client.get("/api/v1/urls/page1")
    assert page1.json()["data"]["long_url"] == "https://example.com/page1"
    assert (await client.get("/api/v1/urls/page2")).json()["data"]["long_url"] == (
        "https://example.com/old"
    )
    assert (await client.get("/page3")).headers["location"] == "https://example.com/three"
    # A date already past is kept: that link is made expired, and its short URL is gone.
    past = (await client.get(f"/api/v1/urls/{created[8]['short_code']}")).json()["data"]
    assert past["status"] == "expired" and past["expiration_date"] == "2000-01-01T00:00:00Z"
    assert (await client.get(f"/{created[8]['short_code']}")).status_code == 410


async def test_the_batch_size_is_bounded(client: httpx.AsyncClient) -> None:
    for urls in ([], ["https://example.com/"] * 1001):
        response = await client.post("/api/v1/urls/bulk", json={"urls": urls})
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_a_thousand_links_in_well_under_a_second(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice = await make_account("alice", plan="premium")
    urls = [
        {"long_url": f"https://example.com/item/{i}", "tags": [f"t{i % 5}"]}
        | ({"custom_alias": f"bulk-{i}"} if i % 2 else {})
        for i in range(1000)
    ]
    started = time.perf_counter()
    data = await bulk(client, urls, headers=alice.headers)
    elapsed = time.perf_counter() - started
    assert data["summary"] == {"total": 1000, "created": 1000, "failed": 0}
    assert len({item["short_code"] for item in data["created"]}) == 1000
    assert [item["index"] for item in data["created"]] == list(range(1000))
    assert elapsed < 3, elapsed  # ~0.2 s on an idle machine; generous for a shared one
    listed = await client.get("/api/v1/urls", params={"tag": "t3"}, headers=alice.headers)
    assert listed.json()["data"]["pagination"]["total"] == 200
    # The same aliases again: every item fails, nothing is written twice.
    again = await bulk(client, [u for u in urls if "custom_alias" in u], headers=alice.headers)
    assert again["summary"] == {"total": 500, "created": 0, "failed": 500}
    assert {item["code"] for item in again["failed"]} == {"CUSTOM_ALIAS_TAKEN"}


async def test_each_item_counts_against_the_hourly_limit(app_factory: AppFactory) -> None:
    async with app_factory(rate_limit_enabled=True) as (_, client):
        # Anonymous: 10 creations an hour.
        data = await bulk(client, [f"https://example.com/{i}" for i in range(15)])
        assert data["summary"] == {"total": 15, "created": 10, "failed": 5}
        assert {item["code"] for item in data["failed"]} == {"RATE_LIMITED"}
        assert [item["index"] for item in data["failed"]] == [10, 11, 12, 13, 14]
        refused = await client.post("/api/v1/urls", json={"long_url": "https://example.com/x"})
        assert refused.status_code == 429
        again = await client.post("/api/v1/urls/bulk", json={"urls": ["https://example.com/"]})
        assert again.status_code == 429


async def test_each_item_counts_against_the_monthly_quota(
    client: httpx.AsyncClient, make_account: MakeAccount, runtime: Runtime
) -> None:
    alice = await make_account("alice")  # free: 1,000 links a month
    await fill(runtime, alice.user_id, 995, "q")
    data = await bulk(
        client,
        ["ftp://bad"] + [f"https://example.com/{i}" for i in range(10)],
        headers=alice.headers,
    )
    # The invalid item does not use up quota; five more fit.
    assert data["summary"] == {"total": 11, "created": 5, "failed": 6}
    codes = {item["index"]: item["code"] for item in data["failed"]}
    assert codes == {0: "INVALID_URL"} | {i: "QUOTA_EXCEEDED" for i in range(6, 11)}


async def test_created_links_fire_the_normal_link_events(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    page = Starlette(routes=[Route("/{n}", lambda request: HTMLResponse("<title>Page</title>"))])
    async with serving(page) as site:
        data = await bulk(client, [site.url(f"/{i}") for i in range(3)])
        assert data["summary"]["created"] == 3
        await runtime.background.drain()
        for item in data["created"]:
            info = (await client.get(f"/api/v1/urls/{item['short_code']}")).json()["data"]
            assert info["metadata"]["title"] == "Page"


async def test_links_belong_to_the_caller(
    client: httpx.AsyncClient, runtime: Runtime, make_account: MakeAccount
) -> None:
    alice = await make_account("alice")
    bob = await sign_up(client, runtime, "bob")
    data = await bulk(
        client, [{"long_url": "https://example.com/a", "alias": "alices"}], headers=alice.headers
    )
    assert data["summary"]["created"] == 1
    mine = await client.get("/api/v1/urls/alices", headers=alice.headers)
    assert mine.json()["data"]["owner"]["username"] == "alice"
    assert (await client.get("/api/v1/urls/alices", headers=bob.headers)).status_code == 403


async def test_concurrent_batches_with_the_same_aliases_never_share_a_code(
    client: httpx.AsyncClient,
) -> None:
    # Each batch checks its aliases before the other commits, so the loser meets the clash
    # in its multi-row insert and falls back to one insert per link.
    urls = [{"long_url": f"https://example.com/{i}", "alias": f"same-{i}"} for i in range(100)]
    urls += [f"https://example.com/random/{i}" for i in range(100)]
    first, second = await asyncio.gather(bulk(client, urls), bulk(client, urls))
    aliases_created = [
        item["short_code"]
        for data in (first, second)
        for item in data["created"]
        if item["custom_alias"]
    ]
    assert sorted(aliases_created) == sorted(f"same-{i}" for i in range(100))
    failures = [item for data in (first, second) for item in data["failed"]]
    assert len(failures) == 100
    assert {item["code"] for item in failures} == {"CUSTOM_ALIAS_TAKEN"}
    randoms = [
        item for data in (first, second) for item in data["created"] if not item["custom_alias"]
    ]
    assert len({item["short_code"] for item in randoms}) == 200
