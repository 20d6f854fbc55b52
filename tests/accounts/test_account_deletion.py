"""Leaving: `DELETE /api/v1/user/account` removes the user and their data — both modes."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from shorturl.accounts.models import ApiKey, User
from shorturl.analytics.models import Click
from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.timestamps import utcnow
from shorturl.webhooks.models import Webhook
from tests.conftest import MakeAccount


async def count(runtime: Runtime, statement: Any) -> int:
    async with runtime.database.sessionmaker() as session:
        return int(await session.scalar(statement) or 0)


async def test_deleting_an_account_erases_its_data_and_keeps_its_codes_reserved(
    client: httpx.AsyncClient, make_account: MakeAccount, runtime: Runtime
) -> None:
    alice, bob = await make_account("alice"), await make_account("bob")
    key = (
        await client.post("/api/v1/user/api-keys", headers=alice.headers, json={"name": "k"})
    ).json()["data"]["key"]
    created = await client.post(
        "/api/v1/urls",
        headers=alice.headers,
        json={"long_url": "https://example.com/private", "custom_alias": "alices", "tags": ["t"]},
    )
    assert created.status_code == 201
    bobs = await client.post(
        "/api/v1/urls", headers=bob.headers, json={"long_url": "https://example.com/bob"}
    )
    assert (await client.get("/alices")).status_code == 301  # now cached
    async with runtime.database.sessionmaker() as session:
        links = {link.code: link.id for link in await session.scalars(select(Link))}
        for code in ("alices", bobs.json()["data"]["short_code"]):
            session.add(Click(event_id=str(uuid.uuid4()), link_id=links[code], clicked_at=utcnow()))
        for user_id in (alice.user_id, bob.user_id):
            session.add(
                Webhook(
                    user_id=user_id, url="https://hooks.example/", events=["x"], sealed_secret="s"
                )
            )
        await session.commit()

    deleted = await client.request(
        "DELETE",
        "/api/v1/user/account",
        headers=alice.headers,
        json={"current_password": alice.password},
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["data"]["links_erased"] == 1

    assert (await client.get("/api/v1/user/profile", headers=alice.headers)).status_code == 401
    assert (await client.get("/api/v1/urls", headers={"X-API-Key": key})).status_code == 401
    login = await client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": alice.password}
    )
    assert login.status_code == 401
    assert (await client.get("/alices")).status_code == 404  # the cached redirect is gone
    reuse = await client.post(
        "/api/v1/urls",
        headers=bob.headers,
        json={"long_url": "https://phishing.example/", "custom_alias": "alices"},
    )
    assert reuse.status_code == 409  # the code is never handed to someone else

    assert await count(runtime, select(func.count(User.id))) == 1
    assert await count(runtime, select(func.count(ApiKey.id))) == 0
    assert await count(runtime, select(func.count(Webhook.id))) == 1  # bob's
    assert await count(runtime, select(func.count(Click.id))) == 1  # bob's
    async with runtime.database.sessionmaker() as session:
        tombstone = await session.scalar(select(Link).where(Link.code == "alices"))
    assert tombstone is not None
    assert (tombstone.owner_id, tombstone.long_url, tombstone.status) == (None, "", "deleted")
    assert tombstone.tag_names == []
    # Bob is untouched.
    bob_link = await client.get(
        f"/api/v1/urls/{bobs.json()['data']['short_code']}", headers=bob.headers
    )
    assert bob_link.status_code == 200


async def test_anonymous_callers_have_no_account_to_delete(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/user/account")
    assert response.status_code == 401
