"""`client.urls.bulk()` against a live `shorturl serve`, sync and async, in both modes."""

from __future__ import annotations

import secrets

import shorturl
from shorturl.client.models import BulkCreated, BulkFailed, BulkResult
from tests.client.conftest import SdkUser
from tests.live_server import LiveServer


def test_bulk_reports_each_item(sdk: shorturl.Client, live_server: LiveServer) -> None:
    alias = "b-" + secrets.token_hex(4)
    result = sdk.urls.bulk(
        [
            {"long_url": "https://example.com/1", "custom_alias": alias, "tags": ["x"]},
            "https://example.com/2",
            {"long_url": "https://example.com/3", "custom_alias": alias},
            "not a url",
        ]
    )
    assert isinstance(result, BulkResult)
    assert (result.summary.total, result.summary.created, result.summary.failed) == (4, 2, 2)
    first, second = result.created
    assert isinstance(first, BulkCreated)
    assert (first.index, first.short_code, first.status) == (0, alias, "created")
    assert first.short_url == f"{live_server.url}/{alias}" and first.tags == ["x"]
    assert first.created_at is not None and first.created_at.tzinfo is not None
    assert second.index == 1 and second.custom_alias is None
    taken, invalid = result.failed
    assert isinstance(taken, BulkFailed)
    assert (taken.index, taken.code, taken.error) == (
        2,
        "CUSTOM_ALIAS_TAKEN",
        "Custom alias already exists",
    )
    assert (invalid.index, invalid.code, invalid.long_url) == (3, "INVALID_URL", "not a url")
    assert sdk.urls.get(alias).long_url == "https://example.com/1"


async def test_async_bulk(live_server: LiveServer, sdk_user: SdkUser) -> None:
    async with shorturl.AsyncClient(live_server.url, api_key=sdk_user.api_key) as client:
        result = await client.urls.bulk(f"https://example.com/a/{n}" for n in range(50))
        assert result.summary.created == 50
        codes = [item.short_code for item in result.created]
        assert (await client.urls.get(codes[-1])).long_url == "https://example.com/a/49"
