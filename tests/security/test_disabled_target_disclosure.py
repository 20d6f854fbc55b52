"""Attack: learn where disabled (phishing, unsafe) links pointed through the public
`/{code}/info`, and which anonymous links exist through the anonymous analytics summary."""

from __future__ import annotations

import httpx

from tests.conftest import MakeAccount


async def test_info_hides_a_disabled_links_target(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    admin = await make_account("root", role="admin")
    created = await client.post(
        "/api/v1/urls", json={"long_url": "https://phish.example/login", "custom_alias": "bad1"}
    )
    assert created.status_code == 201
    before = (await client.get("/bad1/info")).json()["data"]
    assert before["long_url"] == "https://phish.example/login"
    off = await client.patch(
        "/api/v1/urls/bad1", json={"status": "disabled"}, headers=admin.headers
    )
    assert off.status_code == 200
    info = (await client.get("/bad1/info")).json()["data"]
    assert info["status"] == "disabled"
    assert info["long_url"] is None and "phish" not in str(info)


async def test_the_anonymous_summary_names_no_codes(client: httpx.AsyncClient) -> None:
    made = await client.post(
        "/api/v1/urls", json={"long_url": "https://example.com/x", "custom_alias": "secret-code"}
    )
    assert made.status_code == 201
    assert (await client.get("/secret-code")).status_code == 301
    summary = (await client.get("/api/v1/analytics/summary")).json()["data"]
    assert summary["total_urls"] == 1
    assert summary["top_performing_urls"] == []
    assert "secret-code" not in str(summary)
