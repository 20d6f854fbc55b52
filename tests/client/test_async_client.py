"""`shorturl.AsyncClient` against a live `shorturl serve`, in both storage modes: every
resource method awaited, the listing walked with `async for`."""

from __future__ import annotations

import secrets

import pytest

import shorturl
from tests.client.conftest import SdkUser
from tests.live_server import LiveServer


async def test_links_from_create_to_delete(live_server: LiveServer, sdk_user: SdkUser) -> None:
    async with shorturl.AsyncClient(live_server.url, api_key=sdk_user.api_key) as client:
        tag = "t" + secrets.token_hex(3)
        created = [
            await client.urls.create(long_url=f"https://example.com/{n}", tags=[tag])
            for n in range(5)
        ]
        first = created[0]
        assert first.short_url == f"{live_server.url}/{first.short_code}"
        assert (await client.urls.get(first.short_code)).long_url == "https://example.com/0"
        walked = [link.short_code async for link in client.urls.list(tag=tag, page_size=2)]
        assert walked == [link.short_code for link in reversed(created)]
        page = await client.urls.list_page(limit=2, order="asc")
        assert [link.short_code for link in page.items] == [c.short_code for c in created[:2]]
        assert page.pagination.has_more

        changed = await client.urls.update(first.short_code, description="async")
        assert changed.description == "async"
        info = await client.urls.info(first.short_code)
        assert info.long_url == "https://example.com/0"
        assert (await client.urls.qr(first.short_code)).startswith(b"\x89PNG")
        assert (await client.urls.qr_links(first.short_code)).download_urls

        deleted = await client.urls.delete(first.short_code)
        assert deleted.short_code == first.short_code
        with pytest.raises(shorturl.UrlNotFound):
            await client.urls.get(first.short_code)
        with pytest.raises(shorturl.CustomAliasTaken):
            await client.urls.create(
                long_url="https://example.com/", custom_alias=created[1].short_code
            )


async def test_accounts(live_server: LiveServer, sdk_user: SdkUser) -> None:
    async with shorturl.AsyncClient(live_server.url) as anonymous:
        token = await anonymous.auth.login(email=sdk_user.email, password=sdk_user.password)
        assert (await anonymous.health()).status == "healthy"
    async with shorturl.AsyncClient(live_server.url, token=token.access_token) as client:
        assert (await client.user.profile()).username == sdk_user.username
        assert (await client.user.update_profile(display_name="Async")).display_name == "Async"
        key = await client.user.api_keys.create("async", permissions=["read"])
        assert key.key_id in {k.key_id for k in await client.user.api_keys.list()}
        assert (await client.user.api_keys.revoke(key.key_id)).key_id == key.key_id
        assert (await client.user.delete_account(sdk_user.password)).user_id == token.user_id
    async with shorturl.AsyncClient(live_server.url, token=token.access_token) as stale:
        with pytest.raises(shorturl.Unauthorized):
            await stale.user.profile()
    async with shorturl.AsyncClient(live_server.url) as anonymous:
        profile = await anonymous.auth.signup(
            email="x" + sdk_user.email, username="x" + sdk_user.username, password="long enough pw"
        )
        assert profile.plan == "free"
