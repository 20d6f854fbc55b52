"""Attack: frame the API's or the pages' responses (clickjacking), or have a browser sniff
an API answer as HTML; every response of the app must forbid both."""

from __future__ import annotations

import httpx


async def test_every_response_carries_the_headers(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/urls", "/health", "/api/v1/urls/nope", "/openapi.json", "/login"):
        response = await client.get(path)
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert "referrer-policy" in headers, path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
    # The dashboard keeps its own, stricter policy (one header, not two).
    login = await client.get("/login")
    assert login.headers.get_list("content-security-policy") == [
        login.headers["content-security-policy"]
    ]
    assert "script-src 'self'" in login.headers["content-security-policy"]
    errors = await client.post("/api/v1/urls", json={"long_url": "nope"})
    assert errors.status_code == 400
    assert errors.headers["x-frame-options"] == "DENY"


async def test_the_redirects_answers_carry_them_too(client: httpx.AsyncClient) -> None:
    """The redirect front answers before the app: its error pages and password form say
    nosniff and no framing as well. A bodiless redirect is never rendered, so it carries
    none (a measured 5% of the hot path on uvicorn), and keeps the Referer for its target."""
    made = await client.post("/api/v1/urls", json={"long_url": "https://example.com/h"})
    code = made.json()["data"]["short_code"]
    redirect = await client.get(f"/{code}")
    assert redirect.status_code in (301, 302)
    assert redirect.content == b"" and "referrer-policy" not in redirect.headers
    missing = await client.get("/no-such-code-here", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "<html" in missing.text
    for name in ("x-content-type-options", "x-frame-options", "referrer-policy"):
        assert name in missing.headers, name
    assert "frame-ancestors 'none'" in missing.headers["content-security-policy"]
