"""Attack: with a stolen token (no password), take over an account by changing its email,
or destroy it; and guess the password through the current-password checks, unthrottled."""

from __future__ import annotations

import httpx

from tests.conftest import AppFactory, MakeAccount, sign_up
from tests.dashboard.conftest import submit, web_login


async def test_email_change_needs_the_current_password(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice = await make_account("alice")
    url, new = "/api/v1/user/profile", {"email": "mallory@example.com"}
    refused = await client.patch(url, json=new, headers=alice.headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["details"] == {"field": "current_password"}
    wrong = await client.patch(
        url, json={**new, "current_password": "not the password"}, headers=alice.headers
    )
    assert wrong.status_code == 401
    profile = await client.get(url, headers=alice.headers)
    assert profile.json()["data"]["email"] == alice.email
    done = await client.patch(
        url, json={**new, "current_password": alice.password}, headers=alice.headers
    )
    assert done.status_code == 200
    assert done.json()["data"]["email"] == "mallory@example.com"
    # Other fields need no password.
    renamed = await client.patch(url, json={"display_name": "Al"}, headers=alice.headers)
    assert renamed.status_code == 200


async def test_account_deletion_needs_the_current_password(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice = await make_account("alice")
    for body in (None, {"current_password": "not the password"}):
        refused = await client.request(
            "DELETE", "/api/v1/user/account", headers=alice.headers, json=body
        )
        assert refused.status_code in (400, 401), refused.text
    assert (await client.get("/api/v1/user/profile", headers=alice.headers)).status_code == 200
    deleted = await client.request(
        "DELETE",
        "/api/v1/user/account",
        headers=alice.headers,
        json={"current_password": alice.password},
    )
    assert deleted.status_code == 200


async def test_current_password_checks_are_throttled(app_factory: AppFactory) -> None:
    async with app_factory(rate_limit_enabled=True, fetch_metadata=False) as (app, client):
        alice = await sign_up(client, app.runtime, "alice")
        url = "/api/v1/user/profile"
        for _ in range(10):
            guess = {"password": "new-password-1", "current_password": "guess guess"}
            assert (await client.patch(url, json=guess, headers=alice.headers)).status_code == 401
        right = {"password": "new-password-1", "current_password": alice.password}
        limited = await client.patch(url, json=right, headers=alice.headers)
        assert limited.status_code == 429
        deletion = await client.request(
            "DELETE",
            "/api/v1/user/account",
            headers=alice.headers,
            json={"current_password": alice.password},
        )
        assert deletion.status_code == 429


async def test_dashboard_password_checks_are_throttled(app_factory: AppFactory) -> None:
    async with app_factory(rate_limit_enabled=True, fetch_metadata=False) as (app, client):
        alice = await sign_up(client, app.runtime, "alice")
        await web_login(client, alice)
        for _ in range(9):  # the sign-in above was the first attempt, and cleared
            wrong = await submit(
                client,
                "/dashboard/profile",
                "/dashboard/profile/delete",
                {"current_password": "guess guess"},
            )
            assert wrong.status_code == 401
        await submit(
            client, "/dashboard/profile", "/dashboard/profile/delete", {"current_password": "x"}
        )
        limited = await submit(
            client,
            "/dashboard/profile",
            "/dashboard/profile/password",
            {"current_password": alice.password, "password": "another-password"},
        )
        assert limited.status_code == 429
