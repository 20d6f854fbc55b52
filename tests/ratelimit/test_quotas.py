"""Monthly link quotas per plan: past it, creating is 402 QUOTA_EXCEEDED — both modes."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import insert, update

from shorturl.links.models import Link
from shorturl.links.service import month_start
from shorturl.runtime import Runtime
from shorturl.timestamps import utcnow
from tests.conftest import MakeAccount


async def fill(runtime: Runtime, owner_id: int, count: int, prefix: str) -> None:
    """`count` links created now by `owner_id`, written straight to the table (fast)."""
    now = utcnow()
    rows = [
        {
            "code": f"{prefix}{i}",
            "long_url": "https://example.com/",
            "owner_id": owner_id,
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    async with runtime.database.sessionmaker() as session:
        await session.execute(insert(Link), rows)
        await session.commit()


async def test_the_monthly_quota_is_enforced_on_every_way_to_create(
    client: httpx.AsyncClient, make_account: MakeAccount, runtime: Runtime
) -> None:
    alice = await make_account("alice")  # free: 1,000 links a month
    await fill(runtime, alice.user_id, 999, "q")
    last = await client.post(
        "/api/v1/urls", headers=alice.headers, json={"long_url": "https://example.com/1000"}
    )
    assert last.status_code == 201
    for method_path, body in (
        ("/api/v1/urls", {"long_url": "https://example.com/1001"}),
        ("/api/v1/shorten", {"url": "https://example.com/1001"}),
        ("/shorten", {"url": "https://example.com/1001"}),
    ):
        refused = await client.post(method_path, headers=alice.headers, json=body)
        assert refused.status_code == 402, refused.text
        if method_path.startswith("/api/"):
            assert refused.json()["error"]["code"] == "QUOTA_EXCEEDED"
            assert "1000" in refused.json()["error"]["details"]
        else:
            assert "quota" in refused.json()["error"].lower()
    usage = (await client.get("/api/v1/user/profile", headers=alice.headers)).json()["data"]
    assert usage["usage_stats"]["monthly_usage"] == 1000
    assert usage["usage_stats"]["monthly_quota"] == 1000
    # Deleting does not give creations back; anonymous and other users are not affected.
    await client.delete(f"/api/v1/urls/{last.json()['data']['short_code']}", headers=alice.headers)
    again = await client.post(
        "/api/v1/urls", headers=alice.headers, json={"long_url": "https://example.com/x"}
    )
    assert again.status_code == 402
    assert (
        await client.post("/api/v1/urls", json={"long_url": "https://example.com/anon"})
    ).status_code == 201


async def test_last_months_links_do_not_count_and_plans_differ(
    client: httpx.AsyncClient, make_account: MakeAccount, runtime: Runtime
) -> None:
    alice = await make_account("alice")
    await fill(runtime, alice.user_id, 1000, "old")
    async with runtime.database.sessionmaker() as session:
        await session.execute(
            update(Link)
            .where(Link.owner_id == alice.user_id)
            .values(created_at=month_start() - timedelta(seconds=1))
        )
        await session.commit()
    fresh = await client.post(
        "/api/v1/urls", headers=alice.headers, json={"long_url": "https://example.com/new"}
    )
    assert fresh.status_code == 201
    premium = await make_account("bob", plan="premium")  # 10,000 a month
    await fill(runtime, premium.user_id, 1500, "p")
    assert (
        await client.post(
            "/api/v1/urls", headers=premium.headers, json={"long_url": "https://example.com/"}
        )
    ).status_code == 201
    admin = await make_account("root", role="admin")  # admins have no quota
    await fill(runtime, admin.user_id, 1500, "a")
    assert (
        await client.post(
            "/api/v1/urls", headers=admin.headers, json={"long_url": "https://example.com/"}
        )
    ).status_code == 201
