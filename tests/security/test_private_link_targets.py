"""Attack: make the shortener hand out links into its own network (loopback, private
ranges, the cloud metadata address), which a victim's browser or a preview bot follows."""

from __future__ import annotations

import asyncio

import pytest

from shorturl.errors import InvalidUrl
from shorturl.safety.checks import PrivateTargetCheck
from tests.conftest import AppFactory

PRIVATE = (
    "http://127.0.0.1:8080/admin",
    "http://10.1.2.3/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[::ffff:192.168.0.1]/",
)


async def test_private_targets_are_refused_by_default(app_factory: AppFactory) -> None:
    async with app_factory(allow_private_targets=False) as (_, client):
        for url in PRIVATE:
            refused = await client.post("/api/v1/urls", json={"long_url": url})
            assert refused.status_code == 400, (url, refused.text)
            assert refused.json()["error"]["code"] == "INVALID_URL"
        root = await client.post("/shorten", json={"url": PRIVATE[0]})
        assert root.status_code == 400
        public = await client.post("/api/v1/urls", json={"long_url": "http://198.51.100.7/"})
        assert public.status_code == 400  # documentation range: not global either
        fine = await client.post("/api/v1/urls", json={"long_url": "https://8.8.8.8/"})
        assert fine.status_code == 201


async def test_an_intranet_deployment_allows_them(app_factory: AppFactory) -> None:
    async with app_factory(allow_private_targets=False, allow_private_link_targets=True) as (
        _,
        client,
    ):
        for url in PRIVATE:
            assert (await client.post("/api/v1/urls", json={"long_url": url})).status_code == 201


async def test_a_name_that_resolves_into_the_network_is_refused(
    app_factory: AppFactory,
) -> None:
    """A name whose address is private is as private as the address: names are resolved.
    (No DNS here: the app's resolver answers for `intranet.example` as a DNS server would.)"""

    async def resolver(host: str, port: int) -> list[str]:
        if host == "intranet.example":
            return ["10.20.30.40"]
        raise OSError("Name or service not known")

    async with app_factory(allow_private_targets=False) as (app, client):
        [check] = [c for c in app.runtime.safety.checks if isinstance(c, PrivateTargetCheck)]
        check.resolver = resolver
        refused = await client.post(
            "/api/v1/urls", json={"long_url": "http://intranet.example/wiki"}
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["code"] == "INVALID_URL"
        assert "intranet.example resolves to 10.20.30.40" in refused.json()["error"]["details"]
        # A name with no address here cannot lead into this network: it is kept.
        unknown = await client.post(
            "/api/v1/urls", json={"long_url": "https://no-such-host.invalid/"}
        )
        assert unknown.status_code == 201, unknown.text


async def test_the_system_resolver_is_asked() -> None:
    with pytest.raises(InvalidUrl) as refused:
        await PrivateTargetCheck()("http://localhost:9999/")  # /etc/hosts: 127.0.0.1
    assert "localhost resolves to 127.0.0.1" in str(refused.value.details)


async def test_any_private_address_of_a_name_refuses_it() -> None:
    answers = {
        "split.example": ["8.8.4.4", "10.0.0.5"],
        "public.example": ["8.8.8.8", "2001:4860:4860::8888"],
    }

    async def resolver(host: str, port: int) -> list[str]:
        if host == "slow.example":
            await asyncio.sleep(5)
        if host not in answers:
            raise OSError("Name or service not known")
        return answers[host]

    check = PrivateTargetCheck(resolver, timeout=0.2)
    with pytest.raises(InvalidUrl) as refused:
        await check("https://split.example/")
    assert "split.example resolves to 10.0.0.5" in str(refused.value.details)
    await check("https://public.example/")
    await check("https://nowhere.example/")  # does not resolve: nothing to refuse
    await check("https://slow.example/")  # no answer in time: the same
