"""Safety of targets as clients see it, in both modes, with real local HTTP servers:
MALICIOUS_URL on every way to create or change a link, reloads without restart, the
periodic re-check disabling links listed later, and the optional reachability check."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from shorturl.links import bulk
from shorturl.links.models import Link
from shorturl.safety.service import RECHECK_JOB
from tests.conftest import AppFactory, sign_up
from tests.local_servers import LocalServer, serving


async def page(request: Request) -> Response:
    if request.url.path.startswith("/slow"):
        await asyncio.sleep(3)
    if request.url.path == "/missing":
        return PlainTextResponse("gone", status_code=404)
    if request.url.path == "/no-head" and request.method == "HEAD":
        return PlainTextResponse("", status_code=500)
    return PlainTextResponse("hello")


@pytest.fixture
async def site() -> AsyncIterator[LocalServer]:
    app = Starlette(routes=[Route("/{path:path}", page, methods=["GET", "HEAD"])])
    async with serving(app) as server:
        yield server


def listing(path: Path, *entries: str) -> None:
    """Write the block list; bump the mtime so even a same-size rewrite is seen."""
    path.write_text("".join(f"{entry}\n" for entry in entries))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


async def create(client: httpx.AsyncClient, url: str, **body: object) -> httpx.Response:
    return await client.post("/api/v1/urls", json={"long_url": url, **body})


async def signed_in(app: Any, client: httpx.AsyncClient) -> None:
    """Make `client` alice's (anonymous links cannot be changed)."""
    client.headers.update((await sign_up(client, app.runtime, "alice")).headers)


