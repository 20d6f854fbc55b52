"""Visitors for analytics tests: requests from chosen addresses with chosen user agents."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from shorturl.analytics.enrich import ClickEnricher
from shorturl.analytics.events import ClickBatch, ClickEvent
from shorturl.worker.consumer import ClickConsumer
from shorturl.worker.transports import QueueTransport

# Addresses iptocc places in these countries (checked in test_enrich.py).
IP = {"US": "8.8.8.8", "AU": "1.1.1.1", "RU": "77.88.8.8"}
UA = {
    "mobile": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "tablet": "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
}

Visit = Callable[..., Awaitable[httpx.Response]]


async def visit_app(
    app: Any,
    path: str,
    *,
    ip: str = IP["US"],
    ua: str = UA["desktop"],
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One request to `app` from `ip` with user agent `ua`."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.request(method, path, headers={"user-agent": ua, **(headers or {})})


@pytest.fixture
def visit(app: Any, client: httpx.AsyncClient) -> Visit:
    """`await visit("/code", ip=..., ua=..., method=...)` on the shared app."""

    async def request(path: str, **options: Any) -> httpx.Response:
        return await visit_app(app, path, **options)

    return request


async def make_link(client: httpx.AsyncClient, **body: Any) -> str:
    body.setdefault("long_url", "https://example.com/landing")
    response = await client.post("/api/v1/urls", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]["short_code"]


async def store_events(runtime: Any, events: list[ClickEvent]) -> int:
    """Enrich and store `events` as the worker would (through a private queue)."""
    transport = QueueTransport()
    consumer = ClickConsumer(
        transport, runtime.database.sessionmaker, ClickEnricher(), name="test-loader"
    )
    await transport.publish(ClickBatch.of(events))
    return await consumer.run_until_idle()


def click(
    link_id: int,
    seconds_ago: float,
    *,
    ip: str = IP["US"],
    ua: str = UA["desktop"],
    referrer: str | None = None,
    method: str = "GET",
) -> ClickEvent:
    """A click event on `link_id` that happened `seconds_ago`."""
    return ClickEvent(
        uuid.uuid4().hex, link_id, time.time() - seconds_ago, method, ip, ua, referrer, "en"
    )
