"""Sign-up, sign-in, sign-out and what ends a session."""

from __future__ import annotations

import httpx

from shorturl.accounts import service as accounts
from shorturl.runtime import Runtime
from tests.conftest import AppFactory, MakeAccount, sign_up
from tests.dashboard.conftest import NewBrowser, SignedIn, submit


async def test_sign_up_opens_a_session_on_the_dashboard(client: httpx.AsyncClient) -> None:
    before = (await client.get("/signup")).headers["set-cookie"]
    response = await submit(
        client,
        "/signup",
        "/signup",
        {"email": "Ann@Example.com", "username": "ann", "password": "long-enough-1"},
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/dashboard")
    assert response.headers["set-cookie"].split(";")[0] != before.split(";")[0]  # new session id
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert "Your links" in page.text and ">ann</a>" in page.text
    assert (await client.get("/signup")).headers["location"] == "/dashboard"


async def test_sign_up_problems_are_explained(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    await make_account("taken")
    short = await submit(
        client, "/signup", "/signup", {"email": "a@example.com", "username": "ab", "password": "x"}
    )
    assert short.status_code == 400 and "username: 3 to 32 characters" in short.text
    exists = await submit(
        client,
        "/signup",
        "/signup",
        {"email": "new@example.com", "username": "taken", "password": "long-enough-1"},
    )
    assert exists.status_code == 409 and "This username is taken" in exists.text
    assert 'value="new@example.com"' in exists.text


async def test_pages_ask_for_sign_in_and_come_back(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    account = await make_account("bob")
    response = await client.get("/dashboard?q=shoes&page=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fdashboard%3Fq%3Dshoes%26page%3D2"
    login_page = await client.get(response.headers["location"])
    assert 'name="next" value="/dashboard?q=shoes&amp;page=2"' in login_page.text
    signed = await submit(
        client,
        "/login?next=%2Fdashboard%3Fq%3Dshoes",
        "/login",
        {"login": account.email, "password": account.password, "next": "/dashboard?q=shoes"},
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/dashboard?q=shoes"


async def test_sign_in_never_redirects_off_site(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    account = await make_account("carol")
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example", "\\\\evil"):
        response = await submit(
            client,
            "/login",
            "/login",
            {"login": account.username, "password": account.password, "next": target},
        )
        assert response.headers["location"] == "/dashboard", target
        await submit(client, "/dashboard", "/logout", {})


async def test_wrong_password_says_nothing_about_the_account(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    account = await make_account("dave")
    wrong = await submit(client, "/login", "/login", {"login": "dave", "password": "nope-nope"})
    unknown = await submit(client, "/login", "/login", {"login": "zed", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong login or password" in wrong.text and "Wrong login or password" in unknown.text
    assert 'value="dave"' in wrong.text
    assert (await client.get("/dashboard")).status_code == 303
    assert account.username == "dave"


async def test_sign_out_ends_the_session(signed_in: SignedIn) -> None:
    browser, _ = await signed_in("erin")
    assert (await browser.get("/dashboard")).status_code == 200
    confirm = await browser.get("/logout")
    assert confirm.status_code == 200 and "Sign out?" in confirm.text
    out = await submit(browser, "/dashboard", "/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert (await browser.get("/dashboard")).status_code == 303


async def test_a_forged_cookie_is_just_a_new_visitor(
    signed_in: SignedIn, new_browser: NewBrowser
) -> None:
    browser, _ = await signed_in("frank")
    cookie = browser.cookies["shorturl_session"]
    header, payload, signature = cookie.split(".")
    forger = await new_browser()
    forger.cookies.set("shorturl_session", f"{header}.{payload}.{signature[:-2]}AA")
    assert (await forger.get("/dashboard")).status_code == 303
    forger.cookies.set("shorturl_session", f"{header}.{payload}.")
    assert (await forger.get("/dashboard")).status_code == 303
    # The API does not take the session cookie as a credential, nor the cookie as a token.
    api = await forger.get("/api/v1/user/profile", headers={"Authorization": f"Bearer {cookie}"})
    assert api.status_code == 401


async def test_password_change_and_disabled_account_end_other_sessions(
    signed_in: SignedIn, new_browser: NewBrowser, runtime: Runtime
) -> None:
    laptop, account = await signed_in("gina")
    phone = await new_browser()
    await submit(
        phone, "/login", "/login", {"login": account.username, "password": account.password}
    )
    changed = await submit(
        laptop,
        "/dashboard/profile",
        "/dashboard/profile/password",
        {"current_password": account.password, "password": "a-brand-new-one"},
    )
    assert changed.status_code == 303
    assert (await laptop.get("/dashboard")).status_code == 200  # this session goes on
    assert (await phone.get("/dashboard")).status_code == 303  # the other one is over

    async with runtime.database.sessionmaker() as session:
        user = await accounts.user_by_id(session, account.user_id)
        assert user is not None
        await accounts.set_active(session, user, False)
        await session.commit()
    assert (await laptop.get("/dashboard")).status_code == 303


async def test_sign_in_is_throttled_like_the_api(app_factory: AppFactory) -> None:
    async with app_factory(rate_limit_enabled=True) as (app, http):
        await sign_up(http, app.runtime, "hank")
        for _ in range(10):  # failures allowed per account in 15 minutes
            wrong = await submit(
                http, "/login", "/login", {"login": "hank", "password": "guess-1234"}
            )
            assert wrong.status_code == 401
        blocked = await submit(
            http, "/login", "/login", {"login": "hank", "password": "pw-hank-Secret!"}
        )
        assert blocked.status_code == 429
        assert "Too many failed sign-in attempts" in blocked.text and "Try again in" in blocked.text
        assert (await http.get("/dashboard")).status_code == 303
