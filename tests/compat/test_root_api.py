"""The seed-001 root API, exactly as its document describes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest


async def test_shorten_as_in_the_seed(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/shorten", json={"url": "https://example.com/very/long/url", "expiration_days": 30}
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"short_url", "long_url", "expires_at", "short_code"}
    assert body["long_url"] == "https://example.com/very/long/url"
    assert body["short_url"] == f"http://localhost:8080/{body['short_code']}"
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    expected = datetime.now(UTC) + timedelta(days=30)
    assert abs((expires - expected).total_seconds()) < 60
    redirect = await client.get(f"/{body['short_code']}")
    assert redirect.status_code == 301
    assert redirect.headers["location"] == "https://example.com/very/long/url"


async def test_expiration_defaults_to_30_days_and_custom_alias_works(
    client: httpx.AsyncClient,
) -> None:
    body = (
        await client.post("/shorten", json={"url": "https://example.com/x", "custom_alias": "mine"})
    ).json()
    assert body["short_code"] == "mine"
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert abs((expires - datetime.now(UTC) - timedelta(days=30)).total_seconds()) < 60
    clash = await client.post(
        "/shorten", json={"url": "https://example.com/y", "custom_alias": "mine"}
    )
    assert clash.status_code == 409
    assert "error" in clash.json()


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b"{}",
        b'{"url": ""}',
        b'{"url": 12}',
        b'{"url": "example.com"}',
        b'{"url": "ftp://example.com"}',
        b'{"url": "https://example.com", "expiration_days": -1}',
        b'{"url": "https://example.com", "expiration_days": 0}',
        b'{"url": "https://example.com", "expiration_days": 10000000}',
        b'{"url": "https://example.com", "expiration_days": "soon"}',
        b'{"url": "https://example.com", "expiration_days": 1.5}',
    ],
)
async def test_bad_requests_are_400_with_an_error_message(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        "/shorten", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    payload = response.json()
    assert list(payload) == ["error"]
    assert isinstance(payload["error"], str) and payload["error"]


async def test_health_reports_database_and_cache(client: httpx.AsyncClient, backend) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["time"].endswith("Z")
    assert body["database"] == "ok"
    assert body["cache"] == ("ok (redis)" if backend.name == "scaled" else "ok (in-process)")
