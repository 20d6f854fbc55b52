"""Page metadata is fetched after creation, off the request path, and never from private
addresses unless ALLOW_PRIVATE_TARGETS says so (both storage modes, a real page server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.timestamps import utcnow
from tests.conftest import AppFactory
from tests.local_servers import LocalServer, serving

ARTICLE = """<!doctype html><html><head>
<title>Fallback title</title>
<meta property="og:title" content="The Article">
<meta property="og:description" content="All about &lt;things&gt;">
<meta property="og:image" content="/cover.png">
</head><body>text</body></html>"""


@dataclass
class Site:
    """A web site standing in for link targets; `gate` holds answers back until set."""

    server: LocalServer
    hits: list[str] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return self.server.url(path)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    holder: list[Site] = []

    async def article(request: Request) -> Response:
        holder[0].hits.append(request.url.path)
        await holder[0].gate.wait()
        return HTMLResponse(ARTICLE)

    async def other(request: Request) -> Response:
        holder[0].hits.append(request.url.path)
        return HTMLResponse("<head><title>Other page</title></head>")

    async def image(request: Request) -> Response:
        holder[0].hits.append(request.url.path)
        return Response(b"\x89PNG", media_type="image/png")

    app = Starlette(
        routes=[
            Route("/article", article),
            Route("/other", other),
            Route("/cover.png", image),
            Route("/moved", lambda r: RedirectResponse("/other")),
        ]
    )
    async with serving(app) as server:
        holder.append(Site(server))
        holder[0].gate.set()
        yield holder[0]


async def test_metadata_is_fetched_after_the_response(
    client: httpx.AsyncClient, runtime: Runtime, site: Site
) -> None:
    site.gate.clear()  # the page answers only once the link has been created
    created = await client.post("/api/v1/urls", json={"long_url": site.url("/article")})
    assert created.status_code == 201
    data = created.json()["data"]
    assert data["metadata"] == {
        "title": None,
        "description": None,
        "image": None,
        "fetched_at": None,
    }
    site.gate.set()
    await runtime.background.drain()
    assert site.hits == ["/article"]
    info = (await client.get(f"/{data['short_code']}/info")).json()["data"]
    assert info["title"] == "The Article"
    assert info["description"] == "All about <things>"
    assert info["image"] == site.url("/cover.png")
    assert info["safe_browsing"]["is_safe"] is True
    details = (await client.get(f"/api/v1/urls/{data['short_code']}")).json()["data"]
    assert details["metadata"]["title"] == "The Article"
    assert details["metadata"]["fetched_at"] is not None


async def test_a_new_target_gets_its_own_metadata(
    user_client: httpx.AsyncClient, runtime: Runtime, site: Site
) -> None:
    created = await user_client.post("/api/v1/urls", json={"long_url": site.url("/article")})
    code = created.json()["data"]["short_code"]
    await runtime.background.drain()
    changed = await user_client.patch(f"/api/v1/urls/{code}", json={"long_url": site.url("/moved")})
    assert changed.json()["data"]["metadata"]["title"] is None
    await runtime.background.drain()
    info = (await user_client.get(f"/{code}/info")).json()["data"]
    assert (info["title"], info["description"], info["image"]) == ("Other page", None, None)
    # A description-only change keeps what was fetched.
    await user_client.patch(f"/api/v1/urls/{code}", json={"description": "mine"})
    await runtime.background.drain()
    assert site.hits == ["/article", "/other"]  # /moved redirected to /other


async def test_pages_that_are_not_html_give_no_metadata(
    client: httpx.AsyncClient, runtime: Runtime, site: Site
) -> None:
    created = await client.post("/api/v1/urls", json={"long_url": site.url("/cover.png")})
    code = created.json()["data"]["short_code"]
    await runtime.background.drain()
    details = (await client.get(f"/api/v1/urls/{code}")).json()["data"]["metadata"]
    assert details["title"] is None and details["fetched_at"] is not None
    assert site.hits == ["/cover.png"]


async def test_private_targets_are_never_fetched_by_default(
    app_factory: AppFactory, site: Site
) -> None:
    # Links to private addresses allowed (an intranet), fetching them is not.
    async with app_factory(allow_private_targets=False, allow_private_link_targets=True) as (
        app,
        client,
    ):
        for path in ("/article", "/moved"):
            created = await client.post("/api/v1/urls", json={"long_url": site.url(path)})
            assert created.status_code == 201
            await app.runtime.background.drain()
            code = created.json()["data"]["short_code"]
            metadata = (await client.get(f"/api/v1/urls/{code}")).json()["data"]["metadata"]
            assert metadata["title"] is None and metadata["fetched_at"] is not None
    assert site.hits == []


async def test_metadata_fetching_can_be_turned_off(app_factory: AppFactory, site: Site) -> None:
    async with app_factory(fetch_metadata=False) as (app, client):
        created = await client.post("/api/v1/urls", json={"long_url": site.url("/article")})
        await app.runtime.background.drain()
        assert await app.runtime.metadata.sweep() == 0
        code = created.json()["data"]["short_code"]
        metadata = (await client.get(f"/api/v1/urls/{code}")).json()["data"]["metadata"]
        assert metadata["fetched_at"] is None
    assert site.hits == []


async def test_the_sweep_fetches_what_the_queue_missed(
    client: httpx.AsyncClient, runtime: Runtime, site: Site
) -> None:
    created = await client.post("/api/v1/urls", json={"long_url": site.url("/other")})
    code = created.json()["data"]["short_code"]
    await runtime.background.drain()
    # As if the process had stopped before fetching: never fetched, changed a while ago.
    async with runtime.database.sessionmaker() as session:
        await session.execute(
            update(Link).values(
                title=None, metadata_fetched_at=None, updated_at=utcnow() - timedelta(hours=1)
            )
        )
        await session.commit()
    assert await runtime.metadata.sweep() == 1
    assert (await client.get(f"/{code}/info")).json()["data"]["title"] == "Other page"
    assert await runtime.metadata.sweep() == 0
