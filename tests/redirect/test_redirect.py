"""The redirect hot path: statuses, headers, pages, cache behaviour."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from shorturl.links.models import Link
from shorturl.runtime import Runtime


async def make(client: httpx.AsyncClient, **body: object) -> str:
    response = await client.post("/api/v1/urls", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]["short_code"]


async def test_get_and_head_redirect_with_the_stored_url(client: httpx.AsyncClient) -> None:
    target = "https://example.com/path?q=1&r=%20#frag"
    code = await make(client, long_url=target)
    for method in ("GET", "HEAD"):
        response = await client.request(method, f"/{code}")
        assert response.status_code == 301
        assert response.headers["location"] == target
        assert response.headers["cache-control"] == "public, max-age=3600"
        assert response.content == b""


async def test_redirect_status_and_cache_control_are_configurable(app_factory) -> None:
    async with app_factory(redirect_status=302, redirect_cache_control="private, max-age=90") as (
        _,
        client,
    ):
        code = await make(client, long_url="https://example.com/")
        response = await client.get(f"/{code}")
        assert response.status_code == 302
        assert response.headers["cache-control"] == "private, max-age=90"


async def test_limited_links_are_not_cached_by_browsers(client: httpx.AsyncClient) -> None:
    code = await make(client, long_url="https://example.com/", max_clicks=5)
    assert (await client.get(f"/{code}")).headers["cache-control"] == "no-store"


async def test_unknown_code_is_404_json_for_apis_and_html_for_browsers(
    client: httpx.AsyncClient,
) -> None:
    api = await client.get("/doesnotexist")
    assert api.status_code == 404
    assert api.json() == {"error": "Short URL not found"}
    browser = await client.get(
        "/doesnotexist", headers={"accept": "text/html,application/xhtml+xml"}
    )
    assert browser.status_code == 404
    assert browser.headers["content-type"].startswith("text/html")
    assert "Link not found" in browser.text


async def test_impossible_codes_are_400(client: httpx.AsyncClient) -> None:
    for path in ("/bad$code", "/" + "a" * 65, "/<script>"):
        response = await client.get(path)
        assert response.status_code == 400, path
        assert response.json() == {"error": "Invalid short ID"}
    page = await client.get("/<script>alert(1)</script>", headers={"accept": "text/html"})
    assert "<script>" not in page.text


async def test_deleted_and_disabled_are_404(user_client: httpx.AsyncClient) -> None:
    client = user_client
    gone = await make(client, long_url="https://example.com/a")
    off = await make(client, long_url="https://example.com/b")
    assert (await client.get(f"/{gone}")).status_code == 301  # now cached
    await client.delete(f"/api/v1/urls/{gone}")
    await client.patch(f"/api/v1/urls/{off}", json={"status": "disabled"})
    assert (await client.get(f"/{gone}")).status_code == 404
    assert (await client.get(f"/{off}")).status_code == 404
    await client.patch(f"/api/v1/urls/{off}", json={"status": "active"})
    assert (await client.get(f"/{off}")).status_code == 301


async def test_expired_links_are_410(client: httpx.AsyncClient, runtime: Runtime) -> None:
    code = await make(
        client, long_url="https://example.com/", expiration_date="2099-01-01T00:00:00Z"
    )
    assert (await client.get(f"/{code}")).status_code == 301
    async with runtime.database.sessionmaker() as session:
        await session.execute(
            update(Link)
            .where(Link.code == code)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()
    await runtime.cache.invalidate(code)
    response = await client.get(f"/{code}", headers={"accept": "text/html"})
    assert response.status_code == 410
    assert "expired" in response.text.lower()
    assert (await client.get(f"/{code}")).json() == {"error": "Short URL has expired"}


async def test_an_edit_reaches_the_redirect_at_once(user_client: httpx.AsyncClient) -> None:
    client = user_client
    code = await make(client, long_url="https://example.com/before")
    assert (await client.get(f"/{code}")).headers["location"] == "https://example.com/before"
    await client.patch(f"/api/v1/urls/{code}", json={"long_url": "https://example.com/after"})
    assert (await client.get(f"/{code}")).headers["location"] == "https://example.com/after"


async def test_a_code_created_after_a_miss_resolves(client: httpx.AsyncClient) -> None:
    assert (await client.get("/later")).status_code == 404  # "not found" is cached
    await make(client, long_url="https://example.com/later", custom_alias="later")
    assert (await client.get("/later")).status_code == 301


async def test_hits_are_served_from_the_cache_without_the_database(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = await make(client, long_url="https://example.com/")
    assert (await client.get(f"/{code}")).status_code == 301

    async def no_database(_code: str) -> None:
        raise AssertionError("the database was read for a cached link")

    monkeypatch.setattr(runtime.resolver, "_load", no_database)
    for _ in range(5):
        assert (await client.get(f"/{code}")).status_code == 301


async def test_concurrent_misses_on_one_code_share_one_lookup(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = await make(client, long_url="https://example.com/stampede")
    await runtime.cache.invalidate(code)
    real_get_shared, real_load = runtime.cache.get_shared, runtime.resolver._load
    lookups: list[str] = []

    async def slow_get_shared(code: str):  # type: ignore[no-untyped-def]
        lookups.append(code)
        await asyncio.sleep(0.05)  # every request below arrives while this one is out
        return await real_get_shared(code)

    monkeypatch.setattr(runtime.cache, "get_shared", slow_get_shared)
    responses = await asyncio.gather(*(client.get(f"/{code}") for _ in range(50)))
    assert [r.status_code for r in responses] == [301] * 50
    assert lookups == [code]
    assert runtime.resolver._in_flight == {}

    async def failing_load(code: str, domain: str):  # type: ignore[no-untyped-def]
        raise ConnectionError("database down")

    await runtime.cache.invalidate(code)
    monkeypatch.setattr(runtime.cache, "get_shared", lambda code: asyncio.sleep(0.05))
    monkeypatch.setattr(runtime.resolver, "_load", failing_load)
    results = await asyncio.gather(
        *(runtime.resolver.resolve(code) for _ in range(3)), return_exceptions=True
    )
    assert all(isinstance(result, ConnectionError) for result in results)
    monkeypatch.setattr(runtime.resolver, "_load", real_load)
    assert (await runtime.resolver.resolve(code)) is not None  # a failure is not remembered


async def test_reserved_paths_are_not_codes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json()["status"] == "healthy"
    assert (await client.get("/openapi.json")).status_code == 200


async def test_info_shows_the_target_without_redirecting(client: httpx.AsyncClient) -> None:
    code = await make(client, long_url="https://example.com/page")
    response = await client.get(f"/{code}/info")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["short_code"] == code
    assert data["long_url"] == "https://example.com/page"
    assert data["safe_browsing"]["is_safe"] is True
    missing = await client.get("/nope-nope/info")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "URL_NOT_FOUND"
