"""Short domains through the clients: `client.domains` of the Python SDK (sync and async)
and `shorturl domains …`, on the live server of each mode and on a local database."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import shorturl
from shorturl.cli import app as cli
from shorturl.client.models import Domain, DomainDeleted
from tests.client.conftest import SdkUser, new_user
from tests.live_server import LiveServer, run_cli

runner = CliRunner()


def host() -> str:
    return f"d{secrets.token_hex(4)}.example.com"


@pytest.fixture(scope="module")
def admin(live_server: LiveServer) -> SdkUser:
    user = new_user(live_server, "dadm")
    promoted = run_cli("users", "set-role", user.username, "admin", env=live_server.env)
    assert promoted.returncode == 0, promoted.stderr
    return user


@pytest.fixture
def member(live_server: LiveServer) -> SdkUser:
    return new_user(live_server, "dusr")


def test_the_sync_sdk_manages_domains_and_links_live_on_them(
    live_server: LiveServer, admin: SdkUser, member: SdkUser
) -> None:
    go, spare = host(), host()
    with (
        shorturl.Client(live_server.url, api_key=admin.api_key) as client,
        shorturl.Client(live_server.url, api_key=member.api_key) as sdk,
    ):
        added = client.domains.add(go, root_redirect="https://example.com/home")
        assert isinstance(added, Domain)
        assert (added.host, added.is_default, added.links) == (go, False, 0)
        assert added.created_at is not None and added.created_at.tzinfo is not None
        with pytest.raises(shorturl.DomainExists) as taken:
            client.domains.add(go.upper())
        assert (taken.value.status, taken.value.code) == (409, "DOMAIN_EXISTS")
        with pytest.raises(shorturl.ValidationError):
            client.domains.add("10.0.0.1")
        client.domains.add(spare)

        # Anyone signed in lists them and makes links on them; the redirect follows `Host`.
        listed = sdk.domains.list()
        assert listed[0].is_default and listed[0].host == live_server.url.split("//")[1]
        assert {go, spare} <= {domain.host for domain in listed}
        link = sdk.urls.create(long_url="https://example.com/on-go", domain=go)
        assert link.domain == go and link.short_url == f"http://{go}/{link.short_code}"
        with httpx.Client(base_url=live_server.url) as http:
            hit = http.get(f"/{link.short_code}", headers={"Host": go})
            assert (hit.status_code, hit.headers["location"]) == (301, "https://example.com/on-go")
            assert http.get(f"/{link.short_code}").status_code == 404  # not on the default one
            root = http.get("/", headers={"Host": go})
            assert root.headers["location"] == "https://example.com/home"
        with pytest.raises(shorturl.Forbidden):
            sdk.domains.add(host())

        changed = client.domains.update(
            go, root_redirect=None, not_found_redirect="https://example.com/404"
        )
        assert (changed.root_redirect, changed.not_found_redirect, changed.links) == (
            None,
            "https://example.com/404",
            1,
        )
        with pytest.raises(shorturl.DomainInUse):
            client.domains.remove(go)
        removed = client.domains.remove(spare)
        assert isinstance(removed, DomainDeleted) and removed.host == spare
        with pytest.raises(shorturl.NotFound):
            client.domains.update(spare, root_redirect="https://example.com/")
        assert spare not in {domain.host for domain in client.domains.list()}


async def test_the_async_sdk_manages_domains(live_server: LiveServer, admin: SdkUser) -> None:
    name = host()
    async with shorturl.AsyncClient(live_server.url, api_key=admin.api_key) as client:
        added = await client.domains.add(name, not_found_redirect="https://example.com/gone")
        assert added.not_found_redirect == "https://example.com/gone"
        assert name in {domain.host for domain in await client.domains.list()}
        changed = await client.domains.update(name, root_redirect="https://example.com/")
        assert (changed.root_redirect, changed.not_found_redirect) == (
            "https://example.com/",
            "https://example.com/gone",
        )
        assert (await client.domains.remove(name)).host == name


def test_the_cli_on_a_local_database(shorturl_cli: Any) -> None:
    name = host()
    added = shorturl_cli("domains", "add", name.upper(), "--root-redirect", "https://example.com/")
    assert added.exit_code == 0, added.output
    assert name in added.stdout and "within 10 s" in added.stderr
    again = shorturl_cli("domains", "add", name)
    assert again.exit_code == 4 and "DOMAIN_EXISTS" in again.stderr
    bad = shorturl_cli("domains", "add", "not a host")
    assert bad.exit_code == 1 and "host: not a host name" in bad.stderr

    created = shorturl_cli("links", "create", "https://example.com/x", "--domain", name)
    assert created.exit_code == 0, created.output
    listed = json.loads(shorturl_cli("domains", "list", "--json").stdout)
    assert listed[0]["is_default"] and listed[0]["host"] == "sho.rt"
    [mine] = [domain for domain in listed if domain["host"] == name]
    assert (mine["links"], mine["root_redirect"]) == (1, "https://example.com/")

    cleared = shorturl_cli(
        "domains", "update", name, "--root-redirect", "", "--not-found-redirect",
        "https://example.com/404", "--json",
    )  # fmt: skip
    assert cleared.exit_code == 0, cleared.output
    assert json.loads(cleared.stdout) | {"created_at": None} == {
        "host": name,
        "is_default": False,
        "root_redirect": None,
        "not_found_redirect": "https://example.com/404",
        "links": 1,
        "created_at": None,
    }
    nothing = shorturl_cli("domains", "update", name)
    assert nothing.exit_code == 2
    in_use = shorturl_cli("domains", "remove", name, "-y")
    assert in_use.exit_code == 4 and "DOMAIN_IN_USE" in in_use.stderr
    unknown = shorturl_cli("domains", "remove", host(), "-y")
    assert unknown.exit_code == 3
    spare = host()
    assert shorturl_cli("domains", "add", spare).exit_code == 0
    asked = shorturl_cli("domains", "remove", spare, input="n\n")
    assert asked.exit_code == 1  # aborted: still there
    assert shorturl_cli("domains", "remove", spare, "-y").stdout.startswith(f"removed {spare}")
    hosts = [
        domain["host"] for domain in json.loads(shorturl_cli("domains", "list", "--json").stdout)
    ]
    assert spare not in hosts and name in hosts


def test_the_cli_on_a_remote_server(
    live_server: LiveServer, admin: SdkUser, member: SdkUser
) -> None:
    name, remote = host(), ["--url", live_server.url, "--api-key", admin.api_key]
    added = runner.invoke(cli, ["domains", "add", name, "--json", *remote])
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["host"] == name
    listed = runner.invoke(
        cli, ["domains", "list", "--url", live_server.url, "--api-key", member.api_key]
    )
    assert listed.exit_code == 0 and name in listed.stdout
    refused = runner.invoke(
        cli,
        ["domains", "remove", name, "-y", "--url", live_server.url, "--api-key", member.api_key],
    )
    assert refused.exit_code == 5 and "FORBIDDEN" in refused.stderr
    removed = runner.invoke(cli, ["domains", "remove", name, "-y", *remote])
    assert removed.exit_code == 0 and removed.stdout.startswith(f"removed {name}")
