"""Redirect rules and A/B variants, driven by real requests: user agents, Accept-Language,
X-Forwarded-For from a trusted proxy, query strings; and the clicks per destination."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shorturl.analytics.enrich import visitor_hash
from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.storage.cache import CachedLink
from tests.conftest import AppFactory, sign_up

LONG = "https://example.com/default"
UA = {
    "iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "ipad": "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "linux": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
}
US, GB = "8.8.8.8", "81.2.69.142"  # where iptocc places them


def url(name: str) -> str:
    return f"https://example.com/{name}"


def now_plus(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


RULES = [
    {"conditions": {"query": {"promo": "*"}}, "long_url": url("promo")},
    {"conditions": {"os": "ios", "device": "mobile"}, "long_url": url("iphone")},
    {"conditions": {"device": "tablet"}, "long_url": url("tablet")},
    {"conditions": {"country": ["GB"], "language": "fr"}, "long_url": url("gb-fr")},
    {"conditions": {"country": "gb"}, "long_url": url("gb")},
    {"conditions": {"language": ["de", "at"]}, "long_url": url("de")},
    {"conditions": {"os": "android"}, "long_url": url("android")},
    {"conditions": {"before": now_plus(days=-1)}, "long_url": url("never")},
    {
        "conditions": {"after": now_plus(days=-1), "before": now_plus(days=1), "os": "linux"},
        "long_url": url("linux-today"),
    },
    {"conditions": {"query": {"ref": "mail"}}, "long_url": url("mail")},
]


@pytest.fixture
async def proxied(app_factory: AppFactory) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """An app behind a trusted proxy (the test client's 127.0.0.1), with a signed-in user."""
    async with app_factory(trusted_proxies=["127.0.0.1"]) as (app, client):
        account = await sign_up(client, app.runtime, "rory")
        client.headers.update(account.headers)
        yield app, client


async def visit(
    client: httpx.AsyncClient, path: str, *, ua: str, ip: str = US, language: str = "en-US"
) -> httpx.Response:
    return await client.get(
        path, headers={"user-agent": ua, "x-forwarded-for": ip, "accept-language": language}
    )


async def test_first_matching_rule_wins_else_the_long_url(
    proxied: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = proxied
    created = await client.post("/api/v1/urls", json={"long_url": LONG, "rules": RULES})
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert [rule["long_url"] for rule in data["rules"]] == [rule["long_url"] for rule in RULES]
    assert data["rules"][4]["conditions"]["country"] == ["GB"]  # one code or a list, upper case
    code = data["short_code"]
    cases = [
        ({"ua": UA["iphone"]}, url("iphone")),
        ({"ua": UA["iphone"]}, url("iphone")),  # now from the cached, compiled link
        ({"ua": UA["iphone"], "path": "?promo=1"}, url("promo")),  # earlier rule first
        ({"ua": UA["ipad"]}, url("tablet")),  # iOS, but not a phone
        ({"ua": UA["windows"], "ip": GB, "language": "fr-FR,fr;q=0.9"}, url("gb-fr")),
        ({"ua": UA["windows"], "ip": GB}, url("gb")),
        ({"ua": UA["windows"], "language": "de-AT,de;q=0.8"}, url("de")),
        ({"ua": UA["android"]}, url("android")),
        ({"ua": UA["linux"]}, url("linux-today")),
        ({"ua": UA["windows"], "path": "?ref=mail&x=1"}, url("mail")),
        ({"ua": UA["windows"], "path": "?ref=other"}, LONG),
        ({"ua": UA["windows"]}, LONG),
    ]
    for case, expected in cases:
        options = dict(case)
        path = f"/{code}{options.pop('path', '')}"
        response = await visit(client, path, **options)
        assert response.status_code == 302, (case, response.text)
        assert response.headers["location"] == expected, case
        assert response.headers["cache-control"] == "no-store"

    # every click recorded where it went; the v1 analytics count them per destination
    await app.runtime.clicks.drain(10)
    report = await client.get(f"/api/v1/urls/{code}/analytics", params={"period": "all"})
    assert report.status_code == 200, report.text
    shares = {row["destination"]: row for row in report.json()["data"]["destination_data"]}
    assert shares[url("iphone")]["clicks"] == 2
    assert shares[LONG] == {
        "destination": LONG,
        "is_default": True,
        "clicks": 2,
        "percentage": round(2 / len(cases) * 100, 2),
    }
    assert sum(row["clicks"] for row in shares.values()) == len(cases)
    assert url("never") not in shares


async def test_rules_are_compiled_once_when_the_link_is_cached(
    proxied: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = proxied
    body = {"long_url": LONG, "rules": RULES[:2]}
    code = (await client.post("/api/v1/urls", json=body)).json()["data"]["short_code"]
    await visit(client, f"/{code}", ua=UA["iphone"])
    entry = app.runtime.cache.get_local(code)
    assert isinstance(entry, CachedLink) and entry.routing is not None
    routing = entry.routing
    for _ in range(3):
        await visit(client, f"/{code}", ua=UA["windows"])
    assert app.runtime.cache.get_local(code).routing is routing  # the same compiled object
    # a plain link carries nothing to run
    plain = (await client.post("/api/v1/urls", json={"long_url": LONG})).json()["data"]
    await client.get(f"/{plain['short_code']}")
    assert app.runtime.cache.get_local(plain["short_code"]).routing is None
    # an edit replaces the compiled rules at once
    changed = await client.patch(
        f"/api/v1/urls/{code}",
        json={"rules": [{"conditions": {"os": "windows"}, "long_url": url("win")}]},
    )
    assert changed.status_code == 200, changed.text
    response = await visit(client, f"/{code}", ua=UA["windows"])
    assert response.headers["location"] == url("win")
    removed = await client.patch(f"/api/v1/urls/{code}", json={"rules": None})
    assert removed.json()["data"]["rules"] == []
    back = await visit(client, f"/{code}", ua=UA["windows"])
    assert back.status_code == 301 and back.headers["location"] == LONG


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ([{"conditions": {"devise": "mobile"}, "long_url": url("a")}], "rules.0.conditions.devise"),
        (
            [RULES[1], {"conditions": {"country": "XX"}, "long_url": url("a")}],
            "rules.1.conditions.country",
        ),
        ([{"conditions": {"device": "phone"}, "long_url": url("a")}], "rules.0.conditions.device"),
        ([{"conditions": {"language": "french"}, "long_url": url("a")}], "rules.0.conditions"),
        ([{"conditions": {}, "long_url": url("a")}], "rules.0.conditions"),
        ([{"conditions": {"os": "ios"}, "long_url": "javascript:alert(1)"}], "rules.0.long_url"),
        (
            [{"conditions": {"os": "ios"}, "long_url": "http://localhost:8080/loop"}],
            "rules.0.long_url",
        ),
        ([{"conditions": {"os": "ios"}, "long_url": url(str(i))} for i in range(21)], "rules"),
    ],
)
async def test_bad_rules_are_400_naming_the_rule_and_field_and_nothing_is_stored(
    user_client: httpx.AsyncClient, runtime: Runtime, rules: list[Any], field: str
) -> None:
    client = user_client
    response = await client.post(
        "/api/v1/urls", json={"long_url": LONG, "rules": rules, "custom_alias": "bad-rules"}
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert any(problem["field"].startswith(field) for problem in error["details"]), error
    async with runtime.database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Link)) == 0
    # nor does a bad update change the rules a link has
    code = (await client.post("/api/v1/urls", json={"long_url": LONG, "rules": RULES[:1]})).json()[
        "data"
    ]["short_code"]
    update = await client.patch(f"/api/v1/urls/{code}", json={"rules": rules})
    assert update.status_code == 400
    kept = (await client.get(f"/api/v1/urls/{code}")).json()["data"]["rules"]
    assert [rule["long_url"] for rule in kept] == [url("promo")]


