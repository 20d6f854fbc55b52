"""Rate limits as clients see them: headers, 429s, plans, keys, logins, redirects — both modes."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from shorturl.ratelimit.api import bucket_of
from tests.conftest import AppFactory, Backend, reset_state, running, sign_up

# No page metadata fetches: not what these tests are about, and the app's shutdown would give
# the 60 queued for new links their few seconds of grace.
LIMITED = {"rate_limit_enabled": True, "fetch_metadata": False}


def numbers(response: httpx.Response) -> tuple[int, int, int]:
    headers = response.headers
    return (
        int(headers["x-ratelimit-limit"]),
        int(headers["x-ratelimit-remaining"]),
        int(headers["x-ratelimit-reset"]),
    )


def client_at(app: Any, ip: str, **options: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver", **options)


async def test_the_61st_shorten_in_a_minute_is_429_and_redirects_still_work(
    app_factory: AppFactory,
) -> None:
    async with app_factory(**LIMITED) as (_, client):
        remaining = []
        for i in range(60):
            response = await client.post("/shorten", json={"url": f"https://example.com/{i}"})
            assert response.status_code == 201, response.text
            limit, left, reset = numbers(response)
            assert limit == 60 and 0 < reset <= 60  # seed 001: seconds until it resets
            remaining.append(left)
        assert remaining == list(range(59, -1, -1))
        refused = await client.post("/shorten", json={"url": "https://example.com/61"})
        assert refused.status_code == 429
        assert refused.json() == {"error": "Rate limit exceeded: 60 requests per minute"}
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert numbers(refused)[:2] == (60, 0)
        # The same budget covers the other seed-001 routes…
        click = await client.post("/analytics/click", params={"short_id": "abc"})
        assert click.status_code == 429
        # …but not the redirect, the health check or API v1.
        code = response.json()["short_code"]
        assert (await client.get(f"/{code}")).status_code == 301
        assert (await client.get("/health")).status_code == 200
        other = await client.post("/api/v1/urls", json={"long_url": "https://example.com/v1"})
        assert other.status_code == 201
        # Another client has its own budget.
        async with client_at(_, "198.51.100.20") as elsewhere:
            fresh = await elsewhere.post("/shorten", json={"url": "https://example.com/x"})
            assert fresh.status_code == 201
            assert numbers(fresh)[1] == 59


async def test_v1_headers_and_meta_count_down_then_429(app_factory: AppFactory) -> None:
    async with app_factory(**LIMITED) as (_, client):
        for expected in range(9, -1, -1):
            response = await client.post(
                "/api/v1/urls", json={"long_url": f"https://example.com/{expected}"}
            )
            assert response.status_code == 201
            limit, remaining, reset = numbers(response)
            assert (limit, remaining) == (10, expected)  # anonymous: 10 creations an hour
            assert reset > time.time()  # seed 003: an epoch timestamp
            assert response.json()["meta"]["rate_limit"] == {
                "limit": 10,
                "remaining": expected,
                "reset": reset,
            }
        refused = await client.post("/api/v1/urls", json={"long_url": "https://example.com/x"})
        assert refused.status_code == 429
        body = refused.json()
        assert body["error"]["code"] == "RATE_LIMITED"
        assert body["error"]["details"]["bucket"] == "create"
        assert body["meta"]["rate_limit"]["remaining"] == 0
        assert 3500 <= int(refused.headers["retry-after"]) <= 3600
        # Other requests count in their own bucket and still work.
        code = response.json()["data"]["short_code"]
        details = await client.get(f"/api/v1/urls/{code}")
        assert details.status_code == 200
        assert numbers(details)[:2] == (100, 99)
        # Even errors carry the headers.
        missing = await client.get("/api/v1/urls/nothing-here")
        assert missing.status_code == 404
        assert numbers(missing)[:2] == (100, 98)


async def test_signed_in_users_count_per_user_by_plan(app_factory: AppFactory) -> None:
    async with app_factory(**LIMITED) as (app, client):
        free = await sign_up(client, app.runtime, "alice")
        premium = await sign_up(client, app.runtime, "bob", plan="premium")
        for account, limit in ((free, 100), (premium, 1_000)):
            response = await client.post(
                "/api/v1/urls", headers=account.headers, json={"long_url": "https://example.com/"}
            )
            assert response.status_code == 201
            assert numbers(response)[:2] == (limit, limit - 1)
        # The same user from another address shares the count.
        async with client_at(app, "198.51.100.30", headers=free.headers) as elsewhere:
            again = await elsewhere.post("/api/v1/urls", json={"long_url": "https://e.com/2"})
            assert numbers(again)[:2] == (100, 98)
        profile = await client.get("/api/v1/user/profile", headers=premium.headers)
        assert numbers(profile)[:2] == (10_000, 9_999)


async def test_a_keys_own_rate_limit_replaces_the_plans(app_factory: AppFactory) -> None:
    async with app_factory(**LIMITED) as (app, client):
        alice = await sign_up(client, app.runtime, "alice")
        created = await client.post(
            "/api/v1/user/api-keys", headers=alice.headers, json={"name": "ci", "rate_limit": 3}
        )
        key = {"X-API-Key": created.json()["data"]["key"]}
        statuses = [
            (await client.get("/api/v1/user/profile", headers=key)).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        refused = await client.get("/api/v1/user/profile", headers=key)
        assert refused.json()["error"]["details"]["limit"] == 3
        # The token (and so the dashboard) is unaffected: the key has its own budget…
        assert (await client.get("/api/v1/user/profile", headers=alice.headers)).status_code == 200
        # …and creating through the key counts against the owner's plan, per user.
        made = await client.post("/api/v1/urls", headers=key, json={"long_url": "https://e.com/"})
        assert made.status_code == 201
        assert numbers(made)[:2] == (100, 99)


async def test_all_keys_of_an_account_share_its_plans_allowance(app_factory: AppFactory) -> None:
    async with app_factory(**LIMITED) as (app, client):
        alice = await sign_up(client, app.runtime, "alice")  # free: 1,000 API requests/hour
        keys = []
        for i, rate_limit in enumerate((5000, None, 5000)):
            body = {"name": f"k{i}", "rate_limit": rate_limit}
            made = await client.post("/api/v1/user/api-keys", headers=alice.headers, json=body)
            assert made.status_code == 201, made.text
            keys.append({"X-API-Key": made.json()["data"]["key"]})
        used = 3  # the creations above
        while used < 1_000:
            response = await client.get("/api/v1/user/api-keys", headers=keys[used % 3])
            assert response.status_code == 200, (used, response.text)
            used += 1
        assert numbers(response)[:2] == (1_000, 0)
        # The account's allowance is spent: every key, and the token, is refused now…
        for headers in (*keys, alice.headers):
            refused = await client.get("/api/v1/user/profile", headers=headers)
            assert refused.status_code == 429
            assert refused.json()["error"]["details"]["limit"] == 1_000
        # …while another account has its own.
        bob = await sign_up(client, app.runtime, "bob")
        assert (await client.get("/api/v1/user/profile", headers=bob.headers)).status_code == 200


async def test_failed_authentication_is_counted_against_the_ip(app_factory: AppFactory) -> None:
    async with app_factory(**LIMITED) as (_, client):
        for expected in (99, 98):
            response = await client.get(
                "/api/v1/user/profile", headers={"X-API-Key": "sk_live_" + "x" * 40}
            )
            assert response.status_code == 401
            assert numbers(response)[:2] == (100, expected)


async def test_logins_are_throttled_per_account_and_per_ip(app_factory: AppFactory) -> None:
    async with app_factory(**LIMITED) as (app, client):
        alice = await sign_up(client, app.runtime, "alice")
        bob = await sign_up(client, app.runtime, "bob")
        wrong = {"username": "alice", "password": "not her password"}
        for _ in range(10):
            assert (await client.post("/api/v1/auth/login", json=wrong)).status_code == 401
        right = {"username": "alice", "password": alice.password}
        locked = await client.post("/api/v1/auth/login", json=right)
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "RATE_LIMITED"
        assert 1 <= int(locked.headers["retry-after"]) <= 900
        # From elsewhere the account is locked too (it is the account that is being guessed)…
        async with client_at(app, "198.51.100.40") as elsewhere:
            assert (await elsewhere.post("/api/v1/auth/login", json=right)).status_code == 429
        # …while another account still signs in from the same address.
        bobs = {"username": "bob", "password": bob.password}
        assert (await client.post("/api/v1/auth/login", json=bobs)).status_code == 200
        # One IP guessing across many accounts is stopped after 30 failures.
        async with client_at(app, "198.51.100.41") as guesser:
            for i in range(30):
                attempt = {"username": f"user{i}", "password": "guess guess"}
                assert (await guesser.post("/api/v1/auth/login", json=attempt)).status_code == 401
            assert (await guesser.post("/api/v1/auth/login", json=bobs)).status_code == 429


async def test_a_successful_login_clears_the_accounts_failures(app_factory: AppFactory) -> None:
    async with app_factory(**LIMITED) as (app, client):
        alice = await sign_up(client, app.runtime, "alice")
        wrong = {"username": "alice", "password": "not her password"}
        right = {"username": "alice", "password": alice.password}
        for _ in range(9):
            await client.post("/api/v1/auth/login", json=wrong)
        assert (await client.post("/api/v1/auth/login", json=right)).status_code == 200
        for _ in range(9):
            assert (await client.post("/api/v1/auth/login", json=wrong)).status_code == 401
        assert (await client.post("/api/v1/auth/login", json=right)).status_code == 200


async def test_redirects_are_limited_per_ip(app_factory: AppFactory) -> None:
    async with app_factory(**LIMITED) as (app, client):
        assert app.runtime.limits.redirects.limit == 1_000  # the anonymous plan's, per hour
        app.runtime.limits.redirects.limit = 5
        code = (await client.post("/shorten", json={"url": "https://example.com/"})).json()[
            "short_code"
        ]
        statuses = [(await client.get(f"/{code}")).status_code for _ in range(6)]
        assert statuses == [301] * 5 + [429]
        refused = await client.get(f"/{code}")
        assert refused.json() == {"error": "Rate limit exceeded"}
        assert int(refused.headers["retry-after"]) >= 1
        page = await client.get(f"/{code}", headers={"accept": "text/html"})
        assert "Too many requests" in page.text
        async with client_at(app, "198.51.100.50") as elsewhere:
            assert (await elsewhere.get(f"/{code}")).status_code == 301


async def test_forwarded_addresses_count_only_behind_trusted_proxies(
    app_factory: AppFactory,
) -> None:
    for trusted, separate in (([], False), (["127.0.0.0/8"], True)):
        async with app_factory(**LIMITED, trusted_proxies=trusted) as (app, _):
            async with client_at(app, "127.0.0.1") as proxy:
                first = await proxy.post(
                    "/shorten",
                    json={"url": "https://example.com/"},
                    headers={"X-Forwarded-For": "203.0.113.1"},
                )
                second = await proxy.post(
                    "/shorten",
                    json={"url": "https://example.com/"},
                    headers={"X-Forwarded-For": "203.0.113.2"},
                )
            assert numbers(first)[1] == 59
            assert numbers(second)[1] == (59 if separate else 58)


async def test_limits_hold_across_two_processes_sharing_redis(scaled: Backend) -> None:
    settings = scaled.settings(**LIMITED)  # one Redis namespace for both
    async with running(settings) as (app, one), running(settings) as (_, two):
        await reset_state(app.runtime)
        for i in range(30):
            for client in (one, two):
                response = await client.post("/shorten", json={"url": f"https://e.com/{i}"})
                assert response.status_code == 201
        assert numbers(response)[1] == 0
        assert (await one.post("/shorten", json={"url": "https://e.com/x"})).status_code == 429
        assert (await two.post("/shorten", json={"url": "https://e.com/x"})).status_code == 429
        for i in range(5):
            for client in (one, two):
                created = await client.post("/api/v1/urls", json={"long_url": f"https://e.com/{i}"})
                assert created.status_code == 201
        assert numbers(created)[1] == 0
        refused = await one.post("/api/v1/urls", json={"long_url": "https://e.com/y"})
        assert refused.status_code == 429


async def test_limits_off_means_no_headers(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/urls", json={"long_url": "https://example.com/"})
    assert "x-ratelimit-limit" not in response.headers
    assert response.json()["meta"].get("rate_limit") is None


@pytest.mark.parametrize(
    ("method", "path", "bucket"),
    [
        ("POST", "/api/v1/urls", "create"),
        ("POST", "/api/v1/shorten", "create"),
        ("POST", "/api/v1/urls/bulk", "create"),
        ("GET", "/api/v1/urls", "api"),
        ("GET", "/api/v1/urls/abc123", "api"),
        ("GET", "/api/v1/urls/stats", "api"),  # the link whose code is "stats"
        ("PATCH", "/api/v1/urls/abc123", "api"),
        ("GET", "/api/v1/urls/abc123/analytics", "analytics"),
        ("GET", "/api/v1/urls/abc123/stats", "analytics"),
        ("GET", "/api/v1/urls/abc123/qr", "api"),
        ("GET", "/api/v1/analytics/summary", "analytics"),
        ("POST", "/api/v1/auth/login", "api"),
    ],
)
def test_buckets_by_route(method: str, path: str, bucket: str) -> None:
    assert bucket_of(method, path) == bucket
