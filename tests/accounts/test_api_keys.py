"""API keys: shown once, stored hashed, read/write permissions, revocation — both modes."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select

from shorturl.accounts.models import ApiKey
from shorturl.runtime import Runtime
from tests.conftest import Account, MakeAccount


async def new_key(client: httpx.AsyncClient, account: Account, **body: object) -> dict:
    response = await client.post(
        "/api/v1/user/api-keys", headers=account.headers, json={"name": "CI", **body}
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_a_key_is_shown_once_and_stored_only_as_a_hash(
    client: httpx.AsyncClient, account: Account, runtime: Runtime
) -> None:
    created = await new_key(client, account, permissions=["read", "write"], rate_limit=500)
    key = created["key"]
    assert key.startswith("sk_live_") and len(key) == 48
    assert created["key_prefix"] == key[:12] + "..."
    assert created["permissions"] == ["read", "write"]
    assert created["rate_limit"] == 500
    assert created["key_id"].startswith("key_")

    listed = await client.get("/api/v1/user/api-keys", headers=account.headers)
    assert listed.status_code == 200
    assert key not in listed.text and key[12:] not in listed.text
    [shown] = listed.json()["data"]["api_keys"]
    assert set(shown) == {
        "key_id",
        "name",
        "key_prefix",
        "created_at",
        "last_used",
        "permissions",
        "rate_limit",
        "effective_rate_limit",
    }
    assert shown["last_used"] is None

    async with runtime.database.sessionmaker() as session:
        row = await session.scalar(select(ApiKey))
    assert row is not None
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in (row.key_prefix, row.key_hash, row.name)


async def test_the_seed_003_key_body_is_kept_and_capped_by_the_plan(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    seed_body = {"name": "My API Key", "permissions": ["read", "write"], "rate_limit": 5000}
    for plan, effective in (("free", 1_000), ("premium", 5_000)):
        owner = await make_account(f"seed{plan}", plan=plan)
        response = await client.post("/api/v1/user/api-keys", headers=owner.headers, json=seed_body)
        assert response.status_code == 201, response.text
        created = response.json()["data"]
        assert (created["name"], created["permissions"]) == ("My API Key", ["read", "write"])
        assert (created["rate_limit"], created["effective_rate_limit"]) == (5000, effective)
        listed = await client.get("/api/v1/user/api-keys", headers=owner.headers)
        [shown] = listed.json()["data"]["api_keys"]
        assert (shown["rate_limit"], shown["effective_rate_limit"]) == (5000, effective)
    # No limit of its own: the plan's.
    plain = await new_key(client, owner)
    assert (plain["rate_limit"], plain["effective_rate_limit"]) == (None, 10_000)


async def test_a_key_authenticates_through_either_header(
    client: httpx.AsyncClient, account: Account
) -> None:
    key = (await new_key(client, account))["key"]
    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        created = await client.post(
            "/api/v1/urls", headers=headers, json={"long_url": "https://example.com/k"}
        )
        assert created.status_code == 201
        assert created.json()["data"]["owner"]["username"] == "alice"
        profile = await client.get("/api/v1/user/profile", headers=headers)
        assert profile.json()["data"]["username"] == "alice"
    listed = (await client.get("/api/v1/user/api-keys", headers=account.headers)).json()
    assert listed["data"]["api_keys"][0]["last_used"] is not None


async def test_a_revoked_key_stops_working_at_once(
    client: httpx.AsyncClient, account: Account
) -> None:
    created = await new_key(client, account)
    headers = {"X-API-Key": created["key"]}
    assert (await client.get("/api/v1/urls", headers=headers)).status_code == 200
    revoked = await client.delete(
        f"/api/v1/user/api-keys/{created['key_id']}", headers=account.headers
    )
    assert revoked.status_code == 200
    assert revoked.json()["data"]["key_id"] == created["key_id"]
    for _ in range(3):
        response = await client.get("/api/v1/urls", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"
    listed = (await client.get("/api/v1/user/api-keys", headers=account.headers)).json()
    assert listed["data"]["api_keys"] == []
    again = await client.delete(
        f"/api/v1/user/api-keys/{created['key_id']}", headers=account.headers
    )
    assert again.status_code == 404


async def test_a_read_only_key_cannot_write(client: httpx.AsyncClient, account: Account) -> None:
    key = (await new_key(client, account, permissions=["read"]))["key"]
    headers = {"X-API-Key": key}
    own = await client.post(
        "/api/v1/urls", headers=account.headers, json={"long_url": "https://example.com/r"}
    )
    code = own.json()["data"]["short_code"]
    assert (await client.get("/api/v1/urls", headers=headers)).status_code == 200
    assert (await client.get(f"/api/v1/urls/{code}", headers=headers)).status_code == 200
    for method, path, body in (
        ("POST", "/api/v1/urls", {"long_url": "https://example.com/w"}),
        ("PATCH", f"/api/v1/urls/{code}", {"description": "x"}),
        ("DELETE", f"/api/v1/urls/{code}", None),
        ("POST", "/api/v1/user/api-keys", {"name": "escalate"}),
        ("DELETE", "/api/v1/user/account", None),
    ):
        response = await client.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "FORBIDDEN"
    assert (await client.get("/api/v1/user/profile", headers=account.headers)).status_code == 200


async def test_keys_belong_to_their_owner(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice, bob = await make_account("alice"), await make_account("bob")
    created = await new_key(client, alice)
    stolen = await client.delete(f"/api/v1/user/api-keys/{created['key_id']}", headers=bob.headers)
    assert stolen.status_code == 404
    listed = (await client.get("/api/v1/user/api-keys", headers=bob.headers)).json()
    assert listed["data"]["api_keys"] == []
    for bad in ("key_abc", "999999", "key_99999999999999999999"):
        response = await client.delete(f"/api/v1/user/api-keys/{bad}", headers=alice.headers)
        assert response.status_code == 404


async def test_key_fields_are_validated(client: httpx.AsyncClient, account: Account) -> None:
    for body in (
        {"name": ""},
        {"name": "x", "permissions": []},
        {"name": "x", "permissions": ["admin"]},
        {"name": "x", "rate_limit": 0},
        {"name": "x", "rate_limit": 1_000_001},
        {"name": "x", "rate_limit": "many"},
    ):
        response = await client.post("/api/v1/user/api-keys", headers=account.headers, json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    anonymous = await client.post("/api/v1/user/api-keys", json={"name": "x"})
    assert anonymous.status_code == 401


async def test_a_disabled_account_loses_its_keys_and_tokens(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    admin = await make_account("root", role="admin")
    alice = await make_account("alice")
    key = (await new_key(client, alice))["key"]
    disabled = await client.patch(
        f"/api/v1/admin/users/user_{alice.user_id}",
        headers=admin.headers,
        json={"is_active": False},
    )
    assert disabled.status_code == 200
    assert disabled.json()["data"]["is_active"] is False
    assert (await client.get("/api/v1/user/profile", headers=alice.headers)).status_code == 401
    assert (await client.get("/api/v1/urls", headers={"X-API-Key": key})).status_code == 401
    login = await client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": alice.password}
    )
    assert login.status_code == 401
