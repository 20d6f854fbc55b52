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


async def test_admins_add_change_and_remove_domains_on_their_page(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    admin, _ = await signed_in("root", role="admin")
    page = "/dashboard/admin/domains"
    empty = await admin.get(page)
    assert empty.status_code == 200
    assert 'data-domain="localhost:8080"' in empty.text and ">default<" in empty.text

    added = await submit(
        admin, page, page,
        {"host": "GO.Example.com", "root_redirect": "https://example.com/", "not_found_redirect": ""},
    )  # fmt: skip
    assert (added.status_code, added.headers["location"]) == (303, f"{page}?added={GO}")
    shown = await admin.get(added.headers["location"])
    assert f"{GO} is served now" in shown.text and f'data-domain="{GO}"' in shown.text
    assert (await client.get("/", headers={"Host": GO})).headers["location"] == (
        "https://example.com/"
    )
    assert (await client.get("/nothing-here", headers={"Host": GO})).status_code == 404

    again = await submit(admin, page, page, {"host": GO})
    assert again.status_code == 409 and "already added" in again.text
    bad = await submit(admin, page, page, {"host": "not a host", "root_redirect": ""})
    assert bad.status_code == 400 and "not a host name" in bad.text
    assert 'value="not a host"' in bad.text  # kept on the form
    script = await submit(
        admin, page, page, {"host": "x.example.com", "root_redirect": "javascript:alert(1)"}
    )
    assert script.status_code == 400 and "x.example.com" not in (await admin.get(page)).text

    changed = await submit(
        admin, page, f"{page}/{GO}",
        {"root_redirect": "", "not_found_redirect": "https://example.com/404"},
    )  # fmt: skip
    assert changed.headers["location"] == f"{page}?changed={GO}"
    home = await client.get("/", headers={"Host": GO})
    assert home.status_code == 200 and "location" not in home.headers  # this server's own
    missing = await client.get("/nothing-here", headers={"Host": GO})
    assert missing.headers["location"] == "https://example.com/404"

    # In use: the page says so; the API-made link keeps it.
    link = await client.post(
        "/api/v1/urls", json={"long_url": "https://example.com/x", "domain": GO}
    )
    assert link.status_code == 201, link.text
    listed = await admin.get(page)
    assert "In use" in listed.text
    refused = await submit(admin, page, f"{page}/{GO}/delete", {})
    assert refused.status_code == 409 and "move or purge them" in refused.text

    spare = "spare.example.com"
    assert (await submit(admin, page, page, {"host": spare})).status_code == 303
    removed = await submit(admin, page, f"{page}/{spare}/delete", {})
    assert removed.headers["location"] == f"{page}?removed={spare}"
    assert f'data-domain="{spare}"' not in (await admin.get(page)).text
    assert (await submit(admin, page, f"{page}/{spare}/delete", {})).status_code == 404


async def test_the_domains_page_is_for_admins_only(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    browser, _ = await signed_in("alice")
    page = "/dashboard/admin/domains"
    assert (await browser.get(page)).status_code == 403
    admin, _ = await signed_in("root", role="admin")
    shown = await admin.get(page)
    forged = await browser.post(page, data={"csrf_token": "x", "host": GO})
    assert forged.status_code in (400, 403)
    no_token = await admin.post(page, data={"host": GO})
    assert no_token.status_code in (400, 403)
    assert f'data-domain="{GO}"' not in (await admin.get(page)).text
    assert shown.status_code == 200
