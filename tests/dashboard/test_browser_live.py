"""Live clicks in a real browser: the link page and the overview count a redirect as it is
stored, without a reload (static/live.js over the SSE streams, under the pages' CSP)."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.analytics.conftest import UA
from tests.dashboard import test_browser as browser_tests
from tests.dashboard.browser import Server
from tests.dashboard.test_browser import create_link, sign_up

# The browser module's fixtures (one server and one chromium for this module too).
browser, new_tab, server = browser_tests.browser, browser_tests.new_tab, browser_tests.server


def test_the_link_page_and_the_overview_update_live(new_tab: callable, server: Server) -> None:
    tab = new_tab()
    page = tab.page
    sign_up(tab, "live-user")
    code = create_link(tab, "https://example.com/live", alias="live-one")
    page.goto(f"/dashboard/links/{code}")
    expect(page.locator("#analytics [data-live-status]")).to_be_visible()  # connected
    expect(page.locator("#period-clicks")).to_have_text("0")
    chart = page.locator("#clicks-chart").get_attribute("src")
    page.evaluate("window.notReloaded = true")

    visit = httpx.get(f"{server.url}/{code}", headers={"User-Agent": UA["mobile"]})
    assert visit.status_code == 301
    expect(page.locator("#period-clicks")).to_have_text("1", timeout=3000)
    # then the chart and the recent clicks are drawn again from the page itself
    expect(page.locator("#recent-clicks table.recent-clicks tbody tr")).to_have_count(
        1, timeout=6000
    )
    expect(page.locator("#recent-clicks")).to_contain_text("Mobile")
    assert page.locator("#clicks-chart").get_attribute("src") != chart
    httpx.get(f"{server.url}/{code}", headers={"User-Agent": UA["googlebot"]})  # not counted
    httpx.get(f"{server.url}/{code}", headers={"User-Agent": UA["desktop"]})
    expect(page.locator("#period-clicks")).to_have_text("2", timeout=3000)
    expect(page.locator("table.recent-clicks tbody tr").first).to_contain_text("Chrome")
    assert page.evaluate("window.notReloaded") is True
    tab.shot("live-link-page")

    page.goto("/dashboard")
    expect(page.locator("#trend-title [data-live-status]")).to_be_visible()
    expect(page.locator("#overview-clicks")).to_have_text("2")
    page.evaluate("window.notReloaded = true")
    httpx.get(f"{server.url}/{code}", headers={"User-Agent": UA["tablet"]})
    expect(page.locator("#overview-clicks")).to_have_text("3", timeout=3000)
    expect(page.locator("#total-clicks")).to_have_text("3")
    expect(page.locator("#top-links")).to_contain_text(re.compile(r"/live-one\s*3"), timeout=6000)
    assert page.evaluate("window.notReloaded") is True
    tab.shot("live-overview")
