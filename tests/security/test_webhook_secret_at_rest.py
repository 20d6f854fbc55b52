"""Attack: read webhook secrets out of a copy of the database (a backup, a read-only SQL
injection) and forge signed deliveries; and, for the operator, rotate the key without
losing the secrets."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from shorturl.cli import app as cli
from shorturl.runtime import Runtime
from shorturl.webhooks.secret_box import SecretBox, SecretUnreadable, new_key
from shorturl.webhooks.signing import verify
from tests.conftest import Account, AppFactory, Backend, running, sign_up
from tests.webhooks.conftest import SECRET, Receiver, add_webhook


async def stored_secrets(runtime: Runtime) -> list[str]:
    async with runtime.database.engine.connect() as connection:
        rows = await connection.execute(text("SELECT secret FROM webhooks ORDER BY id"))
        return [row[0] for row in rows]


async def test_the_database_holds_no_readable_secret(
    client: httpx.AsyncClient, account: Account, receiver: Receiver, runtime: Runtime
) -> None:
    hook = await add_webhook(client, account.headers, receiver.url, ["url.clicked"])
    generated = await add_webhook(client, account.headers, receiver.url, ["url.clicked"], None)
    [sealed, sealed_generated] = await stored_secrets(runtime)
    assert sealed.startswith("fernet:") and SECRET not in sealed
    assert generated["secret"] not in sealed_generated
    # Deliveries are still signed with the secret itself.
    ping = await client.post(f"/api/v1/webhooks/{hook['webhook_id']}/test", headers=account.headers)
    assert ping.json()["data"]["status"] == "delivered"
    [got] = receiver.events("ping")
    assert verify(
        SECRET, got.headers["x-shorturl-timestamp"], got.body, got.headers["x-shorturl-signature"]
    )


async def test_keys_rotate_and_the_cli_re_encrypts(
    app_factory: AppFactory, backend: Backend, receiver: Receiver
) -> None:
    old, new = new_key(), new_key()
    async with app_factory(encryption_keys=[old]) as (app, client):
        alice = await sign_up(client, app.runtime, "alice")
        hook = await add_webhook(client, alice.headers, receiver.url, ["url.clicked"])
        [before] = await stored_secrets(app.runtime)
    assert SecretBox([old]).open(before) == SECRET
    with pytest.raises(SecretUnreadable):
        SecretBox([new]).open(before)

    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["webhooks", "reencrypt"],
        env={
            "SHORTURL_DATABASE_URL": backend.database_url,
            "SHORTURL_SECRET_KEY": "test-secret-key-" + "x" * 32,
            "SHORTURL_ENCRYPTION_KEYS": f"{new},{old}",
        },
    )
    assert result.exit_code == 0, result.output
    assert "1 webhook secret(s) re-encrypted" in result.output

    async with running(backend.settings(encryption_keys=[new])) as (app, client):  # data kept
        [after] = await stored_secrets(app.runtime)
        assert after != before and SecretBox([new]).open(after) == SECRET
        login = await client.post(
            "/api/v1/auth/login", json={"username": "alice", "password": alice.password}
        )
        headers = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
        ping = await client.post(f"/api/v1/webhooks/{hook['webhook_id']}/test", headers=headers)
        assert ping.json()["data"]["status"] == "delivered"
    [got] = receiver.events("ping")
    assert verify(
        SECRET, got.headers["x-shorturl-timestamp"], got.body, got.headers["x-shorturl-signature"]
    )


def test_secrets_stored_before_encryption_are_sealed_by_the_cli_step() -> None:
    box = SecretBox([new_key()])
    assert box.open("legacy-plain-secret") == "legacy-plain-secret"
    assert not box.is_current("legacy-plain-secret")
    sealed = box.seal("legacy-plain-secret")
    assert box.is_current(sealed) and box.open(sealed) == "legacy-plain-secret"