@pytest.mark.parametrize(
    ("variants", "field"),
    [
        (
            [{"long_url": url("a"), "weight": 0}, {"long_url": url("b"), "weight": 1}],
            "variants.0.weight",
        ),
        (
            [{"long_url": url("a"), "weight": 50}, {"long_url": url("b"), "weight": -5}],
            "variants.1.weight",
        ),
        (
            [{"long_url": url("a"), "weight": 101}, {"long_url": url("b"), "weight": 1}],
            "variants.0.weight",
        ),
        (
            [
                {"long_url": "http://localhost:8080/x", "weight": 5},
                {"long_url": url("b"), "weight": 5},
            ],
            "variants.0.long_url",
        ),
        ([{"long_url": url("a"), "weight": 5}], "variants"),
    ],
)
async def test_bad_variants_are_400_naming_the_field(
    user_client: httpx.AsyncClient, variants: list[Any], field: str
) -> None:
    response = await user_client.post("/api/v1/urls", json={"long_url": LONG, "variants": variants})
    assert response.status_code == 400, response.text
    details = response.json()["error"]["details"]
    assert any(problem["field"].startswith(field) for problem in details), details


async def test_variants_split_visitors_by_weight_and_each_keeps_theirs_all_day(
    proxied: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = proxied
    variants = [{"long_url": url("a"), "weight": 70}, {"long_url": url("b"), "weight": 30}]
    created = await client.post("/api/v1/urls", json={"long_url": LONG, "variants": variants})
    assert created.status_code == 201, created.text
    code = created.json()["data"]["short_code"]
    seen: Counter[str] = Counter()
    for n in range(60):
        ip = f"8.8.{n // 200}.{n % 200 + 1}"
        first = await visit(client, f"/{code}", ua=UA["windows"], ip=ip)
        assert first.status_code == 302
        again = await visit(client, f"/{code}", ua=UA["windows"], ip=ip)
        assert again.headers["location"] == first.headers["location"]  # sticky
        seen[first.headers["location"]] += 1
    assert set(seen) == {url("a"), url("b")}
    assert seen[url("a")] > seen[url("b")]  # 70/30: P(not so) for 60 visitors is ~0.1%

    # the variant is the one the daily visitor id (analytics' own hash) picks
    salt = await app.routed.salts.today()
    entry = app.runtime.cache.get_local(code)
    assert isinstance(entry, CachedLink) and entry.routing is not None
    visitor = visitor_hash(salt, "8.8.0.7", UA["windows"])
    expected = entry.routing.variant_for(visitor, entry.id).url
    assert (await visit(client, f"/{code}", ua=UA["windows"], ip="8.8.0.7")).headers[
        "location"
    ] == expected

    await app.runtime.clicks.drain(10)
    report = await client.get(f"/api/v1/urls/{code}/analytics", params={"period": "all"})
    shares = {
        row["destination"]: row["clicks"] for row in report.json()["data"]["destination_data"]
    }
    assert shares == {
        url("a"): 2 * seen[url("a")] + (expected == url("a")),
        url("b"): 2 * seen[url("b")] + (expected == url("b")),
    }


async def test_rules_come_before_variants(proxied: tuple[Any, httpx.AsyncClient]) -> None:
    _, client = proxied
    body = {
        "long_url": LONG,
        "rules": [{"conditions": {"os": "android"}, "long_url": url("android")}],
        "variants": [{"long_url": url("a"), "weight": 1}, {"long_url": url("b"), "weight": 1}],
    }
    code = (await client.post("/api/v1/urls", json=body)).json()["data"]["short_code"]
    assert (await visit(client, f"/{code}", ua=UA["android"])).headers["location"] == url("android")
    assert (await visit(client, f"/{code}", ua=UA["windows"])).headers["location"] in (
        url("a"),
        url("b"),
    )


async def test_expired_and_used_up_links_go_to_their_expired_redirect(
    proxied: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = proxied
    gone = url("gone")
    code = (
        await client.post(
            "/api/v1/urls", json={"long_url": LONG, "max_clicks": 1, "expired_redirect": gone}
        )
    ).json()["data"]["short_code"]
    assert (await client.get(f"/{code}")).headers["location"] == LONG
    used_up = await client.get(f"/{code}")
    assert used_up.status_code == 302 and used_up.headers["location"] == gone
    # past its date: the same (the job that marks it expired, or the date alone)
    dated = (
        await client.post(
            "/api/v1/urls",
            json={"long_url": LONG, "expires_at": now_plus(seconds=1), "expired_redirect": gone},
        )
    ).json()["data"]["short_code"]
    async with app.runtime.database.sessionmaker() as session:
        link = await session.scalar(select(Link).where(Link.code == dated))
        assert link is not None
        link.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        await session.commit()
    await app.runtime.cache.invalidate(dated)
    assert (await client.get(f"/{dated}")).headers["location"] == gone
    # without one, still 410
    plain = (await client.post("/api/v1/urls", json={"long_url": LONG, "max_clicks": 1})).json()[
        "data"
    ]["short_code"]
    await client.get(f"/{plain}")
    assert (await client.get(f"/{plain}")).status_code == 410
    bad = await client.post(
        "/api/v1/urls", json={"long_url": LONG, "expired_redirect": "ftp://x.test/"}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["details"][0]["field"] == "expired_redirect"
