"""`/yourls-api.php` over HTTP: formats, form POST, the three ways to authenticate, errors."""

from __future__ import annotations

import hashlib
import time
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from tests.conftest import Account, AppFactory, MakeAccount, sign_up

API = "/yourls-api.php"


async def _key(
    client: httpx.AsyncClient, account: Account, permissions: list[str] | None = None
) -> str:
    created = await client.post(
        "/api/v1/user/api-keys",
        headers=account.headers,
        json={"name": "yourls", "permissions": permissions or ["read", "write"]},
    )
    assert created.status_code == 201, created.text
    return created.json()["data"]["key"]


@pytest.fixture
async def key(client: httpx.AsyncClient, account: Account) -> str:
    return await _key(client, account)


async def _call(client: httpx.AsyncClient, **params: Any) -> httpx.Response:
    return await client.get(API, params=params)


async def test_shorturl_answers_like_yourls(client: httpx.AsyncClient, key: str) -> None:
    answer = await _call(
        client, signature=key, action="shorturl", url="https://example.com/a", keyword="yrl-a"
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"url", "status", "message", "title", "shorturl", "statusCode"}
    assert body["status"] == "success" and body["statusCode"] == 200
    assert body["shorturl"] == "http://localhost:8080/yrl-a"
    assert body["message"] == "https://example.com/a added to database"
    assert set(body["url"]) == {"keyword", "url", "title", "date", "ip"}
    assert body["url"]["keyword"] == "yrl-a"
    assert len(body["url"]["date"]) == 19 and body["url"]["date"][10] == " "
    taken = await _call(
        client, signature=key, action="shorturl", url="https://example.com/b", keyword="yrl-a"
    )
    assert taken.status_code == 200
    assert taken.json() == {
        "status": "fail",
        "code": "error:keyword",
        "message": "Short URL yrl-a already exists in database or is reserved",
        "statusCode": 200,
    }
    redirect = await client.get("/yrl-a")
    assert redirect.headers["location"] == "https://example.com/a"


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("", "error:nourl", "Missing or malformed URL"),
        ("http://", "error:nourl", "Missing or malformed URL"),
        ("not a url", "error:nourl", "Missing or malformed URL"),
        ("http://localhost:8080/abc", "error:noloop", "URL is a short URL"),
    ],
)
async def test_shorturl_refusals_are_400(
    client: httpx.AsyncClient, key: str, url: str, code: str, message: str
) -> None:
    answer = await _call(client, signature=key, action="shorturl", url=url)
    assert answer.status_code == 400
    assert answer.json() == {"status": "fail", "code": code, "message": message, "errorCode": "400"}


