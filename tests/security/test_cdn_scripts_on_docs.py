"""Attack: a compromised or hijacked CDN serves script to `/docs` and `/redoc`, which run on
the dashboard's origin (its cookies, its CSRF tokens) with no CSP to stop them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


async def test_docs_pages_load_only_same_origin_assets_under_a_csp(
    client: httpx.AsyncClient,
) -> None:
    for page in ("/docs", "/redoc"):
        response = await client.get(page)
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
        assert response.headers["x-frame-options"] == "DENY"
        assets = ASSET.findall(response.text)
        assert assets, page
        assert "<script>" not in response.text  # no inline script: the CSP forbids it
        for url in assets:
            assert not urlsplit(url).netloc, (page, url)  # same origin, no CDN
            served = await client.get(url)
            assert served.status_code == 200, url
            assert len(served.content) > 100, url
            assert served.headers["content-type"].startswith(("text/javascript", "text/css"))


async def test_the_swagger_bundle_is_the_real_one(client: httpx.AsyncClient) -> None:
    bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.content
    again = await client.get(
        "/docs/assets/swagger-ui-bundle.js", headers={"If-None-Match": bundle.headers["etag"]}
    )
    assert again.status_code == 304
    assert (await client.get("/docs/assets/nope.js")).status_code == 404
    assert b"Redoc" in (await client.get("/docs/assets/redoc.standalone.js")).content
