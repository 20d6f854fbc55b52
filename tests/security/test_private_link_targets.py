"""Attack: make the shortener hand out links into its own network (loopback, private
ranges, the cloud metadata address), which a victim's browser or a preview bot follows."""

from __future__ import annotations

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
