"""Attack: the owner of a link an administrator disabled turns it back on with
`PATCH {"status": "active"}`."""

from __future__ import annotations

import httpx

from tests.conftest import MakeAccount


async def test_only_an_admin_re_enables_an_admin_disabled_link(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice = await make_account("alice")
    admin = await make_account("root", role="admin")
    created = await client.post(
        "/api/v1/urls", json={"long_url": "https://example.com/a"}, headers=alice.headers
    )
    code = created.json()["data"]["short_code"]
    url = f"/api/v1/urls/{code}"
    disabled = await client.patch(
        url, json={"status": "disabled", "disabled_reason": "phishing"}, headers=admin.headers
    )
    assert disabled.status_code == 200
    assert disabled.json()["data"]["disabled_by"] == "admin"
    assert disabled.json()["data"]["disabled_reason"] == "phishing"

    undo = await client.patch(url, json={"status": "active"}, headers=alice.headers)
    assert undo.status_code == 403
    assert undo.json()["error"]["code"] == "DISABLED_BY_ADMIN"
    # Re-disabling as herself does not turn the admin's decision into hers.
    relabel = await client.patch(
        url, json={"status": "disabled", "disabled_reason": "mine"}, headers=alice.headers
    )
    assert relabel.status_code == 200
    assert relabel.json()["data"]["disabled_by"] == "admin"
    assert (
        await client.patch(url, json={"status": "active"}, headers=alice.headers)
    ).status_code == 403
    assert (await client.get(f"/{code}")).status_code == 404

    back = await client.patch(url, json={"status": "active"}, headers=admin.headers)
    assert back.status_code == 200
    assert back.json()["data"]["status"] == "active"
    assert back.json()["data"]["disabled_by"] is None


async def test_an_owner_still_disables_and_enables_their_own_link(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice = await make_account("alice")
    created = await client.post(
        "/api/v1/urls", json={"long_url": "https://example.com/b"}, headers=alice.headers
    )
    url = f"/api/v1/urls/{created.json()['data']['short_code']}"
    off = await client.patch(url, json={"status": "disabled"}, headers=alice.headers)
    assert off.json()["data"]["disabled_by"] == "owner"
    on = await client.patch(url, json={"status": "active"}, headers=alice.headers)
    assert on.status_code == 200
    assert on.json()["data"]["status"] == "active"