async def test_listed_targets_are_refused_everywhere(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    blocklist = tmp_path / "blocklist.txt"
    listing(blocklist, "# phishing", "evil.example", "https://files.example/malware/")
    async with app_factory(blocklist_file=str(blocklist)) as (app, client):
        await signed_in(app, client)
        for url in (
            "https://evil.example/login",
            "https://www.accounts.evil.example/",  # a subdomain
            "http://files.example/malware/payload.exe",
        ):
            refused = await create(client, url)
            assert refused.status_code == 400, refused.text
            error = refused.json()["error"]
            assert error["code"] == "MALICIOUS_URL"
            assert "block list" in error["details"]
        root = await client.post("/shorten", json={"url": "https://evil.example/"})
        assert root.status_code == 400 and "malicious" in root.json()["error"].lower()

        fine = await create(client, "https://files.example/docs/", custom_alias="fine-link")
        assert fine.status_code == 201
        assert fine.json()["data"]["safe_browsing"]["is_safe"] is True
        assert fine.json()["data"]["safe_browsing"]["last_checked"].endswith("Z")
        moved = await client.patch(
            "/api/v1/urls/fine-link", json={"long_url": "https://sub.evil.example/"}
        )
        assert moved.json()["error"]["code"] == "MALICIOUS_URL"

        bulk = await client.post(
            "/api/v1/urls/bulk",
            json={"urls": ["https://good.example/", "https://evil.example/x"]},
        )
        data = bulk.json()["data"]
        assert data["summary"] == {"total": 2, "created": 1, "failed": 1}
        assert data["failed"][0]["code"] == "MALICIOUS_URL"
        imported = await client.post(
            "/api/v1/urls/import",
            headers={"Content-Type": "text/csv"},
            content=b"url\nhttps://ok.example/\nhttps://a.evil.example/\n",
        )
        failed = imported.json()["data"]["failed"]
        assert [(item["row"], item["code"]) for item in failed] == [(2, "MALICIOUS_URL")]


async def test_a_new_entry_applies_without_restart(app_factory: AppFactory, tmp_path: Path) -> None:
    blocklist = tmp_path / "blocklist.txt"
    listing(blocklist, "evil.example")
    async with app_factory(blocklist_file=str(blocklist)) as (_, client):
        assert (await create(client, "https://later.example/")).status_code == 201
        listing(blocklist, "evil.example", "later.example")
        refused = await create(client, "https://later.example/again")
        assert refused.json()["error"]["code"] == "MALICIOUS_URL"
        listing(blocklist, "evil.example")
        assert (await create(client, "https://later.example/3")).status_code == 201


async def test_the_recheck_disables_links_whose_target_was_listed_later(
    app_factory: AppFactory, tmp_path: Path, site: LocalServer
) -> None:
    blocklist = tmp_path / "blocklist.txt"
    listing(blocklist)
    async with app_factory(blocklist_file=str(blocklist)) as (app, client):
        await signed_in(app, client)
        target = site.url("/landing")
        bad = await create(client, target, custom_alias="soon-bad")
        good = await create(client, "https://example.com/", custom_alias="stays-good")
        assert bad.status_code == good.status_code == 201
        assert (await client.get("/soon-bad")).status_code == 301  # cached now
        first_check = bad.json()["data"]["safe_browsing"]["last_checked"]

        events: list[tuple[str, str, str]] = []

        async def record(session: object, event: str, link: Link) -> None:
            events.append((event, link.code, link.status))

        app.runtime.links.event_handlers.append(record)
        listing(blocklist, "127.0.0.1")  # the local server's host
        try:
            assert await app.runtime.background.run_now(RECHECK_JOB) is None
        finally:
            app.runtime.links.event_handlers.remove(record)
        assert events == [("url.updated", "soon-bad", "disabled")]
        assert (await client.get("/soon-bad")).status_code == 404  # cache invalidated
        info = await client.get("/soon-bad/info")
        details = (await client.get("/api/v1/urls/soon-bad")).json()["data"]
        assert details["status"] == "disabled"
        assert details["safe_browsing"]["is_safe"] is False
        assert details["safe_browsing"]["last_checked"] > first_check
        assert info.json()["data"]["status"] == "disabled"
        assert info.json()["data"]["safe_browsing"]["is_safe"] is False
        kept = (await client.get("/api/v1/urls/stays-good")).json()["data"]
        assert kept["status"] == "active" and kept["safe_browsing"]["is_safe"] is True
        assert kept["safe_browsing"]["last_checked"] > first_check
        assert (await client.get("/stays-good")).status_code == 301
        # Turning it back on checks again: refused while still listed.
        again = await client.patch("/api/v1/urls/soon-bad", json={"status": "active"})
        assert again.json()["error"]["code"] == "MALICIOUS_URL"
        listing(blocklist)
        again = await client.patch("/api/v1/urls/soon-bad", json={"status": "active"})
        assert again.json()["data"]["safe_browsing"]["is_safe"] is True


async def test_unreachable_targets_are_refused_only_when_asked(
    app_factory: AppFactory, site: LocalServer
) -> None:
    dead = LocalServer(Starlette())
    await dead.start()
    await dead.stop()  # a port where nothing answers now
    async with app_factory(check_reachability=True) as (_, client):
        assert (await create(client, site.url("/up"))).status_code == 201
        assert (await create(client, site.url("/no-head"))).status_code == 201  # GET answers
        for url in (dead.url("/"), site.url("/missing")):
            refused = await create(client, url)
            assert refused.status_code == 400, refused.text
            assert refused.json()["error"]["code"] == "URL_NOT_ACCESSIBLE"
    async with app_factory() as (_, client):  # off by default
        assert (await create(client, dead.url("/"))).status_code == 201


async def test_a_bulk_batch_checks_its_targets_within_a_time_budget(
    app_factory: AppFactory, site: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "CHECKS_BUDGET_SECONDS", 1.0)
    async with app_factory(check_reachability=True) as (app, client):
        await signed_in(app, client)
        urls = [site.url("/up"), *(site.url(f"/slow/{n}") for n in range(40))]
        response = await client.post("/api/v1/urls/bulk", json={"urls": urls})
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["summary"] == {"total": 41, "created": 1, "failed": 40}
        assert data["created"][0]["long_url"] == site.url("/up")
        assert {item["code"] for item in data["failed"]} == {"URL_NOT_ACCESSIBLE"}
        assert "send this item again" in data["failed"][0]["details"]