async def test_a_malformed_keyword_is_400(client: httpx.AsyncClient, key: str) -> None:
    answer = await _call(
        client, signature=key, action="shorturl", url="https://e.com/x", keyword="a b"
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "error:keyword"


async def test_formats(client: httpx.AsyncClient, key: str) -> None:
    await _call(
        client,
        signature=key,
        action="shorturl",
        url="https://example.com/f?a=1&b=<2>",
        keyword="yrl-f",
    )
    simple = await _call(client, signature=key, action="expand", shorturl="yrl-f", format="simple")
    assert simple.headers["content-type"].startswith("text/plain")
    assert simple.text == "https://example.com/f?a=1&b=%3C2%3E"
    xml = await _call(client, signature=key, action="url-stats", shorturl="yrl-f", format="xml")
    assert xml.headers["content-type"] == "application/xml"
    root = ElementTree.fromstring(xml.content)
    assert root.findtext("statusCode") == "200"
    assert root.findtext("link/url") == "https://example.com/f?a=1&b=%3C2%3E"
    assert root.findtext("link/clicks") == "0"
    jsonp = await _call(
        client, signature=key, action="version", format="jsonp", callback="my.cb_1$"
    )
    assert jsonp.headers["content-type"] == "application/javascript"
    assert jsonp.text == 'my.cb_1$({"version":"1.8.2"})'
    via_jsonp_name = await _call(
        client, signature=key, action="version", format="jsonp", jsonp="cb"
    )
    assert via_jsonp_name.text.startswith("cb(")
    evil = await _call(
        client, signature=key, action="version", format="jsonp", callback="alert(1)//"
    )
    assert evil.status_code == 400 and "alert" not in evil.text
    assert (await _call(client, signature=key, action="version", format="simple")).text == "1.8.2"
    db = await _call(client, signature=key, action="version", db="1")
    assert db.json()["version"] == "1.8.2" and db.json()["db_version"]
    assert (await _call(client, signature=key, action="version")).json() == {"version": "1.8.2"}


async def test_form_post(client: httpx.AsyncClient, key: str) -> None:
    answer = await client.post(
        API,
        data={
            "signature": key,
            "action": "shorturl",
            "url": "https://example.com/p",
            "keyword": "yrl-p",
            "title": "Posted",
            "format": "simple",
        },
    )
    assert answer.status_code == 200 and answer.text == "http://localhost:8080/yrl-p"
    # parameters may also come in the query string of a POST
    stats = await client.post(
        f"{API}?action=url-stats&format=json",
        data={"signature": key, "shorturl": "http://localhost:8080/yrl-p"},
    )
    assert stats.json()["link"]["title"] == "Posted"


async def test_expand_and_url_stats_not_found(client: httpx.AsyncClient, key: str) -> None:
    expand = await _call(client, signature=key, action="expand", shorturl="missing")
    assert expand.status_code == 404
    assert expand.json() == {
        "keyword": "missing",
        "message": "Error: short URL not found",
        "errorCode": "404",
    }
    simple = await _call(
        client, signature=key, action="expand", shorturl="missing", format="simple"
    )
    assert (simple.status_code, simple.text) == (404, "not found")
    stats = await _call(client, signature=key, action="url-stats", shorturl="missing")
    assert stats.status_code == 404
    assert stats.json() == {"statusCode": 404, "message": "Error: short URL not found"}


async def test_unknown_or_missing_action(client: httpx.AsyncClient, key: str) -> None:
    for params in ({"action": "delete"}, {}):
        answer = await _call(client, signature=key, **params)
        assert answer.status_code == 400
        assert answer.json() == {
            "errorCode": "400",
            "message": 'Unknown or missing "action" parameter',
        }


async def test_stats_limits_and_filters(client: httpx.AsyncClient, key: str) -> None:
    empty = await _call(client, signature=key, action="stats", filter="top", limit="3")
    assert empty.json() == {
        "stats": {"total_links": 0, "total_clicks": 0},
        "statusCode": 200,
        "message": "success",
    }
    for keyword in ("yrl-1", "yrl-2"):
        await _call(
            client,
            signature=key,
            action="shorturl",
            url=f"https://example.com/{keyword}",
            keyword=keyword,
        )
    some = (await _call(client, signature=key, action="stats", filter="last", limit="5")).json()
    assert list(some["links"]) == ["link_1", "link_2"]
    assert some["links"]["link_1"]["shorturl"] == "http://localhost:8080/yrl-2"
    assert set(some["links"]["link_1"]) == {"shorturl", "url", "title", "timestamp", "ip", "clicks"}
    for bad in ({"filter": "worst"}, {"limit": "0"}, {"limit": "x"}, {"start": "-1"}):
        answer = await _call(client, signature=key, action="stats", **bad)
        assert answer.status_code == 400, bad
    db = await _call(client, signature=key, action="db-stats")
    assert db.json() == {
        "db-stats": {"total_links": 2, "total_clicks": 0},
        "statusCode": 200,
        "message": "success",
    }


async def test_refused_credentials_are_403(client: httpx.AsyncClient, account: Account) -> None:
    none = await _call(client, action="version")
    assert none.status_code == 403
    assert none.json() == {"message": "Please log in", "errorCode": "403", "callback": ""}
    wrong = await _call(client, action="version", username=account.username, password="nope-nope")
    assert wrong.json() == {
        "message": "Invalid username or password",
        "errorCode": "403",
        "callback": "",
    }
    simple = await _call(client, action="version", signature="nope", format="simple")
    assert (simple.status_code, simple.text) == (403, "Invalid username or password")
    right = await _call(client, action="version", username=account.email, password=account.password)
    assert right.status_code == 200


async def test_a_read_only_key_cannot_shorten(client: httpx.AsyncClient, account: Account) -> None:
    read_only = await _key(client, account, ["read"])
    answer = await _call(
        client, signature=read_only, action="shorturl", url="https://example.com/ro"
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "error:forbidden"
    assert (await _call(client, signature=read_only, action="db-stats")).status_code == 200


async def _token(client: httpx.AsyncClient, key: str) -> str:
    answer = await _call(client, signature=key, action="signature-token")
    assert answer.status_code == 200
    token = answer.json()["signature_token"]
    assert len(token) == 32 and key not in token
    return token


async def test_timestamped_signatures(client: httpx.AsyncClient, key: str) -> None:
    token = await _token(client, key)
    now = str(int(time.time()))

    async def with_signature(timestamp: str, signature: str, **extra: str) -> int:
        answer = await _call(
            client, action="db-stats", timestamp=timestamp, signature=signature, **extra
        )
        return answer.status_code

    assert await with_signature(now, hashlib.md5((now + token).encode()).hexdigest()) == 200
    assert await with_signature(now, hashlib.md5((token + now).encode()).hexdigest()) == 200
    sha = hashlib.sha256((now + token).encode()).hexdigest()
    assert await with_signature(now, sha, hash="sha256") == 200
    assert await with_signature(now, sha) == 403  # md5 unless `hash` says otherwise
    two_days_ago = str(int(time.time()) - 2 * 86400)
    assert (
        await with_signature(two_days_ago, hashlib.md5((two_days_ago + token).encode()).hexdigest())
        == 403
    )
    soon = str(int(time.time()) + 3600)
    assert await with_signature(soon, hashlib.md5((soon + token).encode()).hexdigest()) == 200
    assert await with_signature(now, hashlib.md5((now + "0" * 32).encode()).hexdigest()) == 403
    assert await with_signature("yesterday", "abc") == 403
    assert (
        await with_signature(now, hashlib.md5((now + token).encode()).hexdigest(), hash="nope")
        == 403
    )
    # the token alone, without a timestamp, is a signature too
    assert (await _call(client, action="db-stats", signature=token)).status_code == 200


async def test_a_revoked_key_stops_its_token(client: httpx.AsyncClient, account: Account) -> None:
    created = await client.post(
        "/api/v1/user/api-keys", headers=account.headers, json={"name": "soon revoked"}
    )
    key, key_id = created.json()["data"]["key"], created.json()["data"]["key_id"]
    token = await _token(client, key)
    revoked = await client.delete(f"/api/v1/user/api-keys/{key_id}", headers=account.headers)
    assert revoked.status_code == 200
    assert (await _call(client, action="db-stats", signature=token)).status_code == 403
    assert (await _call(client, action="db-stats", signature=key)).status_code == 403


async def test_stats_are_the_callers_own(
    client: httpx.AsyncClient, key: str, make_account: MakeAccount
) -> None:
    await _call(
        client, signature=key, action="shorturl", url="https://example.com/mine", keyword="yrl-mine"
    )
    bob = await make_account("bob")
    bobs = await _key(client, bob)
    theirs = await _call(client, signature=bobs, action="url-stats", shorturl="yrl-mine")
    assert theirs.status_code == 404
    assert (await _call(client, signature=bobs, action="db-stats")).json()["db-stats"][
        "total_links"
    ] == 0
    # expand is what the redirect tells anyone anyway, but not the title its owner gave
    await client.get(
        API,
        params={
            "signature": key,
            "action": "shorturl",
            "url": "https://example.com/t",
            "keyword": "yrl-titled",
            "title": "private note",
        },
    )
    expanded = await _call(client, signature=bobs, action="expand", shorturl="yrl-titled")
    assert expanded.status_code == 200
    assert expanded.json()["title"] == "https://example.com/t"
    mine = await _call(client, signature=key, action="expand", shorturl="yrl-titled")
    assert mine.json()["title"] == "private note"
    admin = await make_account("root", role="admin")
    everything = await _call(client, signature=await _key(client, admin), action="db-stats")
    assert everything.json()["db-stats"]["total_links"] == 2


async def test_passwords_go_through_the_login_throttle(app_factory: AppFactory) -> None:
    async with app_factory(rate_limit_enabled=True) as (app, http):
        account = await sign_up(http, app.runtime, "yrlthrottle")
        for _ in range(10):
            wrong = await _call(
                http, action="version", username=account.username, password="guess-1234"
            )
            assert wrong.status_code == 403
        blocked = await _call(
            http, action="version", username=account.username, password=account.password
        )
        assert blocked.status_code == 429
        assert blocked.json()["code"] == "error:rate_limited"


async def test_token_signatures_stop_once_the_address_is_over_its_limit(
    app_factory: AppFactory,
) -> None:
    async with app_factory(rate_limit_enabled=True) as (_, http):
        statuses = [  # db-stats is analytics: 10 an hour for an anonymous address
            (await _call(http, action="db-stats", signature="0" * 32)).status_code
            for _ in range(10)
        ]
        assert statuses == [403] * 10
        refused = await _call(http, action="db-stats", signature="0" * 32)
        assert refused.status_code == 429
        assert refused.json()["code"] == "error:rate_limited"
        assert int(refused.headers["retry-after"]) > 0
