"""Fixtures for the web UI: cookie-keeping clients that fill in forms like a browser would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from tests.conftest import Account, MakeAccount

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def submit(
    browser: httpx.AsyncClient, page: str, action: str, data: dict[str, Any]
) -> httpx.Response:
    """Open `page`, then post its form to `action` with `data` and the page's CSRF token."""
    shown = await browser.get(page)
    assert shown.status_code == 200, shown.text
    return await browser.post(action, data={"csrf_token": csrf_token(shown.text), **data})


async def web_login(browser: httpx.AsyncClient, account: Account) -> None:
    response = await submit(
        browser, "/login", "/login", {"login": account.username, "password": account.password}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"


NewBrowser = Callable[[], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def new_browser(app: Any, client: httpx.AsyncClient) -> AsyncIterator[NewBrowser]:
    """`await new_browser()`: another cookie jar on the same app (the state is wiped once, by
    `client`)."""
    async with AsyncExitStack() as stack:

        async def make() -> httpx.AsyncClient:
            return await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://testserver"
                )
            )

        yield make


SignedIn = Callable[..., Awaitable[tuple[httpx.AsyncClient, Account]]]


@pytest.fixture
def signed_in(make_account: MakeAccount, new_browser: NewBrowser) -> SignedIn:
    """`browser, account = await signed_in("bob", role="admin")`: a browser signed in."""

    async def make(username: str, **options: Any) -> tuple[httpx.AsyncClient, Account]:
        account = await make_account(username, **options)
        browser = await new_browser()
        await web_login(browser, account)
        return browser, account

    return make
