"""Analytics on the pages: the dashboard's 30-day overview and a link's report, fed by real
redirects through the click pipeline."""

from __future__ import annotations

import base64
import re

from shorturl.runtime import Runtime
from tests.analytics.conftest import IP, UA, Visit
from tests.dashboard.conftest import SignedIn
from tests.dashboard.test_link_pages import create

XSS_REFERRER = "https://evil.example/<script>alert(1)</script>"


def chart_svg(html: str, image_id: str) -> str:
    found = re.search(rf'id="{image_id}" src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert found, f"no chart {image_id}"
    svg = base64.b64decode(found.group(1)).decode()
    assert svg.startswith("<svg") and "<script" not in svg
    return svg


def stat(html: str, stat_id: str) -> str:
    found = re.search(rf'id="{stat_id}">([^<]+)<', html)
    assert found, stat_id
    return found.group(1)


async def test_link_page_reports_its_clicks(
    signed_in: SignedIn, visit: Visit, runtime: Runtime
) -> None:
    browser, _ = await signed_in("alice")
    await create(browser, url="https://example.com/launch", alias="launch")
    empty = await browser.get("/dashboard/links/launch")
    assert stat(empty.text, "period-clicks") == "0" and "No clicks yet" in empty.text

    for country, device in (("US", "mobile"), ("AU", "tablet"), ("RU", "desktop")):
        response = await visit(
            "/launch", ip=IP[country], ua=UA[device], headers={"referer": XSS_REFERRER}
        )
        assert response.status_code == 301
    await visit("/launch", ip=IP["US"], ua=UA["googlebot"])  # bots are not counted
    await runtime.clicks.drain()

    page = (await browser.get("/dashboard/links/launch")).text
    assert stat(page, "period-clicks") == "3" and stat(page, "period-unique") == "3"
    for shown in ("United States", "Australia", "Russia", "Mobile", "Tablet", "Desktop"):
        assert shown in page, shown
    assert "evil.example" in page
    assert "<script>alert(1)" not in page
    assert "https://evil.example/&lt;script&gt;alert(1)&lt;/script&gt;" in page  # recent clicks
    assert page.count('<tr>\n        <td data-label="When"') == 3
    svg = chart_svg(page, "clicks-chart")
    assert "Clicks" in svg and "Unique visitors" in svg and ">3<" in svg

    day = await browser.get("/dashboard/links/launch?period=24h")
    assert 'href="/dashboard/links/launch?period=24h#analytics" aria-current="true"' in day.text
    assert stat(day.text, "period-clicks") == "3"
    assert "per hour" in day.text
    unknown = await browser.get("/dashboard/links/launch?period=forever")
    assert (
        unknown.status_code == 200
        and 'href="/dashboard/links/launch?period=30d#analytics" aria-current' in unknown.text
    )


async def test_dashboard_overview_counts_every_link(
    signed_in: SignedIn, visit: Visit, runtime: Runtime
) -> None:
    browser, _ = await signed_in("alice")
    for alias in ("one", "two"):
        await create(browser, url=f"https://example.com/{alias}", alias=alias)
    for path, ip in (("/one", IP["US"]), ("/one", IP["AU"]), ("/two", IP["RU"])):
        assert (await visit(path, ip=ip)).status_code == 301
    await runtime.clicks.drain()

    page = (await browser.get("/dashboard")).text
    assert stat(page, "overview-clicks") == "3" and stat(page, "total-clicks") == "3"
    assert 'href="/dashboard/links/one">/one</a>' in page
    svg = chart_svg(page, "overview-chart")
    assert ">3<" in svg or ">2<" in svg
    table = (await browser.get("/dashboard?sort=clicks")).text
    assert re.findall(r'<tr data-code="([^"]+)">', table) == ["one", "two"]
    last = (await browser.get("/dashboard?sort=last_click")).text
    assert re.findall(r'<tr data-code="([^"]+)">', last) == ["two", "one"]


async def test_no_analytics_of_other_peoples_links(signed_in: SignedIn) -> None:
    alice, _ = await signed_in("alice")
    bob, _ = await signed_in("bob")
    await create(alice, url="https://example.com/a", alias="secret")
    response = await bob.get("/dashboard/links/secret?period=7d")
    assert response.status_code == 404 and "period-clicks" not in response.text


PREVIEW_AGENTS = (
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "TelegramBot (like TwitterBot)",
)


async def test_bots_previews_and_campaigns_are_shown_on_the_link_page_and_overview(
    signed_in: SignedIn, visit: Visit, runtime: Runtime
) -> None:
    browser, _ = await signed_in("alice")
    await create(browser, url="https://example.com/launch", alias="launch")
    assert (
        await visit("/launch?utm_source=news&utm_campaign=fall", ua=UA["mobile"])
    ).status_code == 301
    assert (await visit("/launch", ua=UA["googlebot"])).status_code == 301
    for agent in PREVIEW_AGENTS:
        assert (await visit("/launch", ua=agent)).status_code == 301
    await runtime.clicks.drain()

    page = (await browser.get("/dashboard/links/launch")).text
    assert stat(page, "period-clicks") == "1"
    assert stat(page, "period-bots") == "1" and stat(page, "period-previews") == "7"
    robots = page[page.index('id="robots-title"') :]
    for name in ("Googlebot (bot)", "Twitterbot (preview)", "Slackbot-LinkExpanding (preview)"):
        assert name in robots, name
    assert "news" in page and "fall" in page and "utm_campaign" in page

    overview = (await browser.get("/dashboard")).text
    assert stat(overview, "overview-clicks") == "1"
    assert stat(overview, "overview-bots") == "1" and stat(overview, "overview-previews") == "7"
    assert "Discordbot (preview)" in overview and "Googlebot (bot)" in overview


async def test_admins_see_orphan_visits(
    signed_in: SignedIn, visit: Visit, runtime: Runtime
) -> None:
    await visit("/no-such-link", ua=UA["googlebot"])
    await visit("/a/missing/<script>page", ua=UA["desktop"])
    await runtime.clicks.drain()
    admin, _ = await signed_in("root", role="admin")
    page = (await admin.get("/dashboard/admin/orphans")).text
    assert stat(page, "orphans-total") == "2"
    assert page.count('<tr data-type="') == 2
    assert "/no-such-link" in page and "Googlebot" in page
    assert "<script>page" not in page and "&lt;script&gt;page" in page
    only = (await admin.get("/dashboard/admin/orphans?type=regular_404")).text
    assert stat(only, "orphans-total") == "1" and "/no-such-link" not in only
    bad = await admin.get("/dashboard/admin/orphans?type=nope")
    assert bad.status_code == 400
    user, _ = await signed_in("bob")
    assert (await user.get("/dashboard/admin/orphans")).status_code == 403
