"""The dashboard's links: create, edit, disable, delete, the table's view, and isolation."""

from __future__ import annotations

import re

import httpx

from tests.dashboard.conftest import SignedIn, submit

ROW = re.compile(r'<tr data-code="([^"]+)">')


def codes_in(html: str) -> list[str]:
    return ROW.findall(html)


async def create(browser: httpx.AsyncClient, **fields: str) -> str:
    response = await submit(browser, "/dashboard", "/dashboard/links", fields)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.endswith("?created=1")
    return location.removeprefix("/dashboard/links/").removesuffix("?created=1")


async def test_create_edit_disable_and_delete_a_link(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    browser, account = await signed_in("alice")
    code = await create(
        browser,
        url="https://example.com/spring",
        alias="spring-sale",
        tags="promo, spring",
        description="Spring campaign",
        max_clicks="",
        expires="",
    )
    assert code == "spring-sale"
    page = await browser.get("/dashboard/links/spring-sale?created=1")
    assert page.status_code == 200
    assert "Your short link is ready." in page.text
    assert 'value="http://localhost:8080/spring-sale"' in page.text

    saved = await submit(
        browser,
        "/dashboard/links/spring-sale",
        "/dashboard/links/spring-sale",
        {
            "url": "https://example.com/summer",
            "expires": "2031-06-30T18:45",
            "max_clicks": "500",
            "description": "Summer now",
            "tags": "promo, summer",
            "status": "active",
        },
    )
    assert saved.status_code == 303
    api = (await client.get("/api/v1/urls/spring-sale", headers=account.headers)).json()["data"]
    assert api["long_url"] == "https://example.com/summer"
    assert api["expiration_date"] == "2031-06-30T18:45:00Z"
    assert api["max_clicks"] == 500 and api["tags"] == ["promo", "summer"]
    assert api["description"] == "Summer now"

    bad = await submit(
        browser,
        "/dashboard/links/spring-sale",
        "/dashboard/links/spring-sale",
        {"url": "ftp://example.com", "expires": "2031-06-30T18:45", "max_clicks": "500",
         "description": "Summer now", "tags": "promo, summer", "status": "active"},
    )  # fmt: skip
    assert bad.status_code == 400 and "URL must start with http" in bad.text
    assert 'value="ftp://example.com"' in bad.text

    disabled = await submit(
        browser,
        "/dashboard",
        "/dashboard/links/spring-sale/status",
        {"status": "disabled", "back": "/dashboard?q=spring"},
    )
    assert disabled.status_code == 303 and disabled.headers["location"] == "/dashboard?q=spring"
    assert (await client.get("/spring-sale")).status_code == 404
    enabled = await submit(
        browser, "/dashboard", "/dashboard/links/spring-sale/status", {"status": "active"}
    )
    assert enabled.headers["location"] == "/dashboard"
    assert (await client.get("/spring-sale")).status_code == 301

    deleted = await submit(
        browser, "/dashboard/links/spring-sale", "/dashboard/links/spring-sale/delete", {}
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == "/dashboard?deleted=1"
    assert (await client.get("/spring-sale")).status_code == 404
    assert (await browser.get("/dashboard/links/spring-sale")).status_code == 404


async def test_create_problems_keep_the_form(signed_in: SignedIn) -> None:
    browser, _ = await signed_in("alice")
    await create(browser, url="https://example.com", alias="mine")
    taken = await submit(
        browser, "/dashboard", "/dashboard/links", {"url": "https://example.com/2", "alias": "mine"}
    )
    assert taken.status_code == 409 and "That alias is already taken" in taken.text
    assert 'value="https://example.com/2"' in taken.text and "<details open>" in taken.text
    limit = await submit(
        browser, "/dashboard", "/dashboard/links", {"url": "https://e.com", "max_clicks": "-3"}
    )
    assert limit.status_code == 400 and "Click limit" in limit.text
    # A date already past is no mistake to refuse (the API takes it too): the link is
    # made expired at once, and its page says so.
    past = await create(browser, url="https://e.com", expires="2001-01-01T00:00")
    page = await browser.get(f"/dashboard/links/{past}")
    assert page.status_code == 200 and "expired" in page.text


async def test_table_search_filters_sort_and_pages_live_in_the_query_string(
    signed_in: SignedIn,
) -> None:
    browser, _ = await signed_in("alice")
    for number in range(23):
        await create(
            browser,
            url=f"https://shop.example/item/{number}",
            alias=f"item-{number:02d}",
            tags="odd" if number % 2 else "even",
            description="Blue shoes" if number == 7 else "",
        )
    first = await browser.get("/dashboard")
    assert len(codes_in(first.text)) == 20 and codes_in(first.text)[0] == "item-22"
    assert "1–20 of 23" in first.text and 'href="/dashboard?page=2"' in first.text
    second = await browser.get("/dashboard?page=2")
    assert codes_in(second.text) == ["item-02", "item-01", "item-00"]

    assert codes_in((await browser.get("/dashboard?q=blue+SHOES")).text) == ["item-07"]
    assert codes_in((await browser.get("/dashboard?q=item-1")).text)[:2] == ["item-19", "item-18"]
    by_tag = codes_in((await browser.get("/dashboard?tag=odd&per_page=50")).text)
    assert len(by_tag) == 11 and all(int(code[-2:]) % 2 for code in by_tag)
    assert len(codes_in((await browser.get("/dashboard?q=even&per_page=50")).text)) == 12
    oldest = codes_in((await browser.get("/dashboard?order=asc")).text)
    assert oldest[:2] == ["item-00", "item-01"]

    await submit(browser, "/dashboard", "/dashboard/links/item-05/status", {"status": "disabled"})
    disabled = codes_in((await browser.get("/dashboard?status=disabled")).text)
    assert disabled == ["item-05"]
    none_yet = await browser.get("/dashboard?created_to=2000-01-01")
    assert codes_in(none_yet.text) == [] and "No link matches these filters" in none_yet.text
    assert len(codes_in((await browser.get("/dashboard?created_from=2000-01-01")).text)) == 20

    # Nonsense in a bookmark falls back to defaults rather than failing.
    odd = await browser.get("/dashboard?page=-4&sort=drop+table&status=x&per_page=7")
    assert odd.status_code == 303 and odd.headers["location"] == "/dashboard"
    odd = await browser.get("/dashboard?page=2&sort=drop+table&welcome=1")
    assert odd.headers["location"] == "/dashboard?page=2&welcome=1"
    # A GET form sends every field, empty or not: the browser lands on the tidy address.
    form = await browser.get(
        "/dashboard?q=item&status=&tag=odd&created_from=&sort=created&order=desc"
    )
    assert form.status_code == 303 and form.headers["location"] == "/dashboard?q=item&tag=odd"
    assert len(codes_in((await browser.get(form.headers["location"])).text)) == 11
    # Sorting links keep the filters and flip the order of the current column.
    page = (await browser.get("/dashboard?tag=odd&sort=clicks")).text
    assert 'href="/dashboard?tag=odd&amp;sort=clicks&amp;order=asc"' in page


async def test_someone_elses_link_is_not_found(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    alice, _ = await signed_in("alice")
    bob, _ = await signed_in("bob")
    await create(alice, url="https://example.com/private", alias="alices")
    assert (await bob.get("/dashboard/links/alices")).status_code == 404
    for action, data in (
        ("/dashboard/links/alices", {"url": "https://evil.example"}),
        ("/dashboard/links/alices/status", {"status": "disabled"}),
        ("/dashboard/links/alices/delete", {}),
    ):
        response = await submit(bob, "/dashboard", action, data)
        assert response.status_code == 404, action
    assert codes_in((await bob.get("/dashboard?q=alices")).text) == []
    redirect = await client.get("/alices")
    assert redirect.status_code == 301
    assert redirect.headers["location"] == "https://example.com/private"


async def test_user_content_is_escaped_everywhere(signed_in: SignedIn) -> None:
    browser, _ = await signed_in("alice")
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    await create(
        browser,
        url='https://example.com/?q="><script>alert(2)</script>',
        alias="xss",
        description=payload,
        tags="<b>bold</b>",
    )
    for page in ("/dashboard", "/dashboard/links/xss", "/dashboard?q=%3Cscript%3E"):
        html = (await browser.get(page)).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
    html = (await browser.get("/dashboard/links/xss")).text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
