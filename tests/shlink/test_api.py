"""Shlink's API over HTTP: health, problem+json errors, keys, and visit counts across rollups."""

from __future__ import annotations

from typing import Any

import httpx

from shorturl.runtime import Runtime
from shorturl.worker.jobs import PeriodicJobs
from tests.analytics.conftest import UA, click, store_events
from tests.analytics.test_retention import ago, retention_jobs
from tests.conftest import Account, AppFactory

PROBLEM = "application/problem+json"


async def _key(client: httpx.AsyncClient, account: Account) -> dict[str, str]:
    created = await client.post(
        "/api/v1/user/api-keys", headers=account.headers, json={"name": "shlink"}
    )
    assert created.status_code == 201, created.text
    return {"X-Api-Key": created.json()["data"]["key"]}


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == f"https://shlink.io/api/error/{code}"
    assert body["status"] == status
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    return body


async def test_health_needs_no_key(client: httpx.AsyncClient) -> None:
    for path in ("/rest/health", "/rest/v3/health"):
        answer = await client.get(path)
        assert answer.status_code == 200
        assert answer.json()["status"] == "pass"
        assert set(answer.json()) == {"status", "version", "links"}


async def test_keys_are_required_and_checked(client: httpx.AsyncClient) -> None:
    missing = _problem(await client.get("/rest/v3/short-urls"), 401, "missing-authentication")
    assert missing["title"] == "Invalid authorization"
    wrong = await client.get("/rest/v3/short-urls", headers={"X-Api-Key": "sk_live_" + "a" * 40})
    assert _problem(wrong, 401, "invalid-api-key")["detail"] == (
        "Provided API key does not exist or is invalid."
    )
    # a bearer token is not a Shlink credential
    assert (
        await client.get("/rest/v3/tags", headers={"Authorization": "Bearer x"})
    ).status_code == 401


async def test_errors_are_problems(client: httpx.AsyncClient, account: Account) -> None:
    key = await _key(client, account)
    _problem(await client.get("/rest/v3/no-such-route", headers=key), 404, "not-found")
    missing = await client.get("/rest/v3/short-urls/nothing", headers=key)
    assert _problem(missing, 404, "short-url-not-found")["shortCode"] == "nothing"
    assert _problem(missing, 404, "short-url-not-found")["detail"] == (
        'No URL found with short code "nothing"'
    )
    not_json = await client.post(
        "/rest/v3/short-urls", headers={**key, "Content-Type": "application/json"}, content=b"{"
    )
    _problem(not_json, 400, "invalid-data")
    no_url = await client.post("/rest/v3/short-urls", headers=key, json={"title": "x"})
    assert _problem(no_url, 400, "invalid-data")["invalidElements"] == ["longUrl"]
    bad_visits = await client.post(
        "/rest/v3/short-urls", headers=key, json={"longUrl": "https://e.com", "maxVisits": 0}
    )
    assert _problem(bad_visits, 400, "invalid-data")["invalidElements"] == ["maxVisits"]
    bad_page = await client.get("/rest/v3/short-urls", headers=key, params={"itemsPerPage": 0})
    assert _problem(bad_page, 400, "invalid-data")["invalidElements"] == ["itemsPerPage"]
    bad_mode = await client.get("/rest/v3/short-urls", headers=key, params={"tagsMode": "some"})
    assert _problem(bad_mode, 400, "invalid-data")["invalidElements"] == ["tagsMode"]


async def test_created_links_are_the_keys_owners(
    client: httpx.AsyncClient, account: Account
) -> None:
    key = await _key(client, account)
    created = await client.post(
        "/rest/v3/short-urls", headers=key, json={"longUrl": "https://example.com/owned"}
    )
    assert created.status_code == 200
    code = created.json()["shortCode"]
    v1 = await client.get(f"/api/v1/urls/{code}", headers=account.headers)
    assert v1.json()["data"]["owner"]["username"] == account.username
    assert (await client.get(f"/{code}")).headers["location"] == "https://example.com/owned"


async def test_visit_counts_survive_rollups_and_retention(
    client: httpx.AsyncClient, account: Account, runtime: Runtime
) -> None:
    key = await _key(client, account)
    created = await client.post(
        "/rest/v3/short-urls",
        headers=key,
        json={"longUrl": "https://example.com/old", "tags": ["history"]},
    )
    code = created.json()["shortCode"]
    link = await runtime.resolver.resolve(code)
    link_id = link.id  # type: ignore[union-attr]
    events = [
        click(link_id, ago(10)),
        click(link_id, ago(10), ua=UA["googlebot"]),
        click(link_id, ago(10), method="HEAD"),  # never counted
        click(link_id, ago(5), ua=UA["googlebot"]),
        click(link_id, ago(0)),
        click(link_id, ago(0), ua=UA["googlebot"]),
    ]
    assert await store_events(runtime, events) == 6
    expected = {"total": 5, "nonBots": 2, "bots": 3}

    async def summaries() -> list[dict[str, int]]:
        one = (await client.get(f"/rest/v3/short-urls/{code}", headers=key)).json()
        tags = (await client.get("/rest/v3/tags/stats", headers=key)).json()["tags"]["data"]
        overview = (await client.get("/rest/v3/visits", headers=key)).json()["visits"]
        return [one["visitsSummary"], tags[0]["visitsSummary"], overview["nonOrphanVisits"]]

    assert await summaries() == [expected] * 3
    assert (await PeriodicJobs(runtime).run_once()).links_rolled_up == 1
    assert await summaries() == [expected] * 3
    assert (await retention_jobs(runtime).run_once()).clicks_deleted > 0
    assert await summaries() == [expected] * 3
    # the visits still listed: those retention kept
    listed = (await client.get(f"/rest/v3/short-urls/{code}/visits", headers=key)).json()
    assert listed["visits"]["pagination"]["totalItems"] == 2
    deleted = await client.delete(f"/rest/v3/short-urls/{code}/visits", headers=key)
    assert deleted.json() == {"deletedVisits": 5}
    assert await summaries() == [{"total": 0, "nonBots": 0, "bots": 0}] * 3


