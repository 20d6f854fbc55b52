"""Attack: with a stolen token (no password), take over an account by changing its email,
or destroy it; and guess the password through the current-password checks, unthrottled.

A token from a sign-in of the last 10 minutes stands in for the password (GitHub's sudo
mode); a stolen one is older, or is an API key."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from shorturl.runtime import Runtime
from tests.conftest import Account, AppFactory, MakeAccount, sign_up
from tests.dashboard.conftest import submit, web_login


def signed_in_minutes_ago(runtime: Runtime, account: Account, minutes: float) -> Account:
    """`account` with its token re-signed as if its sign-in were `minutes` old (a token
    stolen from a browser or a log some time after the login)."""
    claims: dict[str, Any] = jwt.decode(account.token, options={"verify_signature": False})
    claims["auth_time"] = int(time.time() - minutes * 60)
    token = jwt.encode(claims, runtime.secret_key, algorithm="HS256")
    return Account(account.user_id, account.username, account.email, account.password, token)


@pytest.fixture
def stale(runtime: Runtime, make_account: MakeAccount) -> MakeAccount:
    """A signed-up user whose token's sign-in is 11 minutes old: no longer a fresh login."""

    async def make(username: str, **options: Any) -> Account:
        return signed_in_minutes_ago(runtime, await make_account(username, **options), 11)

    return make


async def test_email_change_needs_the_current_password(
    client: httpx.AsyncClient, stale: MakeAccount
) -> None:
    alice = await stale("alice")
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
    client: httpx.AsyncClient, stale: MakeAccount
) -> None:
    alice = await stale("alice")
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


async def test_a_fresh_sign_in_stands_in_for_the_password_an_api_key_never_does(
    client: httpx.AsyncClient, runtime: Runtime, make_account: MakeAccount
) -> None:
    alice = await make_account("alice")  # signed in just now
    url = "/api/v1/user/profile"
    changed = await client.put(url, json={"email": "alice2@example.com"}, headers=alice.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["email"] == "alice2@example.com"
    # nine minutes after the sign-in: still fresh; eleven: the password again
    nine = signed_in_minutes_ago(runtime, alice, 9)
    again = await client.put(url, json={"email": "alice3@example.com"}, headers=nine.headers)
    assert again.status_code == 200, again.text
    eleven = signed_in_minutes_ago(runtime, alice, 11)
    late = await client.put(url, json={"email": "alice4@example.com"}, headers=eleven.headers)
    assert late.status_code == 401
    assert late.json()["error"]["details"] == {"field": "current_password"}
    # an API key made by that fresh sign-in is not a sign-in
    made = await client.post("/api/v1/user/api-keys", headers=alice.headers, json={"name": "k"})
    key = {"X-API-Key": made.json()["data"]["key"]}
    by_key = await client.put(url, json={"email": "alice5@example.com"}, headers=key)
    assert by_key.status_code == 401
    refused = await client.request("DELETE", "/api/v1/user/account", headers=key)
    assert refused.status_code == 401
    # a new password always takes the current one, fresh or not
    password = await client.put(url, json={"password": "another-one-1"}, headers=alice.headers)
    assert password.status_code == 401
    # and a fresh sign-in deletes without a body
    bob = await make_account("bob")
    gone = await client.request("DELETE", "/api/v1/user/account", headers=bob.headers)
    assert gone.status_code == 200, gone.text
    assert (await client.get(url, headers=bob.headers)).status_code == 401


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
