"""Password-protected links: the form, the unlock, the throttle, and the API around them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shorturl.analytics.models import Click
from shorturl.links.models import Link
from tests.conftest import AppFactory, sign_up

TARGET = "https://example.com/secret"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


@pytest.fixture
async def proxied(app_factory: AppFactory) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """An app behind a trusted proxy (the test client's 127.0.0.1), with a signed-in user."""
    async with app_factory(trusted_proxies=["127.0.0.1"]) as (app, client):
        account = await sign_up(client, app.runtime, "pat")
        client.headers.update(account.headers)
        yield app, client


async def create(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/api/v1/urls", json={"long_url": TARGET, **body})


def from_ip(ip: str, **headers: str) -> dict[str, str]:
    return {"x-forwarded-for": ip, "user-agent": BROWSER, **headers}


async def clicks_on(app: Any, code: str) -> int:
    await app.runtime.clicks.drain(10)
    async with app.runtime.database.sessionmaker() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Click).join(Link).where(Link.code == code)
            )
            or 0
        )


async def test_the_form_then_the_right_password_redirects_and_counts_one_click(
    proxied: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = proxied
    created = await create(client, password="open sesame")
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    assert data["password_protected"] is True
    assert "password" not in data and "password_hash" not in data
    code = data["short_code"]

    page = await client.get(f"/{code}", headers=from_ip("8.8.8.8"))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-robots-tag"] == "noindex"
    assert 'name="password"' in page.text and 'method="post"' in page.text
    assert TARGET not in page.text  # the form never gives the target away
    head = await client.head(f"/{code}", headers=from_ip("8.8.8.8"))
    assert head.status_code == 200 and head.content == b""

    wrong = await client.post(f"/{code}", data={"password": "nope"}, headers=from_ip("8.8.8.8"))
    assert wrong.status_code == 401
    assert "Wrong password" in wrong.text and 'name="password"' in wrong.text
    assert wrong.headers["cache-control"] == "no-store"
    assert await clicks_on(app, code) == 0  # neither the form nor a failure is a click

    right = await client.post(
        f"/{code}", data={"password": "open sesame"}, headers=from_ip("8.8.8.8")
    )
    assert right.status_code == 302
    assert right.headers["location"] == TARGET
    assert right.headers["cache-control"] == "no-store"
    assert await clicks_on(app, code) == 1
    # the /info page tells nothing about where a protected link goes
    info = await client.get(f"/{code}/info")
    assert info.status_code == 403, info.text
    assert TARGET not in info.text


async def test_ten_failures_per_link_and_ip_then_429_even_with_the_right_password(
    proxied: tuple[Any, httpx.AsyncClient],
) -> None:
    _, client = proxied
    code = (await create(client, password="right one")).json()["data"]["short_code"]
    other = (await create(client, password="right one")).json()["data"]["short_code"]
    for _ in range(10):
        response = await client.post(
            f"/{code}", data={"password": "guess"}, headers=from_ip("81.2.69.142")
        )
        assert response.status_code == 401
    blocked = await client.post(
        f"/{code}", data={"password": "right one"}, headers=from_ip("81.2.69.142")
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert 'name="password"' in blocked.text
    # another visitor (the proxy says so), or the same one on another link, is not held back
    elsewhere = await client.post(
        f"/{code}", data={"password": "right one"}, headers=from_ip("8.8.8.8")
    )
    assert elsewhere.status_code == 302
    other_link = await client.post(
        f"/{other}", data={"password": "right one"}, headers=from_ip("81.2.69.142")
    )
    assert other_link.status_code == 302


async def test_password_null_removes_it_and_the_link_redirects_again(
    proxied: tuple[Any, httpx.AsyncClient],
) -> None:
    _, client = proxied
    code = (await create(client, password="pw")).json()["data"]["short_code"]
    assert (await client.get(f"/{code}")).status_code == 200  # the form, and now cached
    changed = await client.patch(f"/api/v1/urls/{code}", json={"password": None})
    assert changed.status_code == 200
    assert changed.json()["data"]["password_protected"] is False
    plain = await client.get(f"/{code}")
    assert plain.status_code == 301 and plain.headers["location"] == TARGET
    # a POST to a plain link is not ours to answer
    assert (await client.post(f"/{code}", data={"password": "pw"})).status_code in (404, 405)
    # and back on: an edit is seen at once
    again = await client.patch(f"/api/v1/urls/{code}", json={"password": "new"})
    assert again.json()["data"]["password_protected"] is True
    assert (await client.get(f"/{code}")).status_code == 200


async def test_bad_passwords_are_refused_and_nothing_is_stored(
    proxied: tuple[Any, httpx.AsyncClient],
) -> None:
    app, client = proxied
    too_long = await create(client, password="x" * 129, custom_alias="long-pw")
    assert too_long.status_code == 400
    error = too_long.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "password" in str(error["details"])
    assert (await client.get("/api/v1/urls/long-pw")).status_code == 404
    assert (await create(client, password="")).status_code == 400
    # anonymous links cannot be changed by anyone, so they cannot be smart either
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as nobody:
        anonymous = await nobody.post(
            "/api/v1/urls", json={"long_url": TARGET, "password": "pw", "custom_alias": "anon"}
        )
        assert anonymous.status_code == 401, anonymous.text
        assert "Sign in" in anonymous.json()["error"]["details"]
        plain = await nobody.post("/api/v1/urls", json={"long_url": TARGET, "password": None})
        assert plain.status_code == 201  # null is no password: an ordinary anonymous link
    async with app.runtime.database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Link)) == 1


async def test_a_password_protected_link_that_expired_goes_to_its_expired_redirect(
    proxied: tuple[Any, httpx.AsyncClient],
) -> None:
    _, client = proxied
    code = (
        await create(
            client, password="pw", max_clicks=1, expired_redirect="https://example.com/gone"
        )
    ).json()["data"]["short_code"]
    first = await client.post(f"/{code}", data={"password": "pw"})
    assert first.status_code == 302 and first.headers["location"] == TARGET
    spent = await client.post(f"/{code}", data={"password": "pw"})
    assert spent.status_code == 302
    assert spent.headers["location"] == "https://example.com/gone"