async def test_failed_keys_count_against_the_ip(app_factory: AppFactory) -> None:
    async with app_factory(rate_limit_enabled=True) as (_, http):
        statuses = [  # the anonymous plan's 100 requests an hour
            (await http.get("/rest/v3/tags", headers={"X-Api-Key": "wrong"})).status_code
            for _ in range(100)
        ]
        assert statuses[:100] == [401] * 100
        limited = await http.get("/rest/v3/tags", headers={"X-Api-Key": "wrong"})
        _problem(limited, 429, "rate-limited")
        assert "retry-after" in limited.headers


async def test_rules_made_in_api_v1_read_as_shlink_rules(
    client: httpx.AsyncClient, account: Account
) -> None:
    """ "Any of" lists become one Shlink rule per choice, in order; tablets, dates and
    any-value query parameters keep their meaning both ways."""
    rules = [
        {
            "conditions": {"os": ["ios", "android"], "country": ["FR", "BE"]},
            "long_url": "https://example.com/app-fr",
        },
        {
            "conditions": {
                "device": "tablet",
                "query": {"ref": "*"},
                "after": "2030-01-01T00:00:00Z",
            },
            "long_url": "https://example.com/tablet",
        },
    ]
    made = await client.post(
        "/api/v1/urls",
        headers=account.headers,
        json={"long_url": "https://example.com/", "rules": rules},
    )
    assert made.status_code == 201, made.text
    code, key = made.json()["data"]["short_code"], await _key(client, account)
    shown = await client.get(f"/rest/v3/short-urls/{code}/redirect-rules", headers=key)
    assert shown.status_code == 200

    def device(value: str) -> dict[str, Any]:
        return {"type": "device", "matchKey": None, "matchValue": value}

    def country(value: str) -> dict[str, Any]:
        return {"type": "geolocation-country-code", "matchKey": None, "matchValue": value}

    app_fr = "https://example.com/app-fr"
    assert shown.json()["redirectRules"] == [
        {"longUrl": app_fr, "priority": 1, "conditions": [device("ios"), country("FR")]},
        {"longUrl": app_fr, "priority": 2, "conditions": [device("ios"), country("BE")]},
        {"longUrl": app_fr, "priority": 3, "conditions": [device("android"), country("FR")]},
        {"longUrl": app_fr, "priority": 4, "conditions": [device("android"), country("BE")]},
        {
            "longUrl": "https://example.com/tablet",
            "priority": 5,
            "conditions": [
                device("tablet"),
                {"type": "any-value-query-param", "matchKey": "ref", "matchValue": None},
                {"type": "after-date", "matchKey": None, "matchValue": "2030-01-01T00:00:00Z"},
            ],
        },
    ]
    # Sent back as they were read, they mean the same: five rules of one choice each.
    again = await client.post(
        f"/rest/v3/short-urls/{code}/redirect-rules",
        headers=key,
        json={"redirectRules": shown.json()["redirectRules"]},
    )
    assert again.status_code == 200, again.text
    assert again.json()["redirectRules"] == shown.json()["redirectRules"]
    v1 = await client.get(f"/api/v1/urls/{code}", headers=account.headers)
    assert len(v1.json()["data"]["rules"]) == 5
    assert v1.json()["data"]["rules"][0]["conditions"] == {"os": ["ios"], "country": ["FR"]}


async def test_bad_shlink_rules_name_the_rule_and_store_nothing(
    client: httpx.AsyncClient, account: Account
) -> None:
    key = await _key(client, account)
    made = await client.post(
        "/rest/v3/short-urls", headers=key, json={"longUrl": "https://example.com/r"}
    )
    code = made.json()["shortCode"]
    for rule, says in (
        ({"longUrl": "https://example.com/x", "conditions": []}, "at least one condition"),
        (
            {"longUrl": "https://example.com/x", "conditions": [{"type": "browser"}]},
            "browser conditions are not supported",
        ),
        (
            {
                "longUrl": "https://example.com/x",
                "conditions": [{"type": "query-param", "matchKey": "a", "matchValue": "*"}],
            },
            "any-value-query-param",
        ),
        (
            {
                "longUrl": "https://example.com/x",
                "conditions": [{"type": "before-date", "matchKey": None, "matchValue": "soon"}],
            },
            "before",
        ),
        (
            {
                "longUrl": "http://localhost:8080/loop",
                "conditions": [{"type": "device", "matchKey": None, "matchValue": "mobile"}],
            },
            "long_url",
        ),
        (
            {
                "longUrl": "https://example.com/x",
                "conditions": [{"type": "warp-drive", "matchKey": None, "matchValue": "on"}],
            },
            "unknown condition type",
        ),
    ):
        refused = await client.post(
            f"/rest/v3/short-urls/{code}/redirect-rules",
            headers=key,
            json={"redirectRules": [{"longUrl": "https://example.com/ok", "conditions": [
                {"type": "device", "matchKey": None, "matchValue": "ios"}]}, rule]},
        )  # fmt: skip
        body = _problem(refused, 400, "invalid-data")
        assert body["invalidElements"] == ["redirectRules"]
        assert "1" in body["detail"] and says in body["detail"], body["detail"]
    shown = await client.get(f"/rest/v3/short-urls/{code}/redirect-rules", headers=key)
    assert shown.json()["redirectRules"] == []
    assert (await client.get(f"/rest/v3/short-urls/{code}", headers=key)).json()[
        "hasRedirectRules"
    ] is False
