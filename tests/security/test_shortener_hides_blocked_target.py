"""Attack: shorten a blocked URL by way of another shortener (`bit.ly/x` → blocked page),
so the block list only ever sees the other shortener's address. A real shortener runs on
127.0.0.1 here (made a "known shortener" by SHORTENER_HOSTS)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from shorturl.errors import InvalidUrl
from shorturl.net.safe_fetch import FetchPolicy, SafeFetcher
from shorturl.safety.checks import PrivateTargetCheck
from shorturl.safety.shorteners import ShortenerCheck
from tests.conftest import AppFactory, sign_up
from tests.local_servers import LocalServer, serving

BLOCKED = "http://198.51.100.7/payload/x"


def _shortener_app() -> Starlette:
    async def hop(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        targets = {
            "bad": BLOCKED,
            "good": "https://example.com/fine",
            "chain": f"{base}/bad",  # a short link to a short link to the blocked page
            "inside": "http://10.0.0.1/admin",
            "loop": f"{base}/loop",
        }
        code = request.path_params["code"]
        if code not in targets:
            return Response("no such link", status_code=404)
        if request.method == "HEAD" and code == "good":
            return Response(status_code=405)  # some shorteners only redirect a GET
        return RedirectResponse(targets[code], status_code=301)

    return Starlette(routes=[Route("/{code}", hop, methods=["GET", "HEAD"])])


@pytest.fixture
async def shortener() -> AsyncIterator[LocalServer]:
    async with serving(_shortener_app()) as server:
        yield server


async def test_a_short_link_to_a_blocked_page_is_refused(
    app_factory: AppFactory, tmp_path: Path, shortener: LocalServer
) -> None:
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("http://198.51.100.7/payload/\n")
    settings = {"blocklist_file": str(blocklist), "shortener_hosts": ["127.0.0.1"]}
    async with app_factory(**settings) as (app, client):
        client.headers.update((await sign_up(client, app.runtime, "alice")).headers)
        for code in ("bad", "chain"):
            refused = await client.post(
                "/api/v1/urls", json={"long_url": shortener.url(f"/{code}")}
            )
            assert refused.status_code == 400, refused.text
            assert refused.json()["error"]["code"] == "MALICIOUS_URL"
        fine = await client.post("/api/v1/urls", json={"long_url": shortener.url("/good")})
        assert fine.status_code == 201, fine.text
        assert fine.json()["data"]["long_url"] == shortener.url("/good")  # kept as given
        for code, says in (("dead", "does not lead anywhere"), ("loop", "more than 5")):
            refused = await client.post(
                "/api/v1/urls", json={"long_url": shortener.url(f"/{code}")}
            )
            assert refused.status_code == 400, refused.text
            assert refused.json()["error"]["code"] == "URL_NOT_ACCESSIBLE"
            assert says in refused.json()["error"]["details"]
        moved = await client.patch(
            f"/api/v1/urls/{fine.json()['data']['short_code']}",
            json={"long_url": shortener.url("/chain")},
        )
        assert moved.status_code == 400 and moved.json()["error"]["code"] == "MALICIOUS_URL"


async def test_a_hop_into_the_network_is_refused(shortener: LocalServer) -> None:
    fetcher = SafeFetcher(FetchPolicy(allow_private=True))  # to reach the local shortener
    try:
        check = ShortenerCheck(fetcher, [PrivateTargetCheck()], "resolve", ["127.0.0.1"])
        with pytest.raises(InvalidUrl) as refused:
            await check(shortener.url("/inside"))
        assert "10.0.0.1" in str(refused.value.details)
        await check("https://example.com/not-a-shortener")  # nothing asked of others
    finally:
        await fetcher.aclose()


async def test_shorteners_can_be_refused_or_allowed(app_factory: AppFactory) -> None:
    async with app_factory(shortener_targets="refuse") as (_, client):
        for url in ("https://bit.ly/3xyz", "https://www.TinyURL.com/abc", "https://t.co/q"):
            refused = await client.post("/api/v1/urls", json={"long_url": url})
            assert refused.status_code == 400, (url, refused.text)
            assert "other shorteners" in refused.json()["error"]["details"]
        other = await client.post("/api/v1/urls", json={"long_url": "https://example.com/"})
        assert other.status_code == 201
    async with app_factory(shortener_targets="allow") as (_, client):
        allowed = await client.post("/api/v1/urls", json={"long_url": "https://bit.ly/3xyz"})
        assert allowed.status_code == 201
