"""Webhook deliveries end to end, in both modes, to a real local receiver: signed payloads of
every event, retries with growing delays, a receiver that comes back, auto-disabling,
redelivery, test pings, one sender per delivery, and SSRF rules."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.storage.db import run_after_commit
from shorturl.timestamps import utcnow
from shorturl.webhooks.delivery import Outgoing, WebhookSender
from shorturl.webhooks.models import WebhookDelivery
from shorturl.webhooks.repository import WebhookRepository
from shorturl.webhooks.signing import sign, verify
from tests.analytics.conftest import IP, UA, visit_app
from tests.conftest import Account, AppFactory, runtime_of, sign_up
from tests.webhooks.conftest import (
    SECRET,
    Receiver,
    add_webhook,
    deliveries_of,
)

ALL = ["url.created", "url.updated", "url.deleted", "url.expired", "url.clicked"]


async def _link(client: httpx.AsyncClient, headers: dict[str, str], **body: object) -> str:
    body.setdefault("long_url", "https://example.com/page")
    response = await client.post("/api/v1/urls", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]["short_code"]


async def test_url_created_arrives_signed(
    client: httpx.AsyncClient, account: Account, receiver: Receiver
) -> None:
    hook = await add_webhook(client, account.headers, receiver.url, ["url.created"])
    code = await _link(client, account.headers, custom_alias="signed-one")
    [got] = await receiver.wait_for(1)
    headers = got.headers
    assert headers["content-type"] == "application/json"
    assert headers["x-shorturl-event"] == "url.created"
    assert headers["x-shorturl-delivery"].startswith("dlv_")
    timestamp = headers["x-shorturl-timestamp"]
    assert abs(int(timestamp) - time.time()) < 30
    assert headers["x-shorturl-signature"] == sign(SECRET, timestamp, got.body)
    assert verify(SECRET, timestamp, got.body, headers["x-shorturl-signature"])
    assert not verify("another-secret-123", timestamp, got.body, headers["x-shorturl-signature"])
    assert not verify(SECRET, timestamp, got.body + b" ", headers["x-shorturl-signature"])
    payload = got.json
    assert set(payload) == {"event", "timestamp", "data"}
    assert payload["event"] == "url.created"
    assert payload["timestamp"].endswith("Z")
    assert payload["data"] == {
        "short_code": code,
        "short_url": f"http://localhost:8080/{code}",
        "long_url": "https://example.com/page",
    }
    [logged] = await _settled(client, account, hook["webhook_id"])
    assert logged["delivery_id"] == headers["x-shorturl-delivery"]
    assert logged["status"] == "delivered"
    assert logged["attempts"] == 1
    assert logged["response_status"] == 200
    assert logged["last_error"] is None
    assert logged["delivered_at"] is not None
    assert logged["payload"] == payload


async def _settled(
    client: httpx.AsyncClient, account: Account, webhook_id: str, count: int = 1
) -> list[dict[str, object]]:
    """The delivery log once `count` deliveries have stopped being pending."""
    found: list[dict[str, object]] = []

    async def settled() -> bool:
        found[:] = await deliveries_of(client, account.headers, webhook_id)
        return len(found) >= count and all(item["status"] != "pending" for item in found)

    deadline = time.monotonic() + 15
    while not await settled():
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.05)
    return found


async def test_link_events_reach_only_subscribers_of_the_owner(
    client: httpx.AsyncClient, runtime: Runtime, account: Account, receiver: Receiver
) -> None:
    await add_webhook(client, account.headers, receiver.url, ALL)
    bob = await sign_up(client, runtime, "bob")
    await add_webhook(client, bob.headers, receiver.url + "?bob", ["url.deleted"])
    code = await _link(client, account.headers)
    patched = await client.patch(
        f"/api/v1/urls/{code}",
        json={"long_url": "https://example.com/moved"},
        headers=account.headers,
    )
    assert patched.status_code == 200
    async with runtime.database.sessionmaker() as session:  # as the periodic job does
        await session.execute(
            update(Link).where(Link.code == code).values(expires_at=utcnow() - timedelta(1))
        )
        assert await runtime.links.expire_due(session) == [code]
        await run_after_commit(session)
    deleted = await client.delete(f"/api/v1/urls/{code}", headers=account.headers)
    assert deleted.status_code == 200
    await _link(client, {}, long_url="https://example.com/anonymous")  # nobody's webhooks

    got = await receiver.wait_for(4)
    await asyncio.sleep(0.3)
    assert len(receiver.received) == 4  # nothing for bob, nothing for the anonymous link
    by_event = {item.event: item.json for item in got}
    assert sorted(by_event) == ["url.created", "url.deleted", "url.expired", "url.updated"]
    assert by_event["url.created"]["data"]["long_url"] == "https://example.com/page"
    for event in ("url.updated", "url.expired", "url.deleted"):
        assert by_event[event]["event"] == event
        assert by_event[event]["data"]["short_code"] == code
        assert by_event[event]["data"]["long_url"] == "https://example.com/moved"


async def test_clicks_arrive_without_robots_and_with_the_stored_ip(
    app: object, client: httpx.AsyncClient, runtime: Runtime, account: Account, receiver: Receiver
) -> None:
    await add_webhook(client, account.headers, receiver.url, ["url.clicked"])
    code = await _link(client, account.headers)
    await visit_app(app, f"/{code}", ip=IP["US"], headers={"referer": "https://google.com/"})
    await visit_app(app, f"/{code}", ua=UA["googlebot"])
    await visit_app(app, f"/{code}", method="HEAD")
    await runtime.clicks.drain()
    [got] = await receiver.wait_for(1, "url.clicked")
    await asyncio.sleep(0.3)
    assert len(receiver.received) == 1
    payload = got.json
    assert payload["event"] == "url.clicked"
    data = payload["data"]
    assert data["short_code"] == code
    assert data["long_url"] == "https://example.com/page"
    click = data["click_data"]
    assert click["ip_address"] == "8.8.8.0"  # IP_STORAGE=anonymized: as stored
    assert click["user_agent"] == UA["desktop"]
    assert click["referrer"] == "https://google.com/"
    assert click["country"] == "US"
    assert click["device_type"] == "desktop"


async def test_clicks_never_carry_an_address_with_ip_storage_none(
    app_factory: AppFactory, receiver: Receiver
) -> None:
    async with app_factory(ip_storage="none") as (app, client):
        runtime = app.runtime
        account = await sign_up(client, runtime, "carol")
        await add_webhook(client, account.headers, receiver.url, ["url.clicked"])
        code = await _link(client, account.headers)
        await visit_app(app, f"/{code}", ip=IP["AU"])
        await runtime.clicks.drain()
        [got] = await receiver.wait_for(1)
        assert got.json["data"]["click_data"]["ip_address"] is None
        assert got.json["data"]["click_data"]["country"] == "AU"


async def test_failures_are_retried_with_growing_delays(
    client: httpx.AsyncClient, account: Account, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503, 502]
    hook = await add_webhook(client, account.headers, receiver.url, ["url.created"])
    await _link(client, account.headers)
    got = await receiver.wait_for(4)
    ids = {item.headers["x-shorturl-delivery"] for item in got}
    assert len(ids) == 1  # one delivery, four attempts
    gaps = [later.at - earlier.at for earlier, later in zip(got, got[1:], strict=False)]
    # retry base 0.1 s (tests/conftest.py): an attempt never comes before its time
    for gap, delay in zip(gaps, (0.1, 0.2, 0.4), strict=True):
        assert gap >= delay * 0.95, gaps
    [logged] = await _settled(client, account, hook["webhook_id"])
    assert (logged["status"], logged["attempts"], logged["response_status"]) == (
        "delivered",
        4,
        200,
    )
    assert logged["last_error"] is None
    listed = await client.get(f"/api/v1/webhooks/{hook['webhook_id']}", headers=account.headers)
    assert listed.json()["data"]["consecutive_failures"] == 0


async def test_a_receiver_that_was_down_gets_every_event_once(
    client: httpx.AsyncClient, account: Account, receiver: Receiver
) -> None:
    hook = await add_webhook(client, account.headers, receiver.url, ["url.created"])
    await receiver.server.stop()
    codes = [await _link(client, account.headers) for _ in range(3)]

    async def all_failed_twice() -> bool:
        log = await deliveries_of(client, account.headers, hook["webhook_id"])
        return len(log) == 3 and all(int(item["attempts"]) >= 2 for item in log)

    deadline = time.monotonic() + 15
    while not await all_failed_twice():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    log = await deliveries_of(client, account.headers, hook["webhook_id"])
    assert all(item["status"] == "pending" and item["last_error"] for item in log)
    await receiver.server.start()  # same port
    got = await receiver.wait_for(3)
    await _settled(client, account, hook["webhook_id"], 3)
    await asyncio.sleep(0.3)
    assert len(receiver.received) == 3
    assert sorted(item.json["data"]["short_code"] for item in got) == sorted(codes)
    assert len({item.headers["x-shorturl-delivery"] for item in got}) == 3


async def test_too_many_failures_disable_the_webhook(
    client: httpx.AsyncClient,
    runtime: Runtime,
    account: Account,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On the shared app: every process on one database must agree on these settings.
    monkeypatch.setattr(runtime.settings, "webhook_disable_after", 3)
    monkeypatch.setattr(runtime.settings, "webhook_max_attempts", 20)
    receiver.status = 500
    hook = await add_webhook(client, account.headers, receiver.url, ["url.created"])
    path = f"/api/v1/webhooks/{hook['webhook_id']}"
    await _link(client, account.headers)

    async def disabled() -> bool:
        data = (await client.get(path, headers=account.headers)).json()["data"]
        return data["is_active"] is False

    deadline = time.monotonic() + 15
    while not await disabled():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    data = (await client.get(path, headers=account.headers)).json()["data"]
    assert data["consecutive_failures"] == 3 and data["disabled_at"] is not None
    assert len(receiver.received) == 3
    await asyncio.sleep(1.2)  # due retries of a disabled webhook wait
    assert len(receiver.received) == 3
    [waiting] = await deliveries_of(client, account.headers, hook["webhook_id"])
    assert (waiting["status"], waiting["attempts"]) == ("pending", 3)
    # Back on: the failures are forgotten and the pending delivery goes out.
    receiver.status = 200
    on = await client.patch(path, json={"is_active": True}, headers=account.headers)
    assert on.json()["data"]["consecutive_failures"] == 0
    await receiver.wait_for(4)
    [logged] = await _settled(client, account, hook["webhook_id"])
    assert (logged["status"], logged["attempts"]) == ("delivered", 4)


async def test_gives_up_after_the_last_attempt(
    client: httpx.AsyncClient,
    runtime: Runtime,
    account: Account,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime.settings, "webhook_max_attempts", 2)
    receiver.status = 410
    hook = await add_webhook(client, account.headers, receiver.url, ["url.created"])
    await _link(client, account.headers)
    [logged] = await _settled(client, account, hook["webhook_id"])
    assert logged["status"] == "failed"
    assert logged["attempts"] == 2
    assert logged["response_status"] == 410
    assert logged["last_error"] == "HTTP 410: receiver says no"
    assert logged["next_attempt_at"] is None
    assert len(receiver.received) == 2


async def test_redelivery_sends_the_same_payload_again(
    client: httpx.AsyncClient, account: Account, receiver: Receiver
) -> None:
    hook = await add_webhook(client, account.headers, receiver.url, ["url.created"])
    await _link(client, account.headers)
    [first] = await receiver.wait_for(1)
    [logged] = await _settled(client, account, hook["webhook_id"])
    response = await client.post(
        f"/api/v1/webhooks/{hook['webhook_id']}/deliveries/{logged['delivery_id']}/redeliver",
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    again = response.json()["data"]
    assert again["delivery_id"] != logged["delivery_id"]
    assert (again["status"], again["attempts"], again["event"]) == ("delivered", 1, "url.created")
    _, second = await receiver.wait_for(2)
    assert second.json == first.json
    assert second.headers["x-shorturl-delivery"] == again["delivery_id"]
    assert verify(
        SECRET,
        second.headers["x-shorturl-timestamp"],
        second.body,
        second.headers["x-shorturl-signature"],
    )
    assert len(await deliveries_of(client, account.headers, hook["webhook_id"])) == 2


async def test_ping_reports_how_the_receiver_answered(
    client: httpx.AsyncClient, account: Account, receiver: Receiver
) -> None:
    hook = await add_webhook(client, account.headers, receiver.url, ["url.clicked"])
    path = f"/api/v1/webhooks/{hook['webhook_id']}/test"
    response = await client.post(path, headers=account.headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["event"], data["status"], data["response_status"]) == ("ping", "delivered", 200)
    [got] = receiver.events("ping")
    assert got.json["data"]["webhook_id"] == hook["webhook_id"]
    assert verify(
        SECRET, got.headers["x-shorturl-timestamp"], got.body, got.headers["x-shorturl-signature"]
    )

    receiver.status = 500
    failed = (await client.post(path, headers=account.headers)).json()["data"]
    assert (failed["status"], failed["response_status"]) == ("failed", 500)
    await asyncio.sleep(0.5)
    assert len(receiver.events("ping")) == 2  # a ping is not retried
    shown = await client.get(f"/api/v1/webhooks/{hook['webhook_id']}", headers=account.headers)
    assert shown.json()["data"]["consecutive_failures"] == 0


async def test_ping_and_redelivery_with_an_api_key(
    client: httpx.AsyncClient, account: Account, receiver: Receiver
) -> None:
    # The first use of a key writes its last_used: the send must not wait behind that write.
    created = await client.post(
        "/api/v1/user/api-keys", json={"name": "hooks"}, headers=account.headers
    )
    headers = {"X-API-Key": created.json()["data"]["key"]}
    hook = await add_webhook(client, account.headers, receiver.url, ["url.created"])
    started = time.monotonic()
    ping = await client.post(f"/api/v1/webhooks/{hook['webhook_id']}/test", headers=headers)
    assert ping.json()["data"]["status"] == "delivered"
    again = await client.post(
        f"/api/v1/webhooks/{hook['webhook_id']}/deliveries/"
        f"{ping.json()['data']['delivery_id']}/redeliver",
        headers=headers,
    )
    assert again.json()["data"]["status"] == "delivered"
    assert time.monotonic() - started < 5  # behind the write: SQLite busy_timeout, 10 s
    assert len(receiver.events("ping")) == 2


async def test_a_delivery_is_sent_by_one_sender_at_a_time(
    client: httpx.AsyncClient, runtime: Runtime, account: Account, receiver: Receiver
) -> None:
    receiver.delay = 0.3  # the senders overlap
    hook = await add_webhook(client, account.headers, receiver.url, ["url.created"])
    webhook_id = int(hook["webhook_id"].removeprefix("wh_"))
    async with runtime.database.sessionmaker() as session:  # a due row nobody has sent yet
        [delivery_id] = await WebhookRepository(session).add_deliveries(
            [
                WebhookDelivery(
                    webhook_id=webhook_id,
                    event="url.created",
                    payload={"n": 1},
                    next_attempt_at=utcnow(),
                )
            ]
        )
        await session.commit()
    results = await asyncio.gather(*(runtime.webhooks.send(delivery_id) for _ in range(10)))
    assert len([result for result in results if result is not None]) <= 1  # the sweep may win
    await receiver.wait_for(1)
    await asyncio.sleep(0.5)
    assert len(receiver.received) == 1
    [logged] = await _settled(client, account, hook["webhook_id"])
    assert (logged["status"], logged["attempts"]) == ("delivered", 1)


async def test_a_slow_receiver_never_slows_redirects(
    app: object, client: httpx.AsyncClient, account: Account, receiver: Receiver
) -> None:
    receiver.delay = 1.5
    await add_webhook(client, account.headers, receiver.url, ["url.created", "url.clicked"])
    code = await _link(client, account.headers)
    started = time.monotonic()
    for _ in range(5):
        response = await visit_app(app, f"/{code}")
        assert response.status_code == 301
    assert time.monotonic() - started < 2.5  # waiting on the receiver: 3 × 1.5 s at least
    await receiver.wait_for(1)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/h",
        "http://[::1]/h",
        "http://localhost/h",
    ],
)
async def test_private_targets_are_refused_unless_allowed(
    app_factory: AppFactory, url: str
) -> None:
    async with app_factory(allow_private_targets=False) as (app, client):
        account = await sign_up(client, app.runtime, "frank")
        response = await client.post(
            "/api/v1/webhooks",
            json={"url": url, "events": ["url.created"]},
            headers=account.headers,
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "INVALID_URL"


async def test_the_sender_checks_addresses_at_delivery_time(receiver: Receiver) -> None:
    outgoing = Outgoing(
        url=receiver.url, secret=SECRET, delivery_id="dlv_1", event="ping", payload={"a": 1}
    )
    refusing = WebhookSender(allow_private=False, timeout=10)
    try:
        attempt = await refusing.send(outgoing)
        named = await refusing.send(
            Outgoing(
                url=receiver.server.url("/hook").replace("127.0.0.1", "localhost"),
                secret=SECRET,
                delivery_id="dlv_2",
                event="ping",
                payload={},
            )
        )
    finally:
        await refusing.aclose()
    assert not attempt.delivered and "private" in (attempt.error or "")
    assert not named.delivered and "private" in (named.error or "")
    assert receiver.received == []
    allowing = WebhookSender(allow_private=True, timeout=10)
    try:
        assert (await allowing.send(outgoing)).delivered
    finally:
        await allowing.aclose()
    assert len(receiver.received) == 1


async def test_bulk_creation_sends_one_event_per_link(
    client: httpx.AsyncClient, account: Account, receiver: Receiver
) -> None:
    hook = await add_webhook(client, account.headers, receiver.url, ["url.created"])
    items = [{"long_url": f"https://example.com/bulk/{n}"} for n in range(20)]
    response = await client.post("/api/v1/urls/bulk", json={"urls": items}, headers=account.headers)
    assert response.status_code in (200, 201, 207), response.text
    got = await receiver.wait_for(20)
    await _settled(client, account, hook["webhook_id"], 20)
    await asyncio.sleep(0.3)
    assert len(receiver.received) == 20
    assert sorted(item.json["data"]["long_url"] for item in got) == sorted(
        item["long_url"] for item in items
    )


async def test_two_processes_never_send_a_delivery_twice(
    app: object,
    client: httpx.AsyncClient,
    app_factory: AppFactory,
    receiver: Receiver,
) -> None:
    """The shared app and a second one on the same storage both sweep the same rows."""
    receiver.statuses = [503] * 10  # the first answers fail: both sweeps race for the retries
    receiver.delay = 0.05
    async with app_factory() as (_, other):
        account = await sign_up(other, runtime_of(app), "gina")
        hook = await add_webhook(other, account.headers, receiver.url, ["url.created"])
        for n in range(6):
            await _link(client if n % 2 else other, account.headers)
        await receiver.wait_for(16)  # 10 failures, then each of the six once
        log = await _settled(other, account, hook["webhook_id"], 6)
        await asyncio.sleep(0.5)
    assert all(entry["status"] == "delivered" for entry in log)
    sent = Counter(item.headers["x-shorturl-delivery"] for item in receiver.received)
    assert sent == {entry["delivery_id"]: entry["attempts"] for entry in log}  # one POST each
    assert len(receiver.received) == 16


async def test_a_slow_receiver_never_slows_the_click_worker(
    app: object, client: httpx.AsyncClient, runtime: Runtime, account: Account, receiver: Receiver
) -> None:
    receiver.delay = 1.5
    await add_webhook(client, account.headers, receiver.url, ["url.clicked"])
    code = await _link(client, account.headers)
    for _ in range(3):
        await visit_app(app, f"/{code}")
    started = time.monotonic()
    await runtime.clicks.drain()
    for _ in range(3):
        await visit_app(app, f"/{code}")
    await runtime.clicks.drain()
    assert time.monotonic() - started < 2.5  # waiting on the receiver: 3 × 1.5 s at least
    await receiver.wait_for(6, seconds=20)


async def test_old_finished_deliveries_are_pruned(
    client: httpx.AsyncClient, runtime: Runtime, account: Account, receiver: Receiver
) -> None:
    hook = await add_webhook(client, account.headers, receiver.url, ["url.created"])
    await _link(client, account.headers)
    await _link(client, account.headers)
    first, second = await _settled(client, account, hook["webhook_id"], 2)
    async with runtime.database.sessionmaker() as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == int(str(first["delivery_id"]).removeprefix("dlv_")))
            .values(created_at=utcnow() - timedelta(days=31))
        )
        await session.commit()
    await runtime.background.run_now("webhook-prune")
    log = await deliveries_of(client, account.headers, hook["webhook_id"])
    assert [entry["delivery_id"] for entry in log] == [second["delivery_id"]]
