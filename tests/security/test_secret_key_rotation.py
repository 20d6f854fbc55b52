"""Attack (on availability): rotating a leaked `SECRET_KEY` either keeps the leaked key
signing, or logs every user out and breaks every open form at once. With a list of keys
(`SECRET_KEY=new,old`) the new key signs and the old one still verifies, until dropped."""

from __future__ import annotations

import httpx
import jwt
import pytest

from shorturl.config import Settings
from shorturl.dashboard.sessions import derived_key
from tests.conftest import AppFactory, Backend, running, sign_up
from tests.dashboard.conftest import csrf_token, web_login

OLD = "old-secret-key-" + "o" * 32
NEW = "new-secret-key-" + "n" * 32
COOKIE = "shorturl_session"


def browser_on(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_old_credentials_survive_a_rotation_and_new_ones_use_the_new_key(
    app_factory: AppFactory, backend: Backend
) -> None:
    async with app_factory(secret_key=OLD) as (old_app, old_client):
        account = await sign_up(old_client, old_app.runtime, "rotor")
        await web_login(old_client, account)
        page = await old_client.get("/dashboard")
        assert page.status_code == 200
        old_csrf, old_cookie = csrf_token(page.text), old_client.cookies[COOKIE]

        async with running(backend.settings(secret_key=f"{NEW}, {OLD}")) as (app, client):
            assert app.runtime.secret_key == NEW
            profile = await client.get("/api/v1/user/profile", headers=account.headers)
            assert profile.status_code == 200, profile.text
            login = await client.post(
                "/api/v1/auth/login", json={"email": account.email, "password": account.password}
            )
            fresh = login.json()["data"]["access_token"]
            jwt.decode(fresh, NEW, algorithms=["HS256"], issuer="shorturl")  # signed with NEW

            async with browser_on(app) as browser:
                browser.cookies.set(COOKIE, old_cookie)
                dashboard = await browser.get("/dashboard")
                assert dashboard.status_code == 200  # still signed in
                resigned = dashboard.cookies.get(COOKIE)  # signed again, with the new key
                assert resigned and resigned != old_cookie
                jwt.decode(resigned, derived_key(NEW, "session"), algorithms=["HS256"])
                # a form rendered before the rotation still posts
                out = await browser.post("/logout", data={"csrf_token": old_csrf})
                assert out.status_code == 303, out.text

        async with running(backend.settings(secret_key=NEW)) as (_, client):
            dropped = await client.get("/api/v1/user/profile", headers=account.headers)
            assert dropped.status_code == 401  # the old key, once dropped, verifies nothing
            assert (
                await client.get(
                    "/api/v1/user/profile", headers={"Authorization": f"Bearer {fresh}"}
                )
            ).status_code == 200


def test_every_key_of_the_list_must_be_long() -> None:
    with pytest.raises(ValueError, match="32 characters"):
        Settings(_env_file=None, secret_key=f"{NEW},short")  # type: ignore[call-arg]
    assert Settings(_env_file=None, secret_key=f"{NEW},{OLD}").secret_keys == [NEW, OLD]  # type: ignore[call-arg]
