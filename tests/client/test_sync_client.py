"""`shorturl.Client` against a live `shorturl serve`, in both storage modes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

import shorturl
from shorturl.client.models import Link
from tests.client.conftest import SdkUser, new_user
from tests.live_server import LiveServer


def alias() -> str:
    return "a-" + secrets.token_hex(5)


def test_create_get_update_delete(sdk: shorturl.Client, live_server: LiveServer) -> None:
    code = alias()
    expires = datetime.now(UTC) + timedelta(days=3)
    created = sdk.urls.create(
        long_url="https://example.com/page?x=1",
        custom_alias=code,
        expiration_date=expires,
        max_clicks=50,
        description="first",
        tags=["b", "a"],
    )
    assert isinstance(created, Link)
    assert created.short_url == f"{live_server.url}/{code}"
    assert (created.short_code, created.custom_alias) == (code, code)
    assert created.long_url == "https://example.com/page?x=1"
    assert created.expiration_date is not None
    assert abs(created.expiration_date - expires) < timedelta(seconds=1)
    assert created.created_at.tzinfo is not None
    assert (created.max_clicks, created.description, created.tags) == (50, "first", ["a", "b"])
    assert (created.click_count, created.status) == (0, "active")
    assert created.owner is not None and created.owner.username.startswith("sdk")
    assert created.visit_count == 0  # a field not declared on Link: read from the JSON
    assert created.to_dict()["short_code"] == code

    fetched = sdk.urls.get(code)
    assert fetched.short_code == code and fetched.owner == created.owner

    changed = sdk.urls.update(code, long_url="https://example.com/new", tags=["c"])
    assert (changed.long_url, changed.tags, changed.description) == (
        "https://example.com/new",
        ["c"],
        "first",  # not given: unchanged
    )
    cleared = sdk.urls.update(
        code, expiration_date=None, max_clicks=None, description=None, status="disabled"
    )
    assert cleared.expiration_date is None and cleared.max_clicks is None
    assert (cleared.description, cleared.status) == (None, "disabled")

    deleted = sdk.urls.delete(code)
    assert deleted.short_code == code and deleted.deleted_at.tzinfo is not None
    with pytest.raises(shorturl.UrlNotFound) as missing:
        sdk.urls.get(code)
    assert missing.value.status == 404 and missing.value.code == "URL_NOT_FOUND"
    assert missing.value.request_id and missing.value.request_id.startswith("req_")


def test_random_codes_and_info(sdk: shorturl.Client) -> None:
    link = sdk.urls.create(long_url="https://example.com/random")
    assert len(link.short_code) == 7 and link.custom_alias is None
    info = sdk.urls.info(link.short_code)
    assert (info.short_code, info.long_url) == (link.short_code, "https://example.com/random")


def test_list_walks_every_page(sdk: shorturl.Client) -> None:
    tag = "t" + secrets.token_hex(3)
    codes = [
        sdk.urls.create(
            long_url=f"https://example.com/{n}", custom_alias=alias(), tags=[tag] if n % 2 else []
        ).short_code
        for n in range(7)
    ]
    newest_first = list(sdk.urls.list(page_size=2))
    assert [link.short_code for link in newest_first] == codes[::-1]

    tagged = [link.short_code for link in sdk.urls.list(tag=tag, order="asc", page_size=1)]
    assert tagged == codes[1::2]
    found = [link.short_code for link in sdk.urls.list(q="example.com/4")]
    assert found == [codes[4]]

    page = sdk.urls.list_page(limit=3, offset=3, sort="created_at", order="asc")
    assert [link.short_code for link in page.urls] == codes[3:6]
    assert (page.pagination.total, page.pagination.offset, page.pagination.has_more) == (7, 3, True)

    sdk.urls.update(codes[0], status="disabled")
    disabled = sdk.urls.list(status="disabled")
    assert [link.short_code for link in disabled] == [codes[0]]


def test_errors_carry_code_status_and_details(
    sdk: shorturl.Client, live_server: LiveServer
) -> None:
    code = alias()
    sdk.urls.create(long_url="https://example.com/", custom_alias=code)
    with pytest.raises(shorturl.CustomAliasTaken) as taken:
        sdk.urls.create(long_url="https://example.com/other", custom_alias=code)
    assert (taken.value.status, taken.value.code) == (409, "CUSTOM_ALIAS_TAKEN")
    assert code in str(taken.value.details)

    with pytest.raises(shorturl.InvalidUrl) as invalid:
        sdk.urls.create(long_url="javascript:alert(1)")
    assert invalid.value.status == 400 and "INVALID_URL" in str(invalid.value)

    with pytest.raises(shorturl.ValidationError) as bad_alias:
        sdk.urls.create(long_url="https://example.com/", custom_alias="api")
    assert bad_alias.value.code == "VALIDATION_ERROR"
    with pytest.raises(shorturl.ValidationError) as bad_field:
        sdk.urls.create(long_url="https://example.com/", max_clicks=0)
    assert bad_field.value.details[0]["field"] == "max_clicks"

    with shorturl.Client(live_server.url) as anonymous, pytest.raises(shorturl.Unauthorized):
        list(anonymous.urls.list())
    with shorturl.Client(live_server.url, api_key="sk_live_not_a_key") as wrong:
        with pytest.raises(shorturl.Unauthorized) as refused:
            wrong.urls.create(long_url="https://example.com/")
        assert refused.value.status == 401

    other = new_user(live_server, "other")
    with shorturl.Client(live_server.url, api_key=other.api_key) as stranger:
        with pytest.raises(shorturl.Forbidden):
            stranger.urls.get(code)
        with pytest.raises(shorturl.Forbidden):
            stranger.urls.delete(code)
    with pytest.raises(ValueError):
        sdk.urls.get("..")  # never a path to another route


def test_qr_codes(sdk: shorturl.Client) -> None:
    code = sdk.urls.create(long_url="https://example.com/qr").short_code
    png = sdk.urls.qr(code, size=120)
    assert png.startswith(b"\x89PNG")
    svg = sdk.urls.qr(code, format="svg", color="#112233")
    assert b"<svg" in svg
    links = sdk.urls.qr_links(code)
    assert links.qr_code_url.endswith(f"/api/v1/qr/{code}")
    assert links.download_urls
    with pytest.raises(shorturl.UrlNotFound):
        sdk.urls.qr("nope-" + secrets.token_hex(3))


def test_user_profile_and_api_keys(live_server: LiveServer, sdk_user: SdkUser) -> None:
    with shorturl.Client(live_server.url, api_key=sdk_user.api_key) as client:
        profile = client.user.profile()
        assert (profile.username, profile.email, profile.plan) == (
            sdk_user.username,
            sdk_user.email,
            "free",
        )
        assert profile.usage_stats is not None and profile.usage_stats.urls_created == 0
        renamed = client.user.update_profile(display_name="Ada")
        assert renamed.display_name == "Ada"

        keys = client.user.api_keys.list()
        assert [key.name for key in keys] == ["tests"]
        reader = client.user.api_keys.create("ci", permissions=["read"], rate_limit=50)
        assert reader.key.startswith("sk_live_") and reader.permissions == ["read"]
        assert (reader.rate_limit, reader.effective_rate_limit) == (50, 50)
        assert {key.key_id for key in client.user.api_keys.list()} == {
            keys[0].key_id,
            reader.key_id,
        }
    with shorturl.Client(live_server.url, api_key=reader.key) as read_only:
        assert read_only.user.profile().username == sdk_user.username
        with pytest.raises(shorturl.Forbidden):
            read_only.urls.create(long_url="https://example.com/")
    with shorturl.Client(live_server.url, api_key=sdk_user.api_key) as client:
        revoked = client.user.api_keys.revoke(reader.key_id)
        assert revoked.key_id == reader.key_id
        with pytest.raises(shorturl.NotFound):
            client.user.api_keys.revoke("key_999999999")
    with (
        shorturl.Client(live_server.url, api_key=reader.key) as gone,
        pytest.raises(shorturl.Unauthorized),
    ):
        gone.user.profile()


def test_auth_and_account_deletion(live_server: LiveServer, sdk_user: SdkUser) -> None:
    with shorturl.Client(live_server.url) as anonymous:
        with pytest.raises(shorturl.AccountExists):
            anonymous.auth.signup(
                email=sdk_user.email, username="someone", password="a long password"
            )
        with pytest.raises(shorturl.Unauthorized):
            anonymous.auth.login(username=sdk_user.username, password="wrong password")
        token = anonymous.auth.login(username=sdk_user.username, password=sdk_user.password)
        assert token.token_type == "bearer" and token.expires_at > datetime.now(UTC)
    with shorturl.Client(live_server.url, token=token.access_token) as client:
        code = client.urls.create(long_url="https://example.com/mine").short_code
        gone = client.user.delete_account(sdk_user.password)
        assert gone.user_id == token.user_id
    with shorturl.Client(live_server.url) as anonymous, pytest.raises(shorturl.UrlNotFound):
        anonymous.urls.info(code)


def test_health(live_server: LiveServer) -> None:
    with shorturl.Client(live_server.url) as client:
        health = client.health()
    assert health.status == "healthy"
    assert health.cache == ("ok (redis)" if live_server.mode == "scaled" else "ok (in-process)")
