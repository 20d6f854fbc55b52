"""Attack: keep using an access token after its owner revoked their tokens, or after an
administrator disabled the account and enabled it again (which revived old tokens)."""

from __future__ import annotations

import httpx

from shorturl.accounts import service as accounts
from shorturl.runtime import Runtime
from tests.conftest import MakeAccount


async def test_re_enabling_a_user_does_not_revive_old_tokens(
    client: httpx.AsyncClient, make_account: MakeAccount, runtime: Runtime
) -> None:
    alice = await make_account("alice")
    for active in (False, True):
        async with runtime.database.sessionmaker() as session:
            user = await accounts.user_by_id(session, alice.user_id)
            assert user is not None
            await accounts.set_active(session, user, active)
            await session.commit()
    stale = await client.get("/api/v1/user/profile", headers=alice.headers)
    assert stale.status_code == 401
    fresh = await client.post(
        "/api/v1/auth/login", json={"username": "alice", "password": alice.password}
    )
    token = fresh.json()["data"]["access_token"]
    profile = await client.get("/api/v1/user/profile", headers={"Authorization": f"Bearer {token}"})
    assert profile.status_code == 200


async def test_a_user_revokes_their_tokens(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice = await make_account("alice")
    key = await client.post("/api/v1/user/api-keys", json={"name": "ci"}, headers=alice.headers)
    api_key = key.json()["data"]["key"]
    revoked = await client.post("/api/v1/auth/revoke", headers=alice.headers)
    assert revoked.status_code == 200, revoked.text
    assert (await client.get("/api/v1/user/profile", headers=alice.headers)).status_code == 401
    # API keys are revoked one by one, on purpose.
    kept = await client.get("/api/v1/user/profile", headers={"X-API-Key": api_key})
    assert kept.status_code == 200
