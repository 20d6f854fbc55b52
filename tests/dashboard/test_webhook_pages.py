"""The webhooks pages: add (secret shown once), test ping, delivery log and redelivery, turn
off and on, delete; CSRF on every form; nobody reaches another user's webhooks."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.dashboard.conftest import SignedIn, submit
from tests.webhooks.conftest import Receiver, receiving

SECRET_BOX = re.compile(r'id="new-secret" type="text" value="(whsec_[A-Za-z0-9_-]+)"')
HOOK_LINK = re.compile(r'href="/dashboard/webhooks/(wh_\d+)"')


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as running:
        yield running


async def test_add_ping_redeliver_toggle_delete(
    signed_in: SignedIn, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    browser, account = await signed_in("alice")
    page = await browser.get("/dashboard/webhooks")
    assert page.status_code == 200 and "No webhooks yet" in page.text
    assert 'href="/dashboard/webhooks" aria-current="page"' in page.text
    added = await submit(
        browser,
        "/dashboard/webhooks",
        "/dashboard/webhooks",
        {"url": receiver.url, "events": ["url.created", "url.deleted"]},
    )
    assert added.status_code == 200, added.text
    assert added.headers["cache-control"] == "no-store"
    secret = SECRET_BOX.search(added.text)
    assert secret and "only time it is shown" in added.text
    listing = await browser.get("/dashboard/webhooks")
    assert secret.group(1) not in listing.text
    found = HOOK_LINK.search(listing.text)
    assert found
    hook = found.group(1)
    shown = await client.get(f"/api/v1/webhooks/{hook}", headers=account.headers)
    assert shown.json()["data"]["events"] == ["url.created", "url.deleted"]

    detail = f"/dashboard/webhooks/{hook}"
    pinged = await submit(browser, detail, f"{detail}/test", {})
    assert pinged.status_code == 303 and pinged.headers["location"] == f"{detail}?sent=delivered"
    assert [item.event for item in receiver.received] == ["ping"]
    log = await browser.get(pinged.headers["location"])
    assert "Sent: the receiver answered" in log.text
    assert '<span class="badge delivered">delivered</span>' in log.text
    redo = re.search(
        r'action="(/dashboard/webhooks/wh_\d+/deliveries/dlv_\d+/redeliver)"', log.text
    )
    assert redo
    again = await submit(browser, detail, redo.group(1), {})
    assert again.status_code == 303
    assert len(receiver.received) == 2

    receiver.status = 500
    failed = await submit(browser, detail, f"{detail}/test", {})
    assert failed.headers["location"] == f"{detail}?sent=failed"
    assert "HTTP 500" in (await browser.get(failed.headers["location"])).text

    off = await submit(browser, "/dashboard/webhooks", f"{detail}/active", {"active": "off"})
    assert off.status_code == 303
    assert "The webhook is off" in (await browser.get(off.headers["location"])).text
    assert (await client.get(f"/api/v1/webhooks/{hook}", headers=account.headers)).json()["data"][
        "is_active"
    ] is False
    on = await submit(browser, "/dashboard/webhooks", f"{detail}/active", {"active": "on"})
    assert "on again" in (await browser.get(on.headers["location"])).text

    deleted = await submit(browser, "/dashboard/webhooks", f"{detail}/delete", {})
    assert deleted.status_code == 303
    assert "The webhook was deleted" in (await browser.get(deleted.headers["location"])).text
    gone = await client.get(f"/api/v1/webhooks/{hook}", headers=account.headers)
    assert gone.status_code == 404


async def test_problems_are_shown_on_the_form(signed_in: SignedIn) -> None:
    browser, _ = await signed_in("alice")
    no_events = await submit(
        browser, "/dashboard/webhooks", "/dashboard/webhooks", {"url": "https://e.com/hook"}
    )
    assert no_events.status_code == 400
    assert "at least one event" in no_events.text
    assert 'value="https://e.com/hook"' in no_events.text  # kept for another try
    bad_url = await submit(
        browser,
        "/dashboard/webhooks",
        "/dashboard/webhooks",
        {"url": "ftp://e.com/", "events": ["url.created"]},
    )
    assert bad_url.status_code == 400
    missing = await browser.post(
        "/dashboard/webhooks", data={"url": "https://e.com/h", "events": ["url.created"]}
    )
    assert missing.status_code == 403


async def test_other_peoples_webhooks_are_not_found(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    alice, alice_account = await signed_in("alice")
    bob, _ = await signed_in("bob")
    await submit(
        alice,
        "/dashboard/webhooks",
        "/dashboard/webhooks",
        {"url": "https://e.com/hook", "events": ["url.created"]},
    )
    found = HOOK_LINK.search((await alice.get("/dashboard/webhooks")).text)
    assert found
    detail = f"/dashboard/webhooks/{found.group(1)}"
    assert (await bob.get(detail)).status_code == 404
    for action in ("test", "delete", "active"):
        response = await submit(bob, "/dashboard/webhooks", f"{detail}/{action}", {"active": "off"})
        assert response.status_code == 404, action
    assert found.group(1) not in (await bob.get("/dashboard/webhooks")).text
    mine = await client.get(f"/api/v1/webhooks/{found.group(1)}", headers=alice_account.headers)
    assert mine.json()["data"]["is_active"] is True
