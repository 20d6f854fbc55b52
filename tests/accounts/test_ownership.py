"""Ownership of links: IDOR, anonymous links, admins, own-link listing — both modes."""

from __future__ import annotations

import httpx
import pytest

from shorturl.accounts.principal import ANONYMOUS, Principal
from shorturl.errors import Forbidden, Unauthorized
from shorturl.links.models import Link
from shorturl.links.service import ensure_can_manage, ensure_can_read
from tests.conftest import Account, MakeAccount


async def create(client: httpx.AsyncClient, headers: dict[str, str] | None, url: str) -> str:
    response = await client.post("/api/v1/urls", headers=headers, json={"long_url": url})
    assert response.status_code == 201, response.text
    return response.json()["data"]["short_code"]


async def test_another_user_cannot_read_change_or_delete_a_link(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice, bob = await make_account("alice"), await make_account("bob")
    code = await create(client, alice.headers, "https://example.com/alice")
    attempts = [
        ("GET", f"/api/v1/urls/{code}", None),
        ("PUT", f"/api/v1/urls/{code}", {"long_url": "https://evil.example/"}),
        ("PATCH", f"/api/v1/urls/{code}", {"long_url": "https://evil.example/"}),
        ("DELETE", f"/api/v1/urls/{code}", None),
    ]
    for method, path, body in attempts:
        as_bob = await client.request(method, path, headers=bob.headers, json=body)
        assert as_bob.status_code == 403, (method, as_bob.text)
        assert as_bob.json()["error"]["code"] == "FORBIDDEN"
        anonymous = await client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, anonymous.text)
        assert anonymous.json()["error"]["code"] == "UNAUTHORIZED"
    details = await client.get(f"/api/v1/urls/{code}", headers=alice.headers)
    assert details.json()["data"]["long_url"] == "https://example.com/alice"
    assert (await client.get(f"/{code}")).headers["location"] == "https://example.com/alice"
    # Redirect info stays public: it is what a visitor of the link sees anyway.
    assert (await client.get(f"/{code}/info")).status_code == 200


async def test_an_admin_manages_every_link(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice = await make_account("alice")
    admin = await make_account("root", role="admin")
    owned = await create(client, alice.headers, "https://example.com/owned")
    anonymous = await create(client, None, "https://example.com/anonymous")
    for code in (owned, anonymous):
        assert (await client.get(f"/api/v1/urls/{code}", headers=admin.headers)).status_code == 200
        patched = await client.patch(
            f"/api/v1/urls/{code}", headers=admin.headers, json={"status": "disabled"}
        )
        assert patched.status_code == 200
        assert (await client.get(f"/{code}")).status_code == 404
        deleted = await client.delete(f"/api/v1/urls/{code}", headers=admin.headers)
        assert deleted.status_code == 200


async def test_anonymous_links_are_public_but_cannot_be_changed(
    client: httpx.AsyncClient, account: Account
) -> None:
    code = await create(client, None, "https://example.com/anonymous")
    assert (await client.get(f"/api/v1/urls/{code}")).json()["data"]["owner"] is None
    assert (await client.get(f"/api/v1/urls/{code}", headers=account.headers)).status_code == 200
    for method in ("PATCH", "PUT", "DELETE"):
        body = {"description": "mine now"}
        anonymous = await client.request(method, f"/api/v1/urls/{code}", json=body)
        assert anonymous.status_code == 401
        signed_in = await client.request(
            method, f"/api/v1/urls/{code}", headers=account.headers, json=body
        )
        assert signed_in.status_code == 403
    assert (await client.get(f"/{code}")).status_code == 301


async def test_listing_shows_only_the_callers_links(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice, bob = await make_account("alice"), await make_account("bob")
    admin = await make_account("root", role="admin")
    for i in range(3):
        await create(client, alice.headers, f"https://example.com/alice/{i}")
    await create(client, bob.headers, "https://example.com/bob")
    await create(client, None, "https://example.com/nobody")

    def owners(response: httpx.Response) -> list[str | None]:
        assert response.status_code == 200, response.text
        return [
            link["owner"]["username"] if link["owner"] else None
            for link in response.json()["data"]["urls"]
        ]

    assert owners(await client.get("/api/v1/urls", headers=alice.headers)) == ["alice"] * 3
    assert owners(await client.get("/api/v1/urls", headers=bob.headers)) == ["bob"]
    everything = owners(await client.get("/api/v1/urls", headers=admin.headers))
    assert sorted(everything, key=str) == sorted(["alice"] * 3 + ["bob", None], key=str)
    searched = await client.get("/api/v1/urls", headers=bob.headers, params={"q": "alice"})
    assert searched.json()["data"]["pagination"]["total"] == 0
    anonymous = await client.get("/api/v1/urls")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHORIZED"


async def test_root_shorten_with_a_key_belongs_to_the_user(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.post(
        "/shorten", headers=account.headers, json={"url": "https://example.com/root"}
    )
    assert response.status_code == 201
    listed = (await client.get("/api/v1/urls", headers=account.headers)).json()["data"]
    assert [link["short_code"] for link in listed["urls"]] == [response.json()["short_code"]]


@pytest.mark.parametrize(
    ("principal", "owner_id", "read", "manage"),
    [
        (ANONYMOUS, None, None, Unauthorized),
        (ANONYMOUS, 1, Unauthorized, Unauthorized),
        (Principal(user_id=2, role="user"), None, None, Forbidden),
        (Principal(user_id=2, role="user"), 1, Forbidden, Forbidden),
        (Principal(user_id=1, role="user"), 1, None, None),
        (Principal(user_id=3, role="admin"), 1, None, None),
        (Principal(user_id=3, role="admin"), None, None, None),
    ],
)
def test_the_ownership_rules(
    principal: Principal, owner_id: int | None, read: type | None, manage: type | None
) -> None:
    link = Link(code="abc", long_url="https://example.com/", owner_id=owner_id)
    for check, expected in ((ensure_can_read, read), (ensure_can_manage, manage)):
        if expected is None:
            check(principal, link)
        else:
            with pytest.raises(expected):
                check(principal, link)
