"""`client.webhooks` (sync and async) against a live `shorturl serve` in both modes: the whole
resource, typed results, and a signed delivery to a real local receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import shorturl
from shorturl.client.models import WebhookCreated, WebhookDelivery
from shorturl.webhooks.signing import verify
from tests.client.conftest import SdkUser
from tests.live_server import LiveServer
from tests.webhooks.conftest import SECRET, Receiver, receiving

CLOSED = "http://127.0.0.1:9/hook"  # nothing listens on the discard port


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as running:
        yield running


def test_the_whole_resource(sdk: shorturl.Client) -> None:
    created = sdk.webhooks.create(CLOSED, events=["url.created"], secret=SECRET)
    assert isinstance(created, WebhookCreated)
    assert created.secret == SECRET and created.is_active is True
    generated = sdk.webhooks.create(CLOSED, events=["url.deleted"])
    assert generated.secret.startswith("whsec_")
    assert {hook.webhook_id for hook in sdk.webhooks.list()} == {
        created.webhook_id,
        generated.webhook_id,
    }
    got = sdk.webhooks.get(created.webhook_id)
    assert (got.url, got.events, got.consecutive_failures) == (CLOSED, ["url.created"], 0)
    changed = sdk.webhooks.update(created.webhook_id, events=["url.created", "url.clicked"])
    assert changed.events == ["url.created", "url.clicked"]
    assert sdk.webhooks.update(created.webhook_id, is_active=False).disabled_at is not None

    ping = sdk.webhooks.test(created.webhook_id)
    assert isinstance(ping, WebhookDelivery)
    assert (ping.event, ping.status, ping.attempts) == ("ping", "failed", 1)
    assert ping.last_error and ping.created_at.tzinfo is not None
    again = sdk.webhooks.redeliver(created.webhook_id, ping.delivery_id)
    assert again.delivery_id != ping.delivery_id and again.payload == ping.payload
    page = sdk.webhooks.deliveries_page(created.webhook_id, limit=1)
    assert page.pagination.total == 2 and page.pagination.has_more
    walked = [item.delivery_id for item in sdk.webhooks.deliveries(created.webhook_id, page_size=1)]
    assert walked == [again.delivery_id, ping.delivery_id]

    with pytest.raises(shorturl.ValidationError) as caught:
        sdk.webhooks.create(CLOSED, events=["url.exploded"])  # type: ignore[list-item]
    assert caught.value.code == "VALIDATION_ERROR"
    with pytest.raises(shorturl.InvalidUrl):
        sdk.webhooks.create("ftp://example.com/", events=["url.created"])
    assert sdk.webhooks.delete(generated.webhook_id).webhook_id == generated.webhook_id
    with pytest.raises(shorturl.NotFound):
        sdk.webhooks.get(generated.webhook_id)
    with pytest.raises(shorturl.NotFound):
        sdk.webhooks.redeliver(created.webhook_id, "dlv_999999")


async def test_async_client_and_a_real_delivery(
    live_server: LiveServer, sdk_user: SdkUser, receiver: Receiver
) -> None:
    async with shorturl.AsyncClient(live_server.url, api_key=sdk_user.api_key) as client:
        hook = await client.webhooks.create(receiver.url, events=["url.created"], secret=SECRET)
        link = await client.urls.create(long_url="https://example.com/sdk-hook")
        [got] = await receiver.wait_for(1, "url.created")
        assert got.json["data"]["short_code"] == link.short_code
        assert verify(
            SECRET,
            got.headers["x-shorturl-timestamp"],
            got.body,
            got.headers["x-shorturl-signature"],
        )
        ping = await client.webhooks.test(hook.webhook_id)
        assert (ping.status, ping.response_status) == ("delivered", 200)
        assert (await client.webhooks.get(hook.webhook_id)).is_active is True
        log = [item async for item in client.webhooks.deliveries(hook.webhook_id)]
        assert [item.event for item in log] == ["ping", "url.created"]
        assert (await client.webhooks.redeliver(hook.webhook_id, log[1].delivery_id)).status == (
            "delivered"
        )
        updated = await client.webhooks.update(hook.webhook_id, is_active=False)
        assert updated.is_active is False
        assert (await client.webhooks.delete(hook.webhook_id)).webhook_id == hook.webhook_id
