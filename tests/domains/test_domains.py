"""Extra short domains: admins add them, links are made on them, `Host` picks the link."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from shorturl.client import AsyncClient
from shorturl.runtime import Runtime
from tests.conftest import Account, MakeAccount
from tests.qr.test_qr import decode

GO = "go.example.com"


@pytest.fixture
async def admin(make_account: MakeAccount) -> Account:
    return await make_account("root", role="admin")


async def add_domain(client: httpx.AsyncClient, admin: Account, **body: str) -> httpx.Response:
    return await client.post("/api/v1/domains", headers=admin.headers, json={"host": GO, **body})


async def visit(client: httpx.AsyncClient, path: str, host: str) -> httpx.Response:
    return await client.get(path, headers={"Host": host})


async def test_admins_add_domains_and_everyone_lists_them(
    client: httpx.AsyncClient, admin: Account, account: Account
) -> None:
    refused = await client.post("/api/v1/domains", headers=account.headers, json={"host": GO})
    assert refused.status_code == 403
    added = await add_domain(client, admin, root_redirect="https://example.com/")
    assert added.status_code == 201, added.text
    assert added.json()["data"]["host"] == GO
    again = await client.post(
        "/api/v1/domains", headers=admin.headers, json={"host": "GO.Example.com."}
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "DOMAIN_EXISTS")
    default = await client.post(
        "/api/v1/domains", headers=admin.headers, json={"host": "localhost:8080"}
    )
    assert default.status_code == 409

    listed = await client.get("/api/v1/domains", headers=account.headers)
    assert listed.status_code == 200
    hosts = [
        (d["host"], d["is_default"], d["root_redirect"]) for d in listed.json()["data"]["domains"]
    ]
    assert hosts == [("localhost:8080", True, None), (GO, False, "https://example.com/")]
    assert (await client.get("/api/v1/domains")).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"host": "not a host"}, "host"),
        ({"host": "10.0.0.1"}, "host"),
        ({"host": "bad-.example.com"}, "host"),
        ({"host": "go.example.com:99999"}, "host"),
        ({"host": GO, "root_redirect": "javascript:alert(1)"}, "root_redirect"),
        ({"host": GO, "not_found_redirect": "http://localhost:8080/loop"}, "not_found_redirect"),
    ],
)
async def test_bad_domains_are_refused_naming_the_field(
    client: httpx.AsyncClient, admin: Account, body: dict[str, str], field: str
) -> None:
    response = await client.post("/api/v1/domains", headers=admin.headers, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.text
    listed = await client.get("/api/v1/domains", headers=admin.headers)
    assert len(listed.json()["data"]["domains"]) == 1  # nothing stored


async def test_the_same_code_on_two_domains_redirects_by_host(
    client: httpx.AsyncClient, admin: Account, account: Account
) -> None:
    assert (await add_domain(client, admin)).status_code == 201
    here = await client.post(
        "/api/v1/urls",
        headers=account.headers,
        json={"long_url": "https://example.com/default", "custom_alias": "promo"},
    )
    there = await client.post(
        "/api/v1/urls",
        headers=account.headers,
        json={
            "long_url": "https://example.com/go",
            "custom_alias": "promo",
            "domain": "GO.example.com",
        },
    )
    assert here.status_code == there.status_code == 201, there.text
    assert here.json()["data"]["short_url"] == "http://localhost:8080/promo"
    assert here.json()["data"]["domain"] is None
    assert there.json()["data"]["short_url"] == f"http://{GO}/promo"
    assert there.json()["data"]["domain"] == GO
    taken = await client.post(
        "/api/v1/urls",
        headers=account.headers,
        json={"long_url": "https://example.com/x", "custom_alias": "promo", "domain": GO},
    )
    assert taken.json()["error"]["code"] == "CUSTOM_ALIAS_TAKEN"

    for _ in range(2):  # from the database, then from the cache
        assert (await visit(client, "/promo", GO)).headers["location"] == "https://example.com/go"
        default = await visit(client, "/promo", "localhost:8080")
        assert default.headers["location"] == "https://example.com/default"
        unknown = await visit(client, "/promo", "elsewhere.example")  # unknown hosts: default
        assert unknown.headers["location"] == "https://example.com/default"

    got = await client.get(f"/api/v1/urls/promo?domain={GO}", headers=account.headers)
    assert got.json()["data"]["long_url"] == "https://example.com/go"
    moved = await client.patch(
        f"/api/v1/urls/promo?domain={GO}",
        headers=account.headers,
        json={"long_url": "https://example.com/go2"},
    )
    assert moved.status_code == 200, moved.text
    assert (await visit(client, "/promo", GO)).headers["location"] == "https://example.com/go2"
    default_link = await client.get("/api/v1/urls/promo", headers=account.headers)
    assert default_link.json()["data"]["long_url"] == "https://example.com/default"


async def test_a_link_on_an_unknown_domain_is_refused(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post(
        "/api/v1/urls",
        headers=account.headers,
        json={"long_url": "https://example.com/", "domain": "nowhere.example.com"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "domain"
    bulk = await client.post(
        "/api/v1/urls/bulk",
        headers=account.headers,
        json={"urls": [{"long_url": "https://example.com/", "domain": GO}]},
    )
    failed = bulk.json()["data"]["failed"][0]
    assert (failed["code"], failed["details"][0]["field"]) == ("VALIDATION_ERROR", "domain")


async def test_bulk_creation_on_several_domains(
    client: httpx.AsyncClient, admin: Account, account: Account
) -> None:
    assert (await add_domain(client, admin)).status_code == 201
    taken = await client.post(
        "/api/v1/urls",
        headers=account.headers,
        json={"long_url": "https://example.com/first", "custom_alias": "taken", "domain": GO},
    )
    assert taken.status_code == 201
    items = [
        {"long_url": "https://example.com/go-sale", "custom_alias": "sale", "domain": GO},
        {"long_url": "https://example.com/sale", "custom_alias": "sale"},
        {
            "long_url": "https://example.com/twice",
            "custom_alias": "sale",
            "domain": "GO.example.com",
        },
        {"long_url": "https://example.com/again", "custom_alias": "taken", "domain": GO},
        {"long_url": "https://example.com/taken-elsewhere", "custom_alias": "taken"},
        {"long_url": "https://example.com/random", "domain": GO, "tags": ["on-go"]},
        {"long_url": "https://example.com/x", "domain": "nowhere.example.com"},
    ]
    bulk = await client.post("/api/v1/urls/bulk", headers=account.headers, json={"urls": items})
    assert bulk.status_code in (200, 201, 207), bulk.text
    data = bulk.json()["data"]
    made = {(item["short_url"], item["long_url"]) for item in data["created"]}
    assert {url for url, _ in made} >= {
        f"http://{GO}/sale",
        "http://localhost:8080/sale",
        "http://localhost:8080/taken",
    }
    failures = {item["index"]: item for item in data["failed"]}
    assert set(failures) == {2, 3, 6}
    assert failures[2]["code"] == failures[3]["code"] == "CUSTOM_ALIAS_TAKEN"
    assert failures[6]["details"][0]["field"] == "domain"
    [random] = [item for item in data["created"] if item["long_url"].endswith("/random")]
    assert random["short_url"].startswith(f"http://{GO}/")
    code = random["short_code"]
    on_go = await client.get(f"/api/v1/urls/{code}?domain={GO}", headers=account.headers)
    assert on_go.json()["data"]["tags"] == ["on-go"] and on_go.json()["data"]["domain"] == GO
    assert (await visit(client, "/sale", GO)).headers["location"] == "https://example.com/go-sale"
    assert (await client.get("/sale")).headers["location"] == "https://example.com/sale"


async def test_root_and_not_found_redirects_per_domain(
    client: httpx.AsyncClient, admin: Account, account: Account
) -> None:
    added = await add_domain(
        client,
        admin,
        root_redirect="https://example.com/",
        not_found_redirect="https://example.com/404",
    )
    assert added.status_code == 201
    root = await visit(client, "/", GO)
    assert (root.status_code, root.headers["location"]) == (302, "https://example.com/")
    missing = await visit(client, "/nosuchcode", GO)
    assert (missing.status_code, missing.headers["location"]) == (302, "https://example.com/404")
    assert (await visit(client, "/nosuchcode", "localhost:8080")).status_code == 404

    changed = await client.patch(
        f"/api/v1/domains/{GO}", headers=admin.headers, json={"not_found_redirect": None}
    )
    assert changed.status_code == 200 and changed.json()["data"]["not_found_redirect"] is None
    assert (await visit(client, "/othercode", GO)).status_code == 404


async def test_a_domain_in_use_is_not_removed(
    client: httpx.AsyncClient, admin: Account, account: Account, runtime: Runtime
) -> None:
    assert (await add_domain(client, admin)).status_code == 201
    made = await client.post(
        "/api/v1/urls",
        headers=account.headers,
        json={"long_url": "https://example.com/", "domain": GO},
    )
    code = made.json()["data"]["short_code"]
    busy = await client.delete(f"/api/v1/domains/{GO}", headers=admin.headers)
    assert (busy.status_code, busy.json()["error"]["code"]) == (409, "DOMAIN_IN_USE")
    async with runtime.database.sessionmaker() as session:  # purge the link, as an admin would
        from sqlalchemy import delete

        from shorturl.links.models import Link

        await session.execute(delete(Link).where(Link.code == code))
        await session.commit()
    gone = await client.delete(f"/api/v1/domains/{GO}", headers=admin.headers)
    assert gone.status_code == 200, gone.text
    assert runtime.domains.hosts == {}
    assert (await client.delete(f"/api/v1/domains/{GO}", headers=admin.headers)).status_code == 404


async def test_the_python_sdk_makes_and_finds_links_on_a_domain(
    app: Any, client: httpx.AsyncClient, admin: Account, account: Account
) -> None:
    assert (await add_domain(client, admin)).status_code == 201
    transport = httpx.ASGITransport(app=app)
    async with AsyncClient(
        "http://localhost:8080", token=account.token, transport=transport
    ) as sdk:
        made = await sdk.urls.create("https://example.com/sdk", custom_alias="same", domain=GO)
        await sdk.urls.create("https://example.com/home", custom_alias="same")
        assert (made.domain, made.short_url) == (GO, f"http://{GO}/same")
        assert (await sdk.urls.get("same", domain=GO)).long_url == "https://example.com/sdk"
        assert (await sdk.urls.get("same")).domain is None
        changed = await sdk.urls.update("same", domain=GO, description="on go")
        assert changed.description == "on go"
        await sdk.urls.delete("same", domain=GO)
        assert (await visit(client, "/same", GO)).status_code == 404
        assert (await visit(client, "/same", "localhost:8080")).status_code == 301


async def test_a_links_qr_code_holds_its_own_domain(
    client: httpx.AsyncClient, admin: Account, account: Account
) -> None:
    await add_domain(client, admin)
    for domain in (None, GO):
        made = await client.post(
            "/api/v1/urls",
            headers=account.headers,
            json={"long_url": "https://example.com/", "custom_alias": "qr-here", "domain": domain},
        )
        assert made.status_code == 201, made.text
    link = made.json()["data"]
    assert link["qr_code_url"] == f"http://localhost:8080/api/v1/qr/qr-here?domain={GO}"

    images = {}
    for domain in (None, GO):
        image = await client.get("/api/v1/qr/qr-here", params={"domain": domain} if domain else {})
        assert image.status_code == 200
        images[domain] = decode(Image.open(io.BytesIO(image.content)))
    assert images == {None: ["http://localhost:8080/qr-here"], GO: [f"http://{GO}/qr-here"]}

    urls = await client.get("/api/v1/urls/qr-here/qr", params={"domain": GO})
    assert urls.json()["data"]["download_urls"]["svg"] == f"{link['qr_code_url']}&format=svg"
    missing = await client.get("/api/v1/qr/qr-here", params={"domain": "other.example.com"})
    assert missing.status_code == 404


async def test_a_csv_export_keeps_each_links_domain_on_import(
    client: httpx.AsyncClient, admin: Account, make_account: MakeAccount
) -> None:
    assert (await add_domain(client, admin)).status_code == 201
    alice, bob = await make_account("alice"), await make_account("bob")
    for domain in (None, GO):
        made = await client.post(
            "/api/v1/urls",
            headers=alice.headers,
            json={
                "long_url": f"https://example.com/{domain}",
                "custom_alias": "twin",
                "domain": domain,
            },
        )
        assert made.status_code == 201, made.text
    exported = (await client.get("/api/v1/urls/export", headers=alice.headers)).text
    assert (
        f"twin,http://{GO}/twin,{GO}," in exported
        and "twin,http://localhost:8080/twin,," in exported
    )
    # Alice's codes on both domains: every row refused as taken, none moved to the default one.
    again = await client.post(
        "/api/v1/urls/import", headers=bob.headers | {"Content-Type": "text/csv"},
        content=exported.encode(),
    )  # fmt: skip
    assert again.json()["data"]["summary"] == {"total": 2, "created": 0, "failed": 2}
    fresh = await client.post(
        "/api/v1/urls/import", params={"keep_codes": "false"},
        headers=bob.headers | {"Content-Type": "text/csv"}, content=exported.encode(),
    )  # fmt: skip
    created = fresh.json()["data"]["created"]
    assert sorted(item["short_url"].split("/")[2] for item in created) == sorted(
        ["localhost:8080", GO]
    )
