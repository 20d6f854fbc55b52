"""The admin API (seed 002): expired links, deactivating unused ones, search, users."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.timestamps import utcnow
from tests.conftest import Account, MakeAccount

ROUTES = [
    ("GET", "/api/v1/admin/links/expired"),
    ("POST", "/api/v1/admin/links/deactivate-unused?days=30"),
    ("GET", "/api/v1/admin/links/search?url=example"),
    ("GET", "/api/v1/admin/users"),
    ("PATCH", "/api/v1/admin/users/user_1"),
]


@pytest.fixture
async def admin(make_account: MakeAccount) -> Account:
    return await make_account("root", role="admin")


async def create(client: httpx.AsyncClient, headers: dict[str, str], url: str, **extra: Any) -> str:
    response = await client.post("/api/v1/urls", headers=headers, json={"long_url": url, **extra})
    assert response.status_code == 201, response.text
    return response.json()["data"]["short_code"]


async def shift(runtime: Runtime, code: str, **values: Any) -> None:
    async with runtime.database.sessionmaker() as session:
        await session.execute(update(Link).where(Link.code == code).values(**values))
        await session.commit()
    await runtime.cache.invalidate(code)


async def test_admin_routes_are_for_admins_only(
    client: httpx.AsyncClient, account: Account
) -> None:
    for method, path in ROUTES:
        anonymous = await client.request(method, path, json={})
        assert anonymous.status_code == 401, path
        user = await client.request(method, path, headers=account.headers, json={})
        assert user.status_code == 403, path
        assert user.json()["error"]["code"] == "FORBIDDEN"


async def test_expired_links_of_every_owner(
    client: httpx.AsyncClient, account: Account, admin: Account, runtime: Runtime
) -> None:
    mine = await create(
        client, account.headers, "https://example.com/a", expires_at="2099-01-01T00:00:00Z"
    )
    other = await create(
        client, admin.headers, "https://example.com/b", expires_at="2099-01-01T00:00:00Z"
    )
    await create(client, account.headers, "https://example.com/live")
    await shift(runtime, mine, expires_at=utcnow() - timedelta(days=2))
    await shift(runtime, other, status="expired", expires_at=utcnow() - timedelta(days=1))
    response = await client.get("/api/v1/admin/links/expired", headers=admin.headers)
    assert response.status_code == 200
    data = response.json()["data"]
    assert [link["short_code"] for link in data["urls"]] == [mine, other]
    assert data["pagination"]["total"] == 2
    paged = await client.get(
        "/api/v1/admin/links/expired", headers=admin.headers, params={"limit": 1, "offset": 1}
    )
    assert [link["short_code"] for link in paged.json()["data"]["urls"]] == [other]


async def test_deactivate_unused_links(
    client: httpx.AsyncClient, account: Account, admin: Account, runtime: Runtime
) -> None:
    idle = await create(client, account.headers, "https://example.com/idle")
    clicked = await create(client, account.headers, "https://example.com/clicked")
    fresh = await create(client, account.headers, "https://example.com/fresh")
    long_ago = utcnow() - timedelta(days=100)
    await shift(runtime, idle, created_at=long_ago)
    await shift(runtime, clicked, created_at=long_ago, last_clicked_at=utcnow() - timedelta(days=3))
    assert (await client.get(f"/{idle}")).status_code == 301  # cached before the job
    response = await client.post(
        "/api/v1/admin/links/deactivate-unused", headers=admin.headers, params={"days": 30}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"days": 30, "deactivated": 1, "short_codes": [idle]}
    assert (await client.get(f"/{idle}")).status_code == 404
    for code in (clicked, fresh):
        assert (await client.get(f"/{code}")).status_code == 301
    for bad in ({}, {"days": 0}, {"days": "x"}):
        refused = await client.post(
            "/api/v1/admin/links/deactivate-unused", headers=admin.headers, params=bad
        )
        assert refused.status_code == 400


async def test_search_links_by_original_url(
    client: httpx.AsyncClient, account: Account, admin: Account
) -> None:
    wanted = await create(client, account.headers, "https://shop.example/sale/100%25")
    await create(client, admin.headers, "https://blog.example/post")
    response = await client.get(
        "/api/v1/admin/links/search", headers=admin.headers, params={"url": "shop.example/sale"}
    )
    assert [link["short_code"] for link in response.json()["data"]["urls"]] == [wanted]
    wildcard = await client.get(
        "/api/v1/admin/links/search", headers=admin.headers, params={"url": "_"}
    )
    assert wildcard.json()["data"]["pagination"]["total"] == 0


async def test_list_and_change_users(
    client: httpx.AsyncClient, account: Account, admin: Account
) -> None:
    listed = await client.get("/api/v1/admin/users", headers=admin.headers)
    users = listed.json()["data"]["users"]
    assert [user["username"] for user in users] == ["alice", "root"]
    assert all("password" not in str(user) for user in users)
    found = await client.get("/api/v1/admin/users", headers=admin.headers, params={"q": "ALI"})
    assert [user["username"] for user in found.json()["data"]["users"]] == ["alice"]

    upgraded = await client.patch(
        f"/api/v1/admin/users/user_{account.user_id}",
        headers=admin.headers,
        json={"plan": "premium"},
    )
    assert upgraded.json()["data"]["plan"] == "premium"
    profile = await client.get("/api/v1/user/profile", headers=account.headers)
    assert profile.json()["data"]["usage_stats"]["monthly_quota"] == 10_000
    for body in ({"plan": "platinum"}, {"role": "root"}):
        response = await client.patch(
            f"/api/v1/admin/users/user_{account.user_id}", headers=admin.headers, json=body
        )
        assert response.status_code == 400
    missing = await client.patch(
        "/api/v1/admin/users/user_999999", headers=admin.headers, json={"plan": "free"}
    )
    assert missing.status_code == 404
    myself = await client.patch(
        f"/api/v1/admin/users/user_{admin.user_id}", headers=admin.headers, json={"role": "user"}
    )
    assert myself.status_code == 403


async def test_offset_42549412348858300092224707487630098432_is_refused(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """Found by tests/security/test_fuzz_openapi.py: an OFFSET past 64 bits made SQL raise."""
    for path in ("/api/v1/admin/links/search?url=x", "/api/v1/admin/links/expired"):
        response = await client.get(
            f"{path}{'&' if '?' in path else '?'}offset=42549412348858300092224707487630098432",
            headers=admin.headers,
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_patch_user_superscript_three_is_not_found(
    client: httpx.AsyncClient, admin: Account
) -> None:
    """Found by the fuzzer: `"³".isdigit()` is true but `int("³")` raises (a 500)."""
    for user_id in ("³", "user_³"):
        response = await client.patch(
            f"/api/v1/admin/users/{user_id}", headers=admin.headers, json={"is_active": True}
        )
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "NOT_FOUND"
    key = await client.delete("/api/v1/user/api-keys/key_³", headers=admin.headers)
    assert key.status_code == 404, key.text
    hook = await client.get("/api/v1/webhooks/wh_³", headers=admin.headers)
    assert hook.status_code == 404, hook.text
