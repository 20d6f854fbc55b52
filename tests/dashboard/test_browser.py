"""The web UI in a real browser (Debian's chromium through Playwright) against a real server.

One browser and one server for the module; each test opens its own context (cookie jar).
Screenshots land in tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import httpx
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

from tests.dashboard.browser import ARTIFACTS, CHROMIUM_ARGS, Server, ensure_chromium, start_server

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("browser"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = ensure_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class Tab:
    """A page of its own browser context that records CSP violations and dialogs (an XSS that
    ran would open one)."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page: Page = context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("dialog", lambda dialog: self.problems.append(f"dialog: {dialog.message}"))
        self.page.on("pageerror", lambda error: self.problems.append(f"error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(message.text)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def new_tab(browser: Browser, server: Server) -> Iterator[callable]:
    contexts: list[Tab] = []

    def make(**options: object) -> Tab:
        context = browser.new_context(
            base_url=server.url, viewport={"width": 1280, "height": 900}, **options
        )
        tab = Tab(context)
        contexts.append(tab)
        return tab

    yield make
    for tab in contexts:
        tab.context.close()
    for tab in contexts:
        # 4xx pages the tests asked for show up as failed resources; anything else is a bug.
        real = [text for text in tab.problems if "status of 4" not in text]
        assert not real, real


def sign_up(tab: Tab, username: str) -> None:
    page = tab.page
    page.goto("/signup")
    page.fill("#email", f"{username}@example.com")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard\?welcome=1$"))


def create_link(tab: Tab, url: str, **fields: str) -> str:
    page = tab.page
    page.goto("/dashboard")
    if not page.locator("#new-link details").get_attribute("open") is not None:
        page.click("#new-title")
    page.fill("#f-url", url)
    for name, value in fields.items():
        page.fill(f"#f-{name}", value)
    page.click("#new-link button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/links/[^/?]+\?created=1$"))
    return page.url.split("/dashboard/links/")[1].split("?")[0]


def test_landing_page_shortens_with_a_copy_button(new_tab: callable, server: Server) -> None:
    tab = new_tab(permissions=["clipboard-read", "clipboard-write"])
    page = tab.page
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("Short links")
    page.fill("#url", "example.com/a/rather/long/path?utm_source=newsletter")
    page.click("text=Options")
    page.fill("#alias", "hello-world")
    page.select_option("#expires", "30d")
    page.click("button:has-text('Shorten')")
    short = page.locator("#short-url")
    expect(short).to_have_value(f"{server.url}/hello-world")
    copy = page.locator("button[data-copy=short-url]")
    expect(copy).to_be_visible()  # the optional script ran under the CSP
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"{server.url}/hello-world"
    qr = Image.open(io.BytesIO(page.locator(".result .qr").screenshot()))
    assert [code.text for code in zxingcpp.read_barcodes(qr)] == [f"{server.url}/hello-world"]
    tab.shot("landing")

    page.fill("#url", "https://example.com/other")
    page.click("text=Options") if not page.locator("#alias").is_visible() else None
    page.fill("#alias", "hello-world")
    page.click("button:has-text('Shorten')")
    expect(page.locator(".notice.error")).to_contain_text("That alias is already taken")
    response = httpx.get(f"{server.url}/hello-world")
    assert response.status_code == 301


def test_form_posted_without_its_csrf_token_is_refused(new_tab: callable) -> None:
    tab = new_tab()
    page = tab.page
    page.goto("/")
    page.fill("#url", "https://example.com/forged")
    page.evaluate("document.querySelector('input[name=csrf_token]').remove()")
    page.click("button:has-text('Shorten')")
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator(".error-page")).to_contain_text("Reload the page")


def test_keys_search_filters_and_an_escaped_payload(new_tab: callable, server: Server) -> None:
    tab = new_tab()
    page = tab.page
    sign_up(tab, "browser-user")
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    code = create_link(
        tab, "https://example.com/docs", alias="handbook", tags="work, docs", description=payload
    )
    create_link(tab, "https://example.com/holiday", alias="holiday", tags="personal")
    create_link(tab, "https://example.com/recipes", alias="recipes", tags="personal")
    assert code == "handbook"

    page.goto("/dashboard/links/handbook")
    expect(page.locator(".kv")).to_contain_text(payload)
    tab.shot("link")
    page.goto("/dashboard")
    expect(page.locator("tr[data-code]")).to_have_count(3)
    tab.shot("dashboard")
    expect(page.locator("tr[data-code=handbook]")).to_contain_text(payload)  # as text, not markup
    page.fill("#q", "holi")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard\?q=holi$"))
    expect(page.locator("tr[data-code]")).to_have_count(1)
    page.goto("/dashboard")
    page.select_option("#tag", "personal")
    page.select_option("#sort", "created")
    page.select_option("#order", "asc")
    page.click("form.filters button[type=submit]")
    expect(page.locator("tr[data-code]")).to_have_count(2)
    assert page.locator("tr[data-code]").first.get_attribute("data-code") == "holiday"
    page.locator("tr[data-code=holiday] button:has-text('Disable')").click()
    expect(page.locator("tr[data-code=holiday] .badge")).to_have_text("disabled")
    assert "tag=personal" in page.url
    assert httpx.get(f"{server.url}/holiday").status_code == 404

    page.goto("/dashboard/keys")
    page.fill("#key-name", "deploy bot")
    page.click("button:has-text('Create key')")
    key = page.locator("#new-key").input_value()
    assert key.startswith("sk_live_")
    headers = {"X-API-Key": key}
    assert httpx.get(f"{server.url}/api/v1/urls", headers=headers).status_code == 200
    page.goto("/dashboard/keys")
    expect(page.locator("#new-key")).to_have_count(0)  # shown once
    page.click("button[aria-label='Revoke deploy bot']")
    expect(page.locator(".notice.success")).to_contain_text("revoked")
    assert httpx.get(f"{server.url}/api/v1/urls", headers=headers).status_code == 401


def test_admin_disables_a_link(new_tab: callable, server: Server) -> None:
    owner = new_tab()
    sign_up(owner, "link-owner")
    create_link(owner, "https://example.com/spam", alias="spammy")
    admin = new_tab()
    sign_up(admin, "the-admin")
    server.promote_to_admin("the-admin")
    page = admin.page
    page.goto("/dashboard/admin?q=spammy")
    row = page.locator("tr[data-code=spammy]")
    expect(row).to_contain_text("link-owner")
    row.locator("button:has-text('Disable')").click()
    expect(page.locator("tr[data-code=spammy] .badge")).to_have_text("disabled")
    assert httpx.get(f"{server.url}/spammy").status_code == 404
    owner.page.goto("/dashboard/admin")
    expect(owner.page.locator("h1")).to_have_text("Not allowed")
