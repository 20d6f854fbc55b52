"""Attack: flood the dashboard's sign-up form from one address (each sign-up costs the
server a password hash, and fills the user table)."""

from __future__ import annotations

from tests.conftest import AppFactory
from tests.dashboard.conftest import submit


async def test_sign_ups_are_limited_per_ip(app_factory: AppFactory) -> None:
    async with app_factory(rate_limit_enabled=True, fetch_metadata=False) as (_, client):
        for i in range(10):
            form = {"email": f"u{i}@example.com", "username": f"user{i}", "password": "pw-long-1"}
            done = await submit(client, "/signup", "/signup", form)
            assert done.status_code == 303, done.text
            await submit(client, "/dashboard", "/logout", {})
        form = {"email": "u10@example.com", "username": "user10", "password": "pw-long-1"}
        refused = await submit(client, "/signup", "/signup", form)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
