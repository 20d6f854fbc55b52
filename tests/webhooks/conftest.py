"""A real HTTP server standing in for webhook receivers, and helpers to wait for what it gets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.local_servers import LocalServer, serving

SECRET = "receiver-secret-0123456789"


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # monotonic

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def event(self) -> str:
        return self.headers["x-shorturl-event"]


@dataclass
class Receiver:
    """Records every POST to `/hook`; answers `statuses` in turn, then `status`; holds each
    answer `delay` seconds."""

    server: LocalServer
    received: list[Received] = field(default_factory=list)
    status: int = 200
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0

    @property
    def url(self) -> str:
        return self.server.url("/hook")

    def events(self, name: str | None = None) -> list[Received]:
        return [item for item in self.received if name is None or item.event == name]

    async def wait_for(
        self, count: int, name: str | None = None, seconds: float = 15.0
    ) -> list[Received]:
        """The first `count` requests (of event `name`), waiting up to `seconds`."""
        await wait_until(lambda: len(self.events(name)) >= count, seconds)
        return self.events(name)[:count]


async def wait_until(condition: Callable[[], object], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def receiving() -> AsyncIterator[Receiver]:
    """A webhook receiver on 127.0.0.1, for as long as the block runs."""
    holder: list[Receiver] = []

    async def hook(request: Request) -> Response:
        me = holder[0]
        me.received.append(Received(dict(request.headers), await request.body(), time.monotonic()))
        if me.delay:
            await asyncio.sleep(me.delay)
        status = me.statuses.pop(0) if me.statuses else me.status
        return Response(b"ok" if status < 400 else b"receiver says no", status_code=status)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    async with serving(app) as server:
        holder.append(Receiver(server))
        yield holder[0]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as running:
        yield running


async def add_webhook(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    url: str,
    events: list[str],
    secret: str | None = SECRET,
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url, "events": events}
    if secret is not None:
        body["secret"] = secret
    response = await client.post("/api/v1/webhooks", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def deliveries_of(
    client: httpx.AsyncClient, headers: dict[str, str], webhook_id: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/webhooks/{webhook_id}/deliveries", params={"limit": 100}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["deliveries"]
