"""Attack: many concurrent wrong-password sign-ins, and alternating username and email, to get
more guesses at one account than its budget of 10 per 15 minutes."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.conftest import AppFactory, sign_up

LIMITED = {"rate_limit_enabled": True, "fetch_metadata": False}


async def test_forty_concurrent_guesses_get_at_most_ten_tries(app_factory: AppFactory) -> None:
    async with app_factory(**LIMITED) as (app, client):
        alice = await sign_up(client, app.runtime, "alice")
        wrong = {"username": "alice", "password": "not her password"}
        answers = await asyncio.gather(
            *(client.post("/api/v1/auth/login", json=wrong) for _ in range(40))
        )
        statuses = Counter(answer.status_code for answer in answers)
        assert statuses == {401: 10, 429: 30}
        locked = await client.post(
            "/api/v1/auth/login", json={"username": "alice", "password": alice.password}
        )
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "RATE_LIMITED"


async def test_username_and_email_share_the_accounts_budget(app_factory: AppFactory) -> None:
    async with app_factory(**LIMITED) as (app, client):
        alice = await sign_up(client, app.runtime, "alice")
        for i in range(10):
            login = {"username": "alice"} if i % 2 else {"email": "ALICE@example.com"}
            response = await client.post("/api/v1/auth/login", json={**login, "password": "nope"})
            assert response.status_code == 401
        for login in ({"username": "alice"}, {"email": alice.email}):
            response = await client.post(
                "/api/v1/auth/login", json={**login, "password": alice.password}
            )
            assert response.status_code == 429, login
