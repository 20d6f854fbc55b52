"""`shorturl webhooks …` through Typer's runner, over the API of the live server of each
mode, with a real receiver for the test pings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import shorturl
from shorturl.cli import app as cli
from shorturl.webhooks.signing import verify
from tests.client.conftest import new_user
from tests.live_server import LiveServer
from tests.webhooks.conftest import SECRET, Receiver, receiving

runner = CliRunner()
CLOSED = "http://127.0.0.1:9/hook"  # nothing listens on the discard port


async def invoke(args: list[str], **options: Any) -> Result:
    """The CLI in a thread (it runs its own event loop), while this loop serves the receiver."""
    return await asyncio.to_thread(runner.invoke, cli, args, **options)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as running:
        yield running


async def test_create_list_test_deliveries_delete(
    live_server: LiveServer, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = new_user(live_server, "whcli")
    remote = ("--url", live_server.url, "--api-key", user.api_key)
    made = await invoke(
        ["webhooks", "create", receiver.url, "-e", "url.created", "-e", "url.clicked"]
        + ["--secret", SECRET, *remote],
    )
    assert made.exit_code == 0, made.output
    hook_id = made.stdout.strip()
    assert hook_id.startswith("wh_")
    assert f"signing secret (shown this once): {SECRET}" in made.stderr
    generated = await invoke(["webhooks", "create", CLOSED, "-e", "url.deleted", "--json", *remote])
    closed = json.loads(generated.stdout)
    assert closed["secret"].startswith("whsec_") and closed["events"] == ["url.deleted"]

    monkeypatch.setenv("SHORTURL_URL", live_server.url)  # the environment works as well
    monkeypatch.setenv("SHORTURL_API_KEY", user.api_key)
    listed = await invoke(["webhooks", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert {hook["webhook_id"] for hook in json.loads(listed.stdout)} == {
        hook_id,
        closed["webhook_id"],
    }
    table = await invoke(["webhooks", "list"], env={"COLUMNS": "200"})
    assert hook_id in table.stdout and "url.created, url.clicked" in table.stdout

    pinged = await invoke(["webhooks", "test", hook_id])
    assert pinged.exit_code == 0, pinged.output
    assert pinged.stdout.startswith("delivered (HTTP 200)")
    [got] = await receiver.wait_for(1, "ping")
    assert verify(
        SECRET, got.headers["x-shorturl-timestamp"], got.body, got.headers["x-shorturl-signature"]
    )
    failed = await invoke(["webhooks", "test", closed["webhook_id"], "--json"])
    assert failed.exit_code == 1  # the receiver did not take it
    assert json.loads(failed.stdout)["status"] == "failed"

    log = await invoke(["webhooks", "deliveries", hook_id, "--json"])
    [delivery] = json.loads(log.stdout)
    assert (delivery["event"], delivery["status"], delivery["response_status"]) == (
        "ping",
        "delivered",
        200,
    )
    every = await invoke(["webhooks", "deliveries", hook_id, "--all"], env={"COLUMNS": "200"})
    assert "1 of 1" in every.stdout and delivery["delivery_id"] in every.stdout

    deleted = await invoke(["webhooks", "delete", hook_id, "-y"])
    assert deleted.exit_code == 0 and deleted.stdout == f"deleted {hook_id}\n"
    with shorturl.Client(live_server.url, api_key=user.api_key) as client:
        assert [hook.webhook_id for hook in client.webhooks.list()] == [closed["webhook_id"]]


def test_errors_are_one_line_with_an_exit_code(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SHORTURL_URL", "SHORTURL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    user, other = new_user(live_server, "wherr"), new_user(live_server, "whother")
    remote = ("--url", live_server.url, "--api-key", user.api_key)

    local = runner.invoke(cli, ["webhooks", "list"])
    assert local.exit_code == 2 and "give --url and --api-key" in local.stderr
    bad_event = runner.invoke(cli, ["webhooks", "create", CLOSED, "-e", "url.exploded", *remote])
    assert bad_event.exit_code == 2 and "url.exploded" in bad_event.stderr
    bad_url = runner.invoke(
        cli, ["webhooks", "create", "ftp://x.org/", "-e", "url.created", *remote]
    )
    assert bad_url.exit_code == 1 and bad_url.stderr.startswith("error: INVALID_URL")

    theirs = runner.invoke(
        cli,
        ["webhooks", "create", CLOSED, "-e", "url.created", "--url", live_server.url]
        + ["--api-key", other.api_key],
    ).stdout.strip()
    for command in (["test", theirs], ["deliveries", theirs], ["delete", theirs, "-y"]):
        refused = runner.invoke(cli, ["webhooks", *command, *remote])
        assert refused.exit_code == 3, (command, refused.output)  # not yours: not found
    wrong_key = runner.invoke(
        cli, ["webhooks", "list", "--url", live_server.url, "--api-key", "sk_live_" + "x" * 40]
    )
    assert wrong_key.exit_code == 5 and "UNAUTHORIZED" in wrong_key.stderr
    kept = runner.invoke(
        cli,
        ["webhooks", "delete", theirs, "--url", live_server.url] + ["--api-key", other.api_key],
        input="n\n",
    )
    assert kept.exit_code == 1  # not confirmed: nothing deleted
    with shorturl.Client(live_server.url, api_key=other.api_key) as client:
        assert [hook.webhook_id for hook in client.webhooks.list()] == [theirs]
