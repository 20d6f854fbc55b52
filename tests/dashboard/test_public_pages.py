"""The landing page and its shorten form, CSRF, the session cookie, headers and assets."""

from __future__ import annotations

import re

import httpx

from tests.conftest import AppFactory
from tests.dashboard.conftest import NewBrowser, csrf_token, submit

SHORT_URL = re.compile(r'id="short-url" type="text" value="http://localhost:8080/([A-Za-z0-9_-]+)"')


async def test_landing_page_is_html_with_strict_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers  # plain http here
    assert '<form class="shorten card" method="post" action="/"' in response.text
    assert "<script>" not in response.text and " style=" not in response.text


async def test_anonymous_visitor_shortens_a_link(client: httpx.AsyncClient) -> None:
    response = await submit(
        client, "/", "/", {"url": "example.com/some/page", "alias": "", "expires": "7d"}
    )
    assert response.status_code == 200
    code = SHORT_URL.search(response.text)
    assert code, response.text
    assert "Expires" in response.text
    assert '<div class="qr" aria-label="QR code of the short link"><svg' in response.text
    info = await client.get(f"/api/v1/urls/{code.group(1)}")
    data = info.json()["data"]
    assert data["long_url"] == "https://example.com/some/page"  # scheme added as people expect
    assert data["owner"] is None and data["expiration_date"] is not None
    redirect = await client.get(f"/{code.group(1)}")
    assert redirect.status_code == 301
    assert "content-security-policy" not in redirect.headers  # HTML routes only


async def test_custom_alias_and_errors_in_plain_words(client: httpx.AsyncClient) -> None:
    made = await submit(client, "/", "/", {"url": "https://example.com/a", "alias": "launch"})
    assert made.status_code == 200 and "http://localhost:8080/launch" in made.text

    taken = await submit(client, "/", "/", {"url": "https://example.com/b", "alias": "launch"})
    assert taken.status_code == 409
    assert "That alias is already taken" in taken.text
    assert 'value="https://example.com/b"' in taken.text  # what was typed is kept

    invalid = await submit(client, "/", "/", {"url": "https://exa mple.com"})
    assert invalid.status_code == 400
    assert "URL must not contain whitespace" in invalid.text

    reserved = await submit(client, "/", "/", {"url": "https://example.com", "alias": "dashboard"})
    assert reserved.status_code == 400 and "reserved word" in reserved.text

    empty = await submit(client, "/", "/", {"url": ""})
    assert empty.status_code == 400 and "Paste the long URL" in empty.text


async def test_form_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, new_browser: NewBrowser
) -> None:
    await client.get("/")  # the browser has a session
    missing = await client.post("/", data={"url": "https://example.com/x", "alias": "nocsrf"})
    assert missing.status_code == 403
    assert "This form has expired" in missing.text or "Reload the page" in missing.text

    other = await new_browser()
    foreign = csrf_token((await other.get("/")).text)  # a token of another session
    stolen = await client.post("/", data={"url": "https://example.com/x", "csrf_token": foreign})
    assert stolen.status_code == 403

    lookup = await client.get("/api/v1/urls/nocsrf")
    assert lookup.status_code == 404  # nothing was created


async def test_session_cookie_is_httponly_and_lax(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("shorturl_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie
    again = await client.get("/")
    assert "set-cookie" not in again.headers  # the same session goes on


async def test_https_deployment_marks_the_cookie_secure(app_factory: AppFactory) -> None:
    async with app_factory(base_url="https://sho.rt") as (_, http):
        response = await http.get("/login")
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-shorturl=") and "Secure" in cookie
        assert "max-age=31536000" in response.headers["strict-transport-security"]


async def test_static_assets_are_cacheable_and_typed(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]+)"', page)
    assert css
    response = await client.get(css.group(1))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "immutable" in response.headers["cache-control"]
    assert "prefers-color-scheme: dark" in response.text
    revalidated = await client.get(
        css.group(1), headers={"If-None-Match": response.headers["etag"]}
    )
    assert revalidated.status_code == 304
    assert (await client.get("/static/..%2Fapp.py")).status_code == 404
    assert (await client.get("/static/nothing.css")).status_code == 404


async def test_unknown_dashboard_page_is_an_html_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/dashboard/does/not/exist")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in response.headers


async def test_anonymous_shortening_follows_the_rate_limits(app_factory: AppFactory) -> None:
    async with app_factory(rate_limit_enabled=True) as (_, http):
        for number in range(10):  # the anonymous plan: 10 creations an hour per IP
            made = await submit(http, "/", "/", {"url": f"https://example.com/{number}"})
            assert made.status_code == 200, made.text
        refused = await submit(http, "/", "/", {"url": "https://example.com/one-more"})
        assert refused.status_code == 429
        assert "10 URL creations per hour" in refused.text and "Try again in" in refused.text
        assert int(refused.headers["retry-after"]) > 0
        assert 'value="https://example.com/one-more"' in refused.text
