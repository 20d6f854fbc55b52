"""Sign-up, login, bearer tokens and profiles — in both storage modes."""

from __future__ import annotations

from datetime import timedelta

import httpx
import jwt
import pytest

from shorturl.accounts.tokens import issue_token
from shorturl.runtime import Runtime
from tests.conftest import Account, MakeAccount

SIGNUP = {
    "email": "John@Example.com",
    "username": "JohnDoe",
    "password": "correct horse battery staple",
    "display_name": "John Doe",
}


async def test_signup_returns_the_seed_003_profile_without_secrets(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/auth/signup", json=SIGNUP)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["user_id"].startswith("user_")
    assert (data["email"], data["username"], data["display_name"]) == (
        "john@example.com",
        "johndoe",
        "John Doe",
    )
    assert (data["plan"], data["role"]) == ("free", "user")
    assert data["usage_stats"] == {
        "urls_created": 0,
        "total_clicks": 0,
        "monthly_quota": 1000,
        "monthly_usage": 0,
    }
    assert SIGNUP["password"] not in response.text
    assert "argon2" not in response.text and "password" not in response.text


@pytest.mark.parametrize(
    "clash",
    [
        {"email": "JOHN@example.com", "username": "other"},
        {"email": "other@example.com", "username": "johndoe"},
    ],
)
async def test_duplicate_email_or_username_is_409(client: httpx.AsyncClient, clash: dict) -> None:
    assert (await client.post("/api/v1/auth/signup", json=SIGNUP)).status_code == 201
    response = await client.post("/api/v1/auth/signup", json={**SIGNUP, **clash})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ACCOUNT_EXISTS"


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-email"},
        {"email": "a@b"},
        {"username": "x"},
        {"username": "bad name!"},
        {"password": "short"},
        {"password": "p" * 257},
        {"password": None},
        {"display_name": "d" * 129},
    ],
)
async def test_bad_signups_are_400(client: httpx.AsyncClient, change: dict) -> None:
    response = await client.post("/api/v1/auth/signup", json={**SIGNUP, **change})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_login_by_email_or_username_gives_a_working_bearer_token(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/api/v1/auth/signup", json=SIGNUP)
    for credentials in (
        {"email": "john@EXAMPLE.com", "password": SIGNUP["password"]},
        {"username": "johndoe", "password": SIGNUP["password"]},
        {"login": "JohnDoe", "password": SIGNUP["password"]},
    ):
        response = await client.post("/api/v1/auth/login", json=credentials)
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert data["token_type"] == "bearer"
        assert 3500 <= data["expires_in"] <= 3600
        profile = await client.get(
            "/api/v1/user/profile", headers={"Authorization": f"Bearer {data['access_token']}"}
        )
        assert profile.status_code == 200
        assert profile.json()["data"]["username"] == "johndoe"


async def test_wrong_credentials_are_401_without_saying_which_part(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/api/v1/auth/signup", json=SIGNUP)
    wrong_password = await client.post(
        "/api/v1/auth/login", json={"email": SIGNUP["email"], "password": "wrong password!"}
    )
    unknown_user = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": "wrong password!"}
    )
    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert wrong_password.json()["error"] == unknown_user.json()["error"]
    missing = await client.post("/api/v1/auth/login", json={"password": "x"})
    assert missing.status_code == 400


async def test_anonymous_profile_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/user/profile")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


async def test_bad_tokens_are_401_never_anonymous(
    client: httpx.AsyncClient, account: Account, runtime: Runtime
) -> None:
    expired = issue_token(
        account.user_id, "irrelevant", runtime.secret_key, lifetime=timedelta(seconds=-5)
    )
    forged = jwt.encode({"sub": str(account.user_id), "typ": "access"}, "x" * 40, "HS256")
    unsigned = jwt.encode({"sub": str(account.user_id)}, None, algorithm="none")
    for authorization in (
        f"Bearer {expired.token}",
        f"Bearer {forged}",
        f"Bearer {unsigned}",
        f"Bearer {account.token}x",
        "Bearer ",
        f"Basic {account.token}",
        "Bearer sk_live_nope",
    ):
        for method, path in (("GET", "/api/v1/user/profile"), ("POST", "/api/v1/urls")):
            response = await client.request(
                method,
                path,
                json={"long_url": "https://example.com/"},
                headers={"Authorization": authorization},
            )
            assert response.status_code == 401, (authorization, response.text)
            assert response.json()["error"]["code"] == "UNAUTHORIZED"
            assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await client.get("/api/v1/user/profile", headers=account.headers)).status_code == 200


async def test_profile_update_and_password_change(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice = await make_account("alice")
    await make_account("bob")
    renamed = await client.patch(
        "/api/v1/user/profile",
        headers=alice.headers,
        json={
            "display_name": "Alice A.",
            "email": "alice.new@example.com",
            "current_password": alice.password,  # an email change needs it
        },
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["data"]["display_name"] == "Alice A."
    assert renamed.json()["data"]["email"] == "alice.new@example.com"

    taken = await client.put(
        "/api/v1/user/profile",
        headers=alice.headers,
        json={"email": "bob@example.com", "current_password": alice.password},
    )
    assert taken.status_code == 409

    without_current = await client.patch(
        "/api/v1/user/profile", headers=alice.headers, json={"password": "a brand new password"}
    )
    assert without_current.status_code == 401
    changed = await client.patch(
        "/api/v1/user/profile",
        headers=alice.headers,
        json={"password": "a brand new password", "current_password": alice.password},
    )
    assert changed.status_code == 200
    # Tokens issued before the change stop working; the new password logs in.
    assert (await client.get("/api/v1/user/profile", headers=alice.headers)).status_code == 401
    old = await client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": alice.password}
    )
    assert old.status_code == 401
    new = await client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": "a brand new password"}
    )
    assert new.status_code == 200


async def test_usage_stats_count_links_and_clicks(
    user_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    for i in range(3):
        created = await user_client.post("/api/v1/urls", json={"long_url": f"https://e.com/{i}"})
        assert created.status_code == 201
    await client.post("/api/v1/urls", json={"long_url": "https://e.com/anonymous"})
    code = created.json()["data"]["short_code"]
    await user_client.delete(f"/api/v1/urls/{code}")
    usage = (await user_client.get("/api/v1/user/profile")).json()["data"]["usage_stats"]
    assert usage == {
        "urls_created": 2,
        "total_clicks": 0,
        "monthly_quota": 1000,
        "monthly_usage": 3,
    }
