"""The link page's smart routing form (password, rules, A/B, expired redirect), the badges
in the links table, and the clicks per destination on the link page."""

from __future__ import annotations

import httpx

from tests.analytics.conftest import UA
from tests.dashboard.conftest import SignedIn, Visit, submit
from tests.dashboard.test_link_pages import create


async def test_routing_form_sets_rules_variants_password_and_shows_badges(
    signed_in: SignedIn, client: httpx.AsyncClient, visit: Visit, runtime
) -> None:
    browser, account = await signed_in("rita")
    code = await create(browser, url="https://example.com/home", alias="smart-page")
    page = f"/dashboard/links/{code}"
    saved = await submit(
        browser,
        page,
        f"{page}/routing",
        {
            "rule-0-os": "ios",
            "rule-0-long_url": "https://example.com/ios",
            "rule-1-country": "gb, ie",
            "rule-1-language": "en",
            "rule-1-long_url": "example.com/uk",
            "rule-2-query": "promo",
            "rule-2-after": "2020-01-01T00:00",
            "rule-2-long_url": "https://example.com/promo",
            "variant-0-long_url": "https://example.com/a",
            "variant-0-weight": "60",
            "variant-1-long_url": "https://example.com/b",
            "variant-1-weight": "40",
            "expired_redirect": "https://example.com/gone",
            "password": "",
        },
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].endswith("?routed=1#routing")
    api = (await client.get(f"/api/v1/urls/{code}", headers=account.headers)).json()["data"]
    assert [rule["conditions"] for rule in api["rules"]] == [
        {"os": ["ios"]},
        {"country": ["GB", "IE"], "language": ["en"]},
        {"query": {"promo": "*"}, "after": "2020-01-01T00:00:00Z"},
    ]
    assert api["rules"][1]["long_url"] == "https://example.com/uk"
    assert [(v["long_url"], v["weight"]) for v in api["variants"]] == [
        ("https://example.com/a", 60),
        ("https://example.com/b", 40),
    ]
    assert api["expired_redirect"] == "https://example.com/gone"
    assert api["password_protected"] is False

    ios = await visit(f"/{code}", ua=UA["mobile"])
    assert ios.headers["location"] == "https://example.com/ios"
    other = await visit(f"/{code}", ua=UA["desktop"])
    assert other.headers["location"] in ("https://example.com/a", "https://example.com/b")
    await runtime.clicks.drain(10)
    shown = await browser.get(page + "?period=all")
    assert 'id="destinations-title"' in shown.text
    assert "https://example.com/ios" in shown.text
    assert 'value="gb, ie"' not in shown.text and 'value="GB, IE"' in shown.text  # as stored
    table = await browser.get("/dashboard")
    assert ">rules</span>" in table.text

    # a password, then its removal; a bad rule is refused with the rule named, nothing changed
    locked = await submit(browser, page, f"{page}/routing", {"password": "s3cret"})
    assert locked.status_code == 303
    assert (await visit(f"/{code}")).status_code == 200  # the password form
    assert "🔒" in (await browser.get("/dashboard")).text
    bad = await submit(
        browser,
        page,
        f"{page}/routing",
        {"rule-0-country": "XX", "rule-0-long_url": "https://example.com/x"},
    )
    assert bad.status_code == 400
    assert "rules.0.conditions.country" in bad.text
    still = (await client.get(f"/api/v1/urls/{code}", headers=account.headers)).json()["data"]
    assert still["password_protected"] is True and still["rules"] == []  # the earlier save
    cleared = await submit(browser, page, f"{page}/routing", {"remove_password": "1"})
    assert cleared.status_code == 303
    assert (await visit(f"/{code}")).status_code == 301
