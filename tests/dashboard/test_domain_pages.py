"""Short domains in the dashboard: the create form offers them, the table and the link page
name them, and the same code on two domains opens, edits and deletes the right link."""

from __future__ import annotations

import httpx

from tests.dashboard.conftest import SignedIn, submit

GO = "go.example.com"


async def test_a_link_made_on_another_domain_is_managed_there(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    browser, _ = await signed_in("alice")
    plain = await browser.get("/dashboard")
    assert 'name="domain"' not in plain.text  # only the default domain: no choice to make

    _, root = await signed_in("root", role="admin")
    added = await client.post("/api/v1/domains", headers=root.headers, json={"host": GO})
    assert added.status_code == 201, added.text
    form = await browser.get("/dashboard")
    assert f'<option value="{GO}">{GO}</option>' in form.text

    made = []
    for domain, url in (("", "https://example.com/home"), (GO, "https://example.com/go")):
        response = await submit(
            browser, "/dashboard", "/dashboard/links",
            {"url": url, "alias": "promo", "domain": domain},
        )  # fmt: skip
        assert response.status_code == 303, response.text
        made.append(response.headers["location"])
    assert made == [
        "/dashboard/links/promo?created=1",
        f"/dashboard/links/promo?domain={GO}&created=1",
    ]

    table = await browser.get("/dashboard")
    assert f'href="/dashboard/links/promo?domain={GO}"><span class="muted">{GO}</span>/promo' in (
        table.text
    )
    page = await browser.get(f"/dashboard/links/promo?domain={GO}")
    assert page.status_code == 200
    assert f"http://{GO}/promo" in page.text and "https://example.com/go" in page.text
    assert f'action="/dashboard/links/promo?domain={GO}"' in page.text
    assert f"/api/v1/qr/promo?domain={GO}&amp;format=svg" in page.text

    saved = await submit(
        browser, f"/dashboard/links/promo?domain={GO}", f"/dashboard/links/promo?domain={GO}",
        {"url": "https://example.com/go-2", "status": "active"},
    )  # fmt: skip
    assert saved.headers["location"] == f"/dashboard/links/promo?domain={GO}&saved=1#settings"
    on_go = await client.get("/promo", headers={"Host": GO})
    on_default = await client.get("/promo")
    assert on_go.headers["location"] == "https://example.com/go-2"
    assert on_default.headers["location"] == "https://example.com/home"  # left alone

    deleted = await submit(
        browser, f"/dashboard/links/promo?domain={GO}", f"/dashboard/links/promo/delete?domain={GO}", {}
    )  # fmt: skip
    assert deleted.status_code == 303
    assert (await client.get("/promo", headers={"Host": GO})).status_code == 404
    assert (await client.get("/promo")).status_code in (301, 302, 307, 308)


async def test_an_unknown_domain_on_the_form_is_refused(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    browser, account = await signed_in("alice")
    response = await submit(
        browser, "/dashboard", "/dashboard/links",
        {"url": "https://example.com/", "domain": "elsewhere.example.net"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "is not one of this server" in response.text
    listed = await client.get("/api/v1/urls", headers=account.headers)
    assert listed.json()["data"]["pagination"]["total"] == 0  # nothing made
