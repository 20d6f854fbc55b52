"""Attack: keep a copy of a dashboard session cookie and use it after its owner signed out,
after they stopped using it for a day, or after "sign out everywhere"."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from shorturl.accounts.models import BrowserSession
from shorturl.runtime import Runtime
from shorturl.timestamps import utcnow
from tests.conftest import AppFactory, sign_up
from tests.dashboard.conftest import NewBrowser, SignedIn, submit, web_login

COOKIE = "shorturl_session"


async def sessions_of(runtime: Runtime, user_id: int) -> int:
    async with runtime.database.sessionmaker() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(BrowserSession)
            .where(BrowserSession.user_id == user_id)
        )
    return int(found or 0)


async def test_a_saved_cookie_is_worthless_after_sign_out(
    signed_in: SignedIn, new_browser: NewBrowser, runtime: Runtime
) -> None:
    browser, account = await signed_in("erin")
    saved = browser.cookies[COOKIE]
    assert await sessions_of(runtime, account.user_id) == 1
    out = await submit(browser, "/dashboard", "/logout", {})
    assert out.status_code == 303
    assert await sessions_of(runtime, account.user_id) == 0
    thief = await new_browser()
    thief.cookies.set(COOKIE, saved)
    replay = await thief.get("/dashboard")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/login")


async def test_an_idle_session_ends(app_factory: AppFactory) -> None:
    async with app_factory(session_idle_timeout=3600) as (app, client):
        account = await sign_up(client, app.runtime, "idle")
        await web_login(client, account)
        assert (await client.get("/dashboard")).status_code == 200
        async with app.runtime.database.sessionmaker() as session:  # 61 minutes pass
            await session.execute(
                update(BrowserSession).values(last_seen_at=utcnow() - timedelta(minutes=61))
            )
            await session.commit()
        assert (await client.get("/dashboard")).status_code == 303
        assert await sessions_of(app.runtime, account.user_id) == 0


async def test_sign_out_everywhere_ends_every_session_and_token(
    signed_in: SignedIn, new_browser: NewBrowser, client: httpx.AsyncClient
) -> None:
    laptop, account = await signed_in("gina")
    phone = await new_browser()
    await web_login(phone, account)
    assert (await client.get("/api/v1/user/profile", headers=account.headers)).status_code == 200
    page = await laptop.get("/dashboard/profile")
    assert "Sign out everywhere" in page.text
    done = await submit(laptop, "/dashboard/profile", "/dashboard/profile/sessions/revoke", {})
    assert done.status_code == 303 and done.headers["location"].startswith("/login")
    for browser in (laptop, phone):
        assert (await browser.get("/dashboard")).status_code == 303
    assert (await client.get("/api/v1/user/profile", headers=account.headers)).status_code == 401
    await web_login(phone, account)  # signing in again works
    assert (await phone.get("/dashboard")).status_code == 200


async def test_account_deletion_leaves_no_session(signed_in: SignedIn, runtime: Runtime) -> None:
    browser, account = await signed_in("hal")
    gone = await submit(
        browser,
        "/dashboard/profile",
        "/dashboard/profile/delete",
        {"current_password": account.password},
    )
    assert gone.status_code == 303
    assert await sessions_of(runtime, account.user_id) == 0
