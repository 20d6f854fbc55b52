"""Kutt's API v2, Bitly's v4 API and CSV export, and shorturl's own CSV, in both modes (the
APIs from a real HTTP server answering with recorded pages)."""

from __future__ import annotations

import httpx
import pytest

from shorturl.imports.records import ImportProblem
from shorturl.imports.remote import RemoteApi, import_fetcher
from shorturl.imports.service import ImportRequest
from shorturl.runtime import Runtime
from tests.imports.conftest import counts, fixture, imported, link, report
from tests.imports.peer_server import bitly_route, kutt_route, peer_server

KUTT_KEY = "kutt-key"
BITLY_TOKEN = "bitly-token"


async def test_kutt_api(client: httpx.AsyncClient, runtime: Runtime) -> None:
    with peer_server(kutt_route, ("X-API-KEY", KUTT_KEY)) as peer:
        request = ImportRequest("kutt", api_url=peer.url, api_key=KUTT_KEY)
        job = await imported(runtime, request)
        again = await imported(runtime, request)
    assert (job.status, job.total, job.created, job.clicks) == ("done", 2, 2, 7)
    assert (again.created, again.unchanged) == (0, 2)
    one = await link(client, "kutt-one")
    assert (one["description"], one["click_count"]) == ("Kutt description", 7)
    assert one["expiration_date"] == "2031-06-30T00:00:00Z"
    assert counts(await report(client, "kutt-one"))["days"] == {"2023-09-14": 7}
    banned = await link(client, "banned1")
    assert banned["status"] == "disabled"
    assert (await client.get("/banned1")).status_code == 404


async def test_bitly_api_follows_pages_and_reads_daily_clicks(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    with peer_server(bitly_route, ("Authorization", f"Bearer {BITLY_TOKEN}")) as peer:
        request = ImportRequest("bitly", api_url=peer.url, api_key=BITLY_TOKEN)
        job = await imported(runtime, request)
        again = await imported(runtime, request)
    assert peer.paths()[0] == "/v4/user"  # the default group, as no --group was given
    assert (job.status, job.total, job.created, job.clicks) == ("done", 2, 3, 6)
    assert (again.created, again.unchanged) == (0, 3)
    main = await link(client, "3AbCdEf")
    assert (main["tags"], main["description"]) == (["2022", "launch"], "Launch page")
    assert main["created_at"] == "2022-01-05T10:00:00Z"
    assert counts(await report(client, "3AbCdEf"))["days"] == {"2022-01-06": 4, "2022-01-08": 2}
    custom = await link(client, "my-launch")  # the custom back-half works too
    assert (custom["long_url"], custom["click_count"]) == ("https://example.com/launch", 0)
    assert (await link(client, "2Zz9yX"))["status"] == "disabled"  # archived


async def test_bitly_next_page_on_another_host_is_not_followed(runtime: Runtime) -> None:
    api = RemoteApi("http://127.0.0.1:1", {"Authorization": "Bearer x"}, import_fetcher(True))
    with pytest.raises(ImportProblem, match="another site"):
        await api.get_url("http://evil.test/v4/groups/x/bitlinks?page=2")
    await api.fetcher.aclose()


async def test_api_addresses_follow_the_ssrf_rules(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    api = RemoteApi("http://127.0.0.1:9", {}, import_fetcher(allow_private=False))
    with pytest.raises(ImportProblem, match="may not be fetched"):
        await api.get("/api/v2/links")
    await api.fetcher.aclose()


async def test_bitly_csv(client: httpx.AsyncClient, runtime: Runtime) -> None:
    request = ImportRequest("bitly", data=fixture("bitly/links.csv"), file_name="links.csv")
    job = await imported(runtime, request)
    assert (job.status, job.created, job.failed) == ("done", 2, 1)
    assert job.problems[0]["code"] == "notaurl"
    main = await link(client, "3AbCdEf")
    assert (main["tags"], main["click_count"]) == (["2022", "launch"], 6)
    again = await imported(runtime, request)
    assert (again.created, again.unchanged, again.failed) == (0, 2, 1)


async def test_shorturl_csv_export_round_trip(
    client: httpx.AsyncClient, user_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await user_client.post(
        "/api/v1/urls",
        json={"long_url": "https://example.com/mine", "custom_alias": "mine-1", "tags": ["a"]},
    )
    assert created.status_code == 201, created.text
    exported = (await user_client.get("/api/v1/urls/export")).content
    text = exported.decode().replace("mine-1", "mine-2")
    job = await imported(runtime, ImportRequest("csv", data=text.encode(), file_name="e.csv"))
    assert (job.status, job.created) == ("done", 1)
    copy = await link(client, "mine-2")
    assert (copy["long_url"], copy["tags"]) == ("https://example.com/mine", ["a"])
    clash = await imported(runtime, ImportRequest("csv", data=exported))
    assert (clash.created, clash.clashes) == (0, 1)  # mine-1 was not imported: it is ours
