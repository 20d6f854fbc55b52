"""Attack: reach a blocked URL prefix through another spelling of its path or host
(dot segments, percent-encoded letters, doubled slashes, case, default port), on every way
in (create, update, bulk, CSV import) and past the re-checker."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shorturl.links.urls import normalize_long_url
from shorturl.safety.blocklist import BlockList
from tests.conftest import AppFactory, sign_up

BYPASSES = (
    "http://198.51.100.7/a/../payload/x",
    "http://198.51.100.7/%70ayload/x",
    "http://198.51.100.7//payload/x",
    "http://198.51.100.7/./payload//x",
    "http://198.51.100.7:80/%2E%2E/payload/x",
    "HTTPS://198.51.100.7:443/payload/x",
)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("http://198.51.100.7/a/../payload/x", "http://198.51.100.7/payload/x"),
        ("http://198.51.100.7/%70ayload/x", "http://198.51.100.7/payload/x"),
        ("http://198.51.100.7//payload/x", "http://198.51.100.7/payload/x"),
        ("HTTP://Example.COM:80/./a/b/../c/", "http://example.com/a/c/"),
        ("https://example.com/x?q=%7e%2f#%41", "https://example.com/x?q=~%2F#A"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://example.com/..", "https://example.com/"),
        ("https://BÜCHER.example:443/s", "https://xn--bcher-kva.example/s"),
    ],
)
def test_one_canonical_form(raw: str, canonical: str) -> None:
    assert normalize_long_url(raw) == canonical
    assert normalize_long_url(canonical) == canonical  # idempotent


def test_the_checker_matches_the_canonical_form_of_stored_urls() -> None:
    blocked = BlockList.parse(["http://198.51.100.7/payload/", "https://Files.example/a/./b/"])
    for url in BYPASSES:  # as they might be stored from before normalisation
        assert blocked.match(url) is not None, url
    assert blocked.match("https://files.example/a/x/../b/c") is not None
    assert blocked.match("http://198.51.100.7/payloadx") is None


async def test_every_way_in_refuses_the_bypasses(app_factory: AppFactory, tmp_path: Path) -> None:
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("http://198.51.100.7/payload/\n")
    async with app_factory(blocklist_file=str(blocklist)) as (app, client):
        client.headers.update((await sign_up(client, app.runtime, "alice")).headers)
        for url in BYPASSES:
            refused = await client.post("/api/v1/urls", json={"long_url": url})
            assert refused.status_code == 400, (url, refused.text)
            assert refused.json()["error"]["code"] == "MALICIOUS_URL"
        fine = await client.post(
            "/api/v1/urls", json={"long_url": "http://198.51.100.7/ok/", "custom_alias": "fine"}
        )
        assert fine.status_code == 201
        moved = await client.patch("/api/v1/urls/fine", json={"long_url": BYPASSES[0]})
        assert moved.json()["error"]["code"] == "MALICIOUS_URL"
        bulk = await client.post("/api/v1/urls/bulk", json={"urls": list(BYPASSES)})
        assert bulk.json()["data"]["summary"]["created"] == 0
        imported = await client.post(
            "/api/v1/urls/import",
            headers={"Content-Type": "text/csv"},
            content=("url\n" + "\n".join(BYPASSES) + "\n").encode(),
        )
        assert [item["code"] for item in imported.json()["data"]["failed"]] == [
            "MALICIOUS_URL"
        ] * len(BYPASSES)


async def test_links_are_stored_in_the_canonical_form(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/v1/urls", json={"long_url": "https://Example.com:443/a//b/./c/../d?x=%7E"}
    )
    assert created.json()["data"]["long_url"] == "https://example.com/a/b/d?x=~"
