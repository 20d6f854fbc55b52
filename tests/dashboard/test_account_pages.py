"""API keys (shown once, usable, revocable) and the profile pages."""

from __future__ import annotations

import re

import httpx

from tests.dashboard.conftest import SignedIn, submit

NEW_KEY = re.compile(r'id="new-key" type="text" value="(sk_live_[A-Za-z0-9_-]+)"')


async def test_api_key_is_shown_once_works_and_revokes(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    browser, _ = await signed_in("alice")
    created = await submit(
        browser,
        "/dashboard/keys",
        "/dashboard/keys",
        {"name": "CI <deploy>", "permissions": ["read"]},
    )
    assert created.status_code == 200
    found = NEW_KEY.search(created.text)
    assert found, created.text
    key = found.group(1)
    assert "only time it is shown" in created.text and "CI &lt;deploy&gt;" in created.text
    assert created.headers["cache-control"] == "no-store"

    listing = await browser.get("/dashboard/keys")
    assert key not in listing.text and key[:12] in listing.text  # the prefix only
    profile = await client.get("/api/v1/user/profile", headers={"X-API-Key": key})
    assert profile.status_code == 200 and profile.json()["data"]["username"] == "alice"
    read_only = await client.post(
        "/api/v1/urls", json={"long_url": "https://e.com"}, headers={"X-API-Key": key}
    )
    assert read_only.status_code == 403

    key_id = re.search(r'action="/dashboard/keys/(key_\d+)/revoke"', listing.text)
    assert key_id
    revoked = await submit(
        browser, "/dashboard/keys", f"/dashboard/keys/{key_id.group(1)}/revoke", {}
    )
    assert revoked.status_code == 303
    assert "The key was revoked" in (await browser.get(revoked.headers["location"])).text
    after = await client.get("/api/v1/user/profile", headers={"X-API-Key": key})
    assert after.status_code == 401


async def test_key_problems_and_other_peoples_keys(signed_in: SignedIn) -> None:
    alice, _ = await signed_in("alice")
    bob, _ = await signed_in("bob")
    empty = await submit(alice, "/dashboard/keys", "/dashboard/keys", {"name": "x"})
    assert empty.status_code == 400 and "permissions" in empty.text
    made = await submit(
        alice, "/dashboard/keys", "/dashboard/keys", {"name": "mine", "permissions": ["read"]}
    )
    key_id = re.search(r'action="/dashboard/keys/(key_\d+)/revoke"', made.text)
    assert key_id
    stolen = await submit(bob, "/dashboard/keys", f"/dashboard/keys/{key_id.group(1)}/revoke", {})
    assert stolen.status_code == 404
    assert key_id.group(1) in (await alice.get("/dashboard/keys")).text


async def test_profile_changes_and_account_deletion(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    browser, account = await signed_in("alice")
    page = await browser.get("/dashboard/profile")
    assert page.status_code == 200 and "alice@example.com" in page.text
    saved = await submit(
        browser,
        "/dashboard/profile",
        "/dashboard/profile",
        {"display_name": "Alice <A.>", "username": "alice", "email": "alice@example.com"},
    )
    assert saved.status_code == 303
    page = await browser.get("/dashboard/profile?saved=1")
    assert "Profile saved." in page.text and "Alice &lt;A.&gt;" in page.text
    wrong = await submit(
        browser, "/dashboard/profile", "/dashboard/profile/password",
        {"current_password": "not-it", "password": "another-one-1"},
    )  # fmt: skip
    assert wrong.status_code == 401 and "current password" in wrong.text

    await submit(
        browser, "/dashboard", "/dashboard/links", {"url": "https://e.com", "alias": "bye"}
    )
    refused = await submit(
        browser, "/dashboard/profile", "/dashboard/profile/delete", {"current_password": "nope"}
    )
    assert refused.status_code == 401 and (await client.get("/bye")).status_code == 301
    gone = await submit(
        browser,
        "/dashboard/profile",
        "/dashboard/profile/delete",
        {"current_password": account.password},
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/"
    assert (await browser.get("/dashboard")).status_code == 303
    assert (await client.get("/bye")).status_code == 404


async def test_a_keys_rate_limit_is_set_and_shown_with_what_the_plan_allows(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    browser, _ = await signed_in("alice")  # free plan: 1,000 API requests an hour
    for rate_limit in ("5000", "250"):
        made = await submit(
            browser,
            "/dashboard/keys",
            "/dashboard/keys",
            {"name": f"limit {rate_limit}", "permissions": ["read"], "rate_limit": rate_limit},
        )
        assert made.status_code == 200, made.text
    listing = (await browser.get("/dashboard/keys")).text
    assert '1,000/h <span class="muted small">(asked 5,000; the free plan allows 1,000)' in listing
    assert "250/h</td>" in listing
    key = NEW_KEY.search(made.text)
    assert key
    listed = await client.get("/api/v1/user/api-keys", headers={"X-API-Key": key.group(1)})
    limits = {
        item["name"]: item["effective_rate_limit"] for item in listed.json()["data"]["api_keys"]
    }
    assert limits == {"limit 5000": 1_000, "limit 250": 250}
    refused = await submit(
        browser, "/dashboard/keys", "/dashboard/keys", {"name": "bad", "rate_limit": "lots"}
    )
    assert refused.status_code == 400
    assert "Rate limit: a whole number" in refused.text and 'value="lots"' in refused.text
