"""`shorturl users …` and `shorturl keys …` against the database of each mode."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from shorturl.cli import app as cli
from tests.conftest import Backend


@pytest.fixture
def shorturl(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run the CLI on this mode's database, in a thread (it runs its own event loop)."""
    monkeypatch.setenv("SHORTURL_DATABASE_URL", backend.database_url)
    monkeypatch.delenv("SHORTURL_NEW_USER_PASSWORD", raising=False)
    runner = CliRunner()

    async def run(*args: str, input: str | None = None) -> Result:
        return await asyncio.to_thread(runner.invoke, cli, list(args), input=input)

    return run


async def test_users_commands(client: httpx.AsyncClient, shorturl: Any) -> None:
    created = await shorturl(
        "users", "create", "Ops@Example.com", "ops", "--admin", input="a long password\n" * 2
    )
    assert created.exit_code == 0, created.output
    assert "ops <ops@example.com> (admin, free)" in created.output
    assert "a long password" not in created.output
    login = await client.post(
        "/api/v1/auth/login", json={"username": "ops", "password": "a long password"}
    )
    assert login.status_code == 200
    token = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
    assert (await client.get("/api/v1/admin/users", headers=token)).status_code == 200

    duplicate = await shorturl(
        "users", "create", "ops@example.com", "ops2", input="x" * 9 + "\n" + "x" * 9 + "\n"
    )
    assert duplicate.exit_code == 1
    assert "already registered" in duplicate.output
    bad = await shorturl("users", "create", "not-an-email", "ops3", input="longenough\n" * 2)
    assert bad.exit_code == 1 and "email" in bad.output

    listed = await shorturl("users", "list", "--json")
    assert [user["username"] for user in json.loads(listed.output)] == ["ops"]
    table = await shorturl("users", "list")
    assert "ops@example.com" in table.output

    upgraded = await shorturl("users", "set-plan", "ops", "premium")
    assert upgraded.exit_code == 0 and "plan premium" in upgraded.output
    assert (await shorturl("users", "set-plan", "ops", "gold")).exit_code == 1
    assert (await shorturl("users", "set-plan", "nobody", "free")).exit_code == 1
    user_id = json.loads(listed.output)[0]["user_id"]
    demoted = await shorturl("users", "set-role", user_id, "user")
    assert "role user" in demoted.output

    assert (await shorturl("users", "disable", "ops@example.com")).exit_code == 0
    refused = await client.post(
        "/api/v1/auth/login", json={"username": "ops", "password": "a long password"}
    )
    assert refused.status_code == 401
    assert "active" in (await shorturl("users", "enable", "ops")).output


async def test_keys_commands(client: httpx.AsyncClient, shorturl: Any) -> None:
    await shorturl("users", "create", "dev@example.com", "dev", input="a long password\n" * 2)
    created = await shorturl("keys", "create", "dev", "--name", "deploy", "--read-only")
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("sk_live_")
    headers = {"X-API-Key": key}
    assert (await client.get("/api/v1/user/profile", headers=headers)).status_code == 200
    write = await client.post("/api/v1/urls", headers=headers, json={"long_url": "https://e.com/"})
    assert write.status_code == 403

    listed = await shorturl("keys", "list", "dev", "--json")
    [shown] = json.loads(listed.output)
    assert shown["name"] == "deploy" and shown["permissions"] == ["read"]
    assert key not in listed.output

    revoked = await shorturl("keys", "revoke", "dev", shown["key_id"])
    assert revoked.exit_code == 0, revoked.output
    assert (await client.get("/api/v1/user/profile", headers=headers)).status_code == 401
    assert (await shorturl("keys", "revoke", "dev", shown["key_id"])).exit_code == 1
    assert "no api keys" in (await shorturl("keys", "list", "dev")).output.lower()
