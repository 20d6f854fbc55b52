"""Smart links on a real `shorturl serve` (a subprocess behind a trusted proxy, each mode),
set up through the Python SDK and the CLI, visited over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import shorturl
from shorturl.cli import app as cli
from tests.client.conftest import new_user
from tests.conftest import Backend, create_postgres_database, drop_postgres_database
from tests.live_server import LiveServer, start_server

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
LONG = "https://example.com/long"


@pytest.fixture(scope="module")
def proxied_server(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`shorturl serve` in this mode that trusts X-Forwarded-For from 127.0.0.1."""
    workdir: Path = tmp_path_factory.mktemp(f"smart-{backend.name}")
    if backend.redis_url is None:
        with start_server(
            f"sqlite+aiosqlite:///{workdir}/smart.db", None, workdir, trusted_proxies="127.0.0.1"
        ) as server:
            yield server
        return
    database_url = create_postgres_database()
    try:
        with start_server(
            database_url, backend.redis_url, workdir, trusted_proxies="127.0.0.1"
        ) as server:
            yield server
    finally:
        drop_postgres_database(database_url)


def get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", headers=headers, follow_redirects=False, timeout=10)


def test_sdk_rules_variants_and_clicks_per_destination(proxied_server: LiveServer) -> None:
    server = proxied_server
    user = new_user(server, "smart")
    with shorturl.Client(server.url, api_key=user.api_key) as client:
        link = client.urls.create(
            LONG,
            rules=[
                {"conditions": {"os": "ios"}, "long_url": "https://example.com/ios"},
                {"conditions": {"country": "GB"}, "long_url": "https://example.com/uk"},
                {"conditions": {"language": "fr"}, "long_url": "https://example.com/fr"},
            ],
            variants=[
                {"long_url": "https://example.com/a", "weight": 1},
                {"long_url": "https://example.com/b", "weight": 1},
            ],
        )
        assert link.password_protected is False
        assert [rule["long_url"] for rule in link.rules or ()][0] == "https://example.com/ios"
        code = link.short_code
        path = f"/{code}"
        assert get(server, path, **{"user-agent": IPHONE}).headers["location"].endswith("/ios")
        uk = get(server, path, **{"user-agent": WINDOWS, "x-forwarded-for": "81.2.69.142"})
        assert uk.headers["location"].endswith("/uk")
        fr = get(server, path, **{"user-agent": WINDOWS, "accept-language": "fr-CA,fr;q=0.8"})
        assert fr.headers["location"].endswith("/fr")
        variant = get(server, path, **{"user-agent": WINDOWS, "x-forwarded-for": "8.8.8.8"})
        assert variant.status_code == 302
        assert variant.headers["location"] in ("https://example.com/a", "https://example.com/b")
        again = get(server, path, **{"user-agent": WINDOWS, "x-forwarded-for": "8.8.8.8"})
        assert again.headers["location"] == variant.headers["location"]

        # the worker stores the clicks with their destinations
        for _ in range(100):
            report = client.urls.analytics(code, period="all")
            if report.total_clicks >= 5:
                break
            time.sleep(0.1)
        shares = {row.destination: row.clicks for row in report.destination_data or ()}
        assert shares["https://example.com/ios"] == 1
        assert shares[variant.headers["location"]] == 2

        updated = client.urls.update(code, rules=None, variants=None, password="letmein")
        assert updated.password_protected is True and updated.rules == []
    form = get(server, f"/{code}")
    assert form.status_code == 200 and form.headers["x-robots-tag"] == "noindex"
    opened = httpx.post(f"{server.url}/{code}", data={"password": "letmein"}, timeout=10)
    assert opened.status_code == 302 and opened.headers["location"] == LONG


def test_cli_creates_and_updates_smart_links(
    proxied_server: LiveServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SHORTURL_URL", raising=False)
    monkeypatch.delenv("SHORTURL_API_KEY", raising=False)
    server = proxied_server
    user = new_user(server, "smartcli")
    remote = ("--url", server.url, "--api-key", user.api_key)
    rules = tmp_path / "rules.json"
    rules.write_text(
        json.dumps([{"conditions": {"device": "mobile"}, "long_url": "https://example.com/m"}])
    )
    runner = CliRunner()
    created = runner.invoke(
        cli,
        ["links", "create", LONG, "-a", "smart-cli", "--rules", f"@{rules}",
         "--expired-redirect", "https://example.com/gone", "--password", "pw", "--json",
         *remote],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    link = json.loads(created.stdout)
    assert link["password_protected"] is True
    assert link["rules"][0]["conditions"] == {"device": ["mobile"]}
    assert link["expired_redirect"] == "https://example.com/gone"
    shown = runner.invoke(cli, ["links", "show", "smart-cli", *remote])
    assert "https://example.com/gone" in shown.stdout

    changed = runner.invoke(
        cli,
        ["links", "update", "smart-cli", "--no-password", "--no-rules",
         "--variant", "70:https://example.com/a", "--variant", "30:https://example.com/b",
         "--json", *remote],
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    link = json.loads(changed.stdout)
    assert link["password_protected"] is False and link["rules"] == []
    assert [v["weight"] for v in link["variants"]] == [70, 30]
    visit = get(server, "/smart-cli", **{"user-agent": IPHONE})
    assert visit.headers["location"] in ("https://example.com/a", "https://example.com/b")

    bad = runner.invoke(
        cli,
        ["links", "update", "smart-cli", "--rules",
         '[{"conditions": {"country": "XX"}, "long_url": "https://example.com/"}]', *remote],
    )  # fmt: skip
    assert bad.exit_code != 0
    assert "rules.0.conditions.country" in bad.stderr
    bad_variant = runner.invoke(cli, ["links", "update", "smart-cli", "--variant", "x", *remote])
    assert bad_variant.exit_code == 2 and "WEIGHT:URL" in bad_variant.output
