"""The webhooks API (seed 003): create, list, read, change, delete; validation in the error
envelope (never 422/500); every user sees and manages only their own webhooks."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from shorturl.runtime import Runtime
from shorturl.webhooks.models import Webhook
from tests.conftest import Account, MakeAccount
from tests.webhooks.conftest import SECRET, add_webhook

HOOK = "https://hooks.example.com/shorturl"


async def test_create_list_get_delete(client: httpx.AsyncClient, account: Account) -> None:
    created = await add_webhook(client, account.headers, HOOK, ["url.created", "url.clicked"])
    assert created["webhook_id"].startswith("wh_")
    assert created["url"] == HOOK
    assert created["events"] == ["url.created", "url.clicked"]
    assert created["secret"] == SECRET
    assert created["is_active"] is True and created["consecutive_failures"] == 0
    webhook_id = created["webhook_id"]

    listed = await client.get("/api/v1/webhooks", headers=account.headers)
    assert listed.status_code == 200
    assert listed.json()["success"] is True
    [shown] = listed.json()["data"]["webhooks"]
    assert shown["webhook_id"] == webhook_id
    assert "secret" not in shown  # shown once, at creation

    one = await client.get(f"/api/v1/webhooks/{webhook_id}", headers=account.headers)
    assert one.json()["data"]["url"] == HOOK

    deleted = await client.delete(f"/api/v1/webhooks/{webhook_id}", headers=account.headers)
    assert deleted.status_code == 200
    assert deleted.json()["data"] == {"message": "Webhook deleted", "webhook_id": webhook_id}
    gone = await client.get(f"/api/v1/webhooks/{webhook_id}", headers=account.headers)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "NOT_FOUND"


async def test_a_secret_is_generated_when_not_given(
    client: httpx.AsyncClient, account: Account
) -> None:
    created = await add_webhook(client, account.headers, HOOK, ["url.created"], secret=None)
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 30
    other = await add_webhook(client, account.headers, HOOK, ["url.created"], secret=None)
    assert other["secret"] != created["secret"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": HOOK, "events": ["url.exploded"]}, "VALIDATION_ERROR"),
        ({"url": HOOK, "events": []}, "VALIDATION_ERROR"),
        ({"url": HOOK, "events": "url.created"}, "VALIDATION_ERROR"),
        ({"url": HOOK, "events": [1]}, "VALIDATION_ERROR"),
        ({"url": HOOK}, "VALIDATION_ERROR"),
        ({"events": ["url.created"]}, "VALIDATION_ERROR"),
        ({"url": HOOK, "events": ["url.created"], "secret": "short"}, "VALIDATION_ERROR"),
        ({"url": HOOK, "events": ["url.created"], "secret": "x" * 300}, "VALIDATION_ERROR"),
        ({"url": "ftp://example.com/x", "events": ["url.created"]}, "INVALID_URL"),
        ({"url": "not a url", "events": ["url.created"]}, "INVALID_URL"),
        ({"url": "https://user:pw@example.com/", "events": ["url.created"]}, "INVALID_URL"),
        ({"url": "http://localhost:8080/x", "events": ["url.created"]}, "INVALID_URL"),
        ({"url": 42, "events": ["url.created"]}, "VALIDATION_ERROR"),
        ([], "VALIDATION_ERROR"),
    ],
)
async def test_bad_input_is_a_400_in_the_envelope(
    client: httpx.AsyncClient, account: Account, body: object, code: str
) -> None:
    response = await client.post("/api/v1/webhooks", json=body, headers=account.headers)
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["success"] is False
    assert payload["error"]["code"] == code
    assert "request_id" in payload["meta"]


async def test_unknown_events_are_named(client: httpx.AsyncClient, account: Account) -> None:
    response = await client.post(
        "/api/v1/webhooks",
        json={"url": HOOK, "events": ["url.created", "link.eaten"]},
        headers=account.headers,
    )
    error = response.json()["error"]
    assert error["message"] == "Unknown event 'link.eaten'"
    assert "url.clicked" in error["details"]["allowed"]


async def test_not_json_and_bad_ids(client: httpx.AsyncClient, account: Account) -> None:
    response = await client.post(
        "/api/v1/webhooks",
        content=b"{nope",
        headers={**account.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    for path in (
        "/api/v1/webhooks/wh_x",
        "/api/v1/webhooks/99999999999999999999",
        "/api/v1/webhooks/wh_0",
    ):
        response = await client.get(path, headers=account.headers)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "NOT_FOUND"
    created = await add_webhook(client, account.headers, HOOK, ["url.created"])
    for path in ("deliveries/dlv_x/redeliver", "deliveries/dlv_123/redeliver"):
        response = await client.post(
            f"/api/v1/webhooks/{created['webhook_id']}/{path}", headers=account.headers
        )
        assert response.status_code == 404, path
    bad_page = await client.get(
        f"/api/v1/webhooks/{created['webhook_id']}/deliveries?limit=0", headers=account.headers
    )
    assert bad_page.status_code == 400
    bad_patch = await client.patch(
        f"/api/v1/webhooks/{created['webhook_id']}",
        json={"is_active": "sometimes"},
        headers=account.headers,
    )
    assert bad_patch.status_code == 400


async def test_sign_in_is_required(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/api/v1/webhooks"),
        ("POST", "/api/v1/webhooks"),
        ("GET", "/api/v1/webhooks/wh_1"),
        ("DELETE", "/api/v1/webhooks/wh_1"),
        ("POST", "/api/v1/webhooks/wh_1/test"),
    ]:
        response = await client.request(method, path, json={"url": HOOK, "events": ["url.created"]})
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "UNAUTHORIZED"


async def test_nobody_reaches_another_users_webhooks(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice, bob = await make_account("alice"), await make_account("bob")
    hook = await add_webhook(client, alice.headers, HOOK, ["url.created"])
    path = f"/api/v1/webhooks/{hook['webhook_id']}"
    ping = await client.post(f"{path}/test", headers=alice.headers)  # a delivery to aim at
    delivery_id = ping.json()["data"]["delivery_id"]

    attempts = [
        ("GET", path, None),
        ("PATCH", path, {"events": ["url.deleted"]}),
        ("DELETE", path, None),
        ("POST", f"{path}/test", None),
        ("GET", f"{path}/deliveries", None),
        ("POST", f"{path}/deliveries/{delivery_id}/redeliver", None),
    ]
    for method, url, body in attempts:
        response = await client.request(method, url, json=body, headers=bob.headers)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["error"]["code"] == "NOT_FOUND"
    listed = await client.get("/api/v1/webhooks", headers=bob.headers)
    assert listed.json()["data"]["webhooks"] == []
    # Alice's webhook is untouched.
    mine = await client.get(path, headers=alice.headers)
    assert mine.json()["data"]["events"] == ["url.created"]
    # A delivery of one webhook cannot be replayed through another of one's own.
    bobs = await add_webhook(client, bob.headers, HOOK, ["url.created"])
    response = await client.post(
        f"/api/v1/webhooks/{bobs['webhook_id']}/deliveries/{delivery_id}/redeliver",
        headers=bob.headers,
    )
    assert response.status_code == 404


async def test_patch_changes_and_reenabling_clears_failures(
    client: httpx.AsyncClient, runtime: Runtime, account: Account
) -> None:
    hook = await add_webhook(client, account.headers, HOOK, ["url.created"])
    path = f"/api/v1/webhooks/{hook['webhook_id']}"
    changed = await client.patch(
        path,
        json={"events": ["url.deleted", "url.expired"], "url": "https://other.example.org/h"},
        headers=account.headers,
    )
    assert changed.status_code == 200, changed.text
    data = changed.json()["data"]
    assert data["events"] == ["url.deleted", "url.expired"]
    assert data["url"] == "https://other.example.org/h"

    off = await client.patch(path, json={"is_active": False}, headers=account.headers)
    assert off.json()["data"]["is_active"] is False
    assert off.json()["data"]["disabled_at"] is not None
    async with runtime.database.sessionmaker() as session:
        await session.execute(update(Webhook).values(consecutive_failures=7))
        await session.commit()
    on = await client.patch(path, json={"is_active": True}, headers=account.headers)
    assert on.json()["data"]["is_active"] is True
    assert on.json()["data"]["consecutive_failures"] == 0
    assert on.json()["data"]["disabled_at"] is None

    bad = await client.patch(path, json={"events": ["nope"]}, headers=account.headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_openapi_documents_the_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in (
        "/api/v1/webhooks",
        "/api/v1/webhooks/{webhook_id}",
        "/api/v1/webhooks/{webhook_id}/test",
        "/api/v1/webhooks/{webhook_id}/deliveries",
        "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    ):
        assert path in spec["paths"], path
    assert "WebhookCreate" in spec["components"]["schemas"]
    create = spec["paths"]["/api/v1/webhooks"]["post"]["responses"]
    assert create["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
    assert {"201", "400", "401", "403", "404", "429"} <= set(create)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"events": None, "url": None, "is_active": None},
    ],
)
async def test_an_empty_patch_changes_nothing(
    client: httpx.AsyncClient, account: Account, body: dict[str, object]
) -> None:
    hook = await add_webhook(client, account.headers, HOOK, ["url.created"])
    path = f"/api/v1/webhooks/{hook['webhook_id']}"
    response = await client.patch(path, json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["events"] == ["url.created"]
    assert response.json()["data"]["url"] == HOOK


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PATCH", "", {"url": ""}),
        ("PATCH", "", {"events": ["url.created"] * 11}),
        ("PATCH", "", {"secret": "tiny"}),
        ("PATCH", "", "not an object"),
        ("GET", "/deliveries?page=0", None),
        ("GET", "/deliveries?limit=101", None),
        ("GET", "/deliveries?offset=-1", None),
    ],
)
async def test_more_bad_input_is_a_400(
    client: httpx.AsyncClient, account: Account, method: str, suffix: str, body: object
) -> None:
    hook = await add_webhook(client, account.headers, HOOK, ["url.created"])
    response = await client.request(
        method, f"/api/v1/webhooks/{hook['webhook_id']}{suffix}", json=body, headers=account.headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] in ("VALIDATION_ERROR", "INVALID_URL")


async def test_a_read_only_key_reads_but_does_not_write(
    client: httpx.AsyncClient, account: Account
) -> None:
    hook = await add_webhook(client, account.headers, HOOK, ["url.created"])
    created = await client.post(
        "/api/v1/user/api-keys",
        json={"name": "ro", "permissions": ["read"]},
        headers=account.headers,
    )
    read_only = {"X-API-Key": created.json()["data"]["key"]}
    listed = await client.get("/api/v1/webhooks", headers=read_only)
    assert [item["webhook_id"] for item in listed.json()["data"]["webhooks"]] == [
        hook["webhook_id"]
    ]
    refused = await client.delete(f"/api/v1/webhooks/{hook['webhook_id']}", headers=read_only)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "FORBIDDEN"
