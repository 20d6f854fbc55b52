"""API v1 links: create, read, update, delete, list — in both storage modes."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import Account


async def create(client: httpx.AsyncClient, **body: object) -> dict:
    response = await client.post("/api/v1/urls", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_create_returns_the_seed_003_link_object(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/urls",
        json={
            "long_url": "https://example.com/very/long/url?param1=value1&param2=value2",
            "custom_alias": "my-custom-link",
            "expiration_date": "2099-12-31T23:59:59Z",
            "description": "My important link",
            "tags": ["marketing", "campaign-2024"],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    assert body["meta"]["request_id"].startswith("req_")
    assert body["meta"]["timestamp"].endswith("Z")
    data = body["data"]
    assert data["short_url"] == "http://localhost:8080/my-custom-link"
    assert data["short_code"] == data["custom_alias"] == "my-custom-link"
    assert data["long_url"] == "https://example.com/very/long/url?param1=value1&param2=value2"
    assert data["qr_code_url"] == "http://localhost:8080/api/v1/qr/my-custom-link"
    assert data["expiration_date"] == "2099-12-31T23:59:59Z"
    assert data["description"] == "My important link"
    assert sorted(data["tags"]) == ["campaign-2024", "marketing"]
    assert data["click_count"] == 0
    assert data["status"] == "active"


async def test_seed_004_field_names_are_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/shorten",
        json={
            "url": "https://example.com/some/long/path",
            "alias": "s4",
            "expires_at": "2099-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 400  # "s4" is too short for an alias
    response = await client.post(
        "/api/v1/shorten",
        json={
            "url": "https://example.com/some/long/path",
            "alias": "abc123",
            "expires_at": "2099-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["url"], data["alias"], data["expires_at"]) == (
        "https://example.com/some/long/path",
        "abc123",
        "2099-01-01T00:00:00Z",
    )


async def test_random_codes_have_the_configured_length(client: httpx.AsyncClient) -> None:
    codes = {
        (await create(client, long_url=f"https://example.com/{i}"))["short_code"] for i in range(20)
    }
    assert len(codes) == 20
    assert all(len(code) == 7 and code.isalnum() for code in codes)


async def test_custom_alias_clash_is_409_and_codes_are_case_sensitive(
    client: httpx.AsyncClient,
) -> None:
    await create(client, long_url="https://example.com/a", custom_alias="Promo")
    clash = await client.post(
        "/api/v1/urls", json={"long_url": "https://example.com/b", "custom_alias": "Promo"}
    )
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "CUSTOM_ALIAS_TAKEN"
    other_case = await create(client, long_url="https://example.com/c", custom_alias="promo")
    assert other_case["short_code"] == "promo"


async def test_concurrent_requests_for_one_alias_create_it_once(client: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/v1/urls",
                json={"long_url": f"https://example.com/{i}", "custom_alias": "race"},
            )
            for i in range(8)
        )
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(201) == 1
    assert set(statuses) == {201, 409}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"long_url": "ftp://example.com"}, "INVALID_URL"),
        ({"long_url": "not a url"}, "INVALID_URL"),
        ({"long_url": "https://localhost:8080/x"}, "INVALID_URL"),
        ({"long_url": "http://localhost:8080/abc"}, "INVALID_URL"),
        ({}, "VALIDATION_ERROR"),
        ({"long_url": "https://example.com", "custom_alias": "api"}, "VALIDATION_ERROR"),
        ({"long_url": "https://example.com", "custom_alias": "bad alias!"}, "VALIDATION_ERROR"),
        (
            {"long_url": "https://example.com", "expiration_date": "2001-13-45T00:00:00Z"},
            "VALIDATION_ERROR",
        ),
        ({"long_url": "https://example.com", "expiration_date": "someday"}, "VALIDATION_ERROR"),
        ({"long_url": "https://example.com", "max_clicks": 0}, "VALIDATION_ERROR"),
        ({"long_url": "https://example.com", "tags": "notalist"}, "VALIDATION_ERROR"),
    ],
)
async def test_bad_input_is_400_in_the_envelope(
    client: httpx.AsyncClient, body: dict, code: str
) -> None:
    response = await client.post("/api/v1/urls", json=body)
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["success"] is False
    assert payload["error"]["code"] == code
    assert payload["error"]["message"]
    assert payload["meta"]["request_id"].startswith("req_")


async def test_malformed_json_is_400_not_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/urls", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "JSON" in response.json()["error"]["message"]


async def test_get_update_delete_round_trip(
    client: httpx.AsyncClient, user_client: httpx.AsyncClient, account: Account
) -> None:
    anonymous = await create(client, long_url="https://example.com/anonymous")
    fetched = (await client.get(f"/api/v1/urls/{anonymous['short_code']}")).json()["data"]
    assert fetched["owner"] is None

    client = user_client  # links created anonymously cannot be changed: act as their owner
    created = await create(client, long_url="https://example.com/old", description="d", tags=["x"])
    code = created["short_code"]

    fetched = (await client.get(f"/api/v1/urls/{code}")).json()["data"]
    assert fetched["long_url"] == "https://example.com/old"
    assert fetched["owner"] == {"user_id": f"user_{account.user_id}", "username": "alice"}

    updated = await client.put(
        f"/api/v1/urls/{code}",
        json={
            "long_url": "https://example.com/new",
            "description": "Updated",
            "tags": ["updated", "marketing"],
        },
    )
    assert updated.status_code == 200
    data = updated.json()["data"]
    assert data["long_url"] == "https://example.com/new"
    assert data["description"] == "Updated"
    assert data["tags"] == ["marketing", "updated"]

    patched = await client.patch(
        f"/api/v1/urls/{code}", json={"expires_at": "2099-01-01T00:00:00Z"}
    )
    assert patched.json()["data"]["expiration_date"] == "2099-01-01T00:00:00Z"
    assert patched.json()["data"]["long_url"] == "https://example.com/new"  # untouched

    cleared = await client.patch(f"/api/v1/urls/{code}", json={"expiration_date": None})
    assert cleared.json()["data"]["expiration_date"] is None

    bad = await client.patch(f"/api/v1/urls/{code}", json={"long_url": "javascript:alert(1)"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "INVALID_URL"

    deleted = await client.delete(f"/api/v1/urls/{code}")
    assert deleted.status_code == 200
    assert deleted.json()["data"]["message"] == "URL successfully deleted"
    assert deleted.json()["data"]["short_code"] == code

    gone = await client.get(f"/api/v1/urls/{code}")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "URL_NOT_FOUND"
    assert (await client.delete(f"/api/v1/urls/{code}")).status_code == 404


async def test_deleted_codes_are_never_reused(user_client: httpx.AsyncClient) -> None:
    client = user_client
    await create(client, long_url="https://example.com/a", custom_alias="once")
    assert (await client.delete("/api/v1/urls/once")).status_code == 200
    again = await client.post(
        "/api/v1/urls", json={"long_url": "https://example.com/b", "custom_alias": "once"}
    )
    assert again.status_code == 409


async def test_unknown_code_is_404(client: httpx.AsyncClient) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, "/api/v1/urls/nothing-here", json={})
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "URL_NOT_FOUND"


async def test_list_filters_searches_sorts_and_paginates(user_client: httpx.AsyncClient) -> None:
    client = user_client
    for i in range(25):
        await create(
            client,
            long_url=f"https://shop.example/item/{i}",
            description="summer sale" if i % 5 == 0 else None,
            tags=["odd"] if i % 2 else ["even"],
        )
    await create(client, long_url="https://example.org/special", custom_alias="special-one")
    disabled = await create(client, long_url="https://example.org/off")
    await client.patch(f"/api/v1/urls/{disabled['short_code']}", json={"status": "disabled"})
    removed = await create(client, long_url="https://example.org/removed")
    await client.delete(f"/api/v1/urls/{removed['short_code']}")

    first = (await client.get("/api/v1/urls", params={"limit": 10})).json()["data"]
    assert first["pagination"] == {
        "total": 27,
        "limit": 10,
        "offset": 0,
        "page": 1,
        "has_more": True,
    }
    assert len(first["urls"]) == 10
    created = [link["created_at"] for link in first["urls"]]
    assert created == sorted(created, reverse=True)

    last = (await client.get("/api/v1/urls", params={"limit": 10, "page": 3})).json()["data"]
    assert last["pagination"]["offset"] == 20
    assert last["pagination"]["has_more"] is False
    assert len(last["urls"]) == 7

    offset = (await client.get("/api/v1/urls", params={"limit": 10, "offset": 10})).json()["data"]
    seen = {u["short_code"] for u in first["urls"]} | {u["short_code"] for u in offset["urls"]}
    assert len(seen) == 20

    tagged = (await client.get("/api/v1/urls", params={"tag": "odd", "limit": 100})).json()["data"]
    assert tagged["pagination"]["total"] == 12
    assert all("odd" in link["tags"] for link in tagged["urls"])

    sale = (await client.get("/api/v1/urls", params={"q": "SUMMER"})).json()["data"]
    assert sale["pagination"]["total"] == 5
    by_code = (await client.get("/api/v1/urls", params={"q": "special"})).json()["data"]
    assert [u["short_code"] for u in by_code["urls"]] == ["special-one"]
    by_url = (await client.get("/api/v1/urls", params={"q": "item/1"})).json()["data"]
    assert by_url["pagination"]["total"] == 11  # 1, 10..19
    wildcard = (await client.get("/api/v1/urls", params={"q": "%"})).json()["data"]
    assert wildcard["pagination"]["total"] == 0

    only_disabled = (await client.get("/api/v1/urls", params={"status": "disabled"})).json()["data"]
    assert [u["short_code"] for u in only_disabled["urls"]] == [disabled["short_code"]]
    only_deleted = (await client.get("/api/v1/urls", params={"status": "deleted"})).json()["data"]
    assert [u["short_code"] for u in only_deleted["urls"]] == [removed["short_code"]]

    ascending = (await client.get("/api/v1/urls", params={"order": "asc", "limit": 100})).json()[
        "data"
    ]
    times = [link["created_at"] for link in ascending["urls"]]
    assert times == sorted(times)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"page": 0},
        {"sort": "password"},
        {"order": "up"},
        {"status": "gone"},
    ],
)
async def test_bad_list_parameters_are_400(client: httpx.AsyncClient, params: dict) -> None:
    response = await client.get("/api/v1/urls", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_openapi_describes_every_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in (
        "/api/v1/urls",
        "/api/v1/urls/{code}",
        "/api/v1/shorten",
        "/shorten",
        "/health",
        "/{code}/info",
    ):
        assert path in paths, path
    create_op = paths["/api/v1/urls"]["post"]
    assert "examples" in str(create_op) or "example" in str(
        spec["components"]["schemas"]["LinkCreate"]
    )
    assert (await client.get("/docs")).status_code == 200


async def test_page_9223372036854775807_is_refused(
    client: httpx.AsyncClient, account: Account
) -> None:
    """Like the fuzzer's huge admin offset: page x limit past 64 bits made SQL raise."""
    for query in ("page=9223372036854775807", "offset=9223372036854775808"):
        response = await client.get(f"/api/v1/urls?{query}", headers=account.headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"
