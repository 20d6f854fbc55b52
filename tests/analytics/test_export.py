"""Raw click export: `GET /urls/{code}/clicks` as CSV and NDJSON in keyset pages (both modes),
its refusals, and `shorturl analytics export` locally and against a live server."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from shorturl.analytics import export
from shorturl.analytics.export import COLUMNS
from shorturl.cli import app as cli
from shorturl.runtime import Runtime
from tests.analytics.conftest import UA, Visit, click, make_link, store_events
from tests.client.conftest import new_user
from tests.conftest import MakeAccount
from tests.live_server import LiveServer


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()


async def _link_id(runtime: Runtime, code: str) -> int:
    async with runtime.database.sessionmaker() as session:
        return (await runtime.links.get(session, code)).id


async def test_csv_and_ndjson_hold_every_request_oldest_first(
    user_client: httpx.AsyncClient,
    runtime: Runtime,
    visit: Visit,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(export, "PAGE", 2)  # several keyset pages, ties on time included
    code = await make_link(user_client)
    link_id = await _link_id(runtime, code)
    now = time.time()
    tied = [click(link_id, 3600, ua=UA["mobile"])._replace(at=now - 3600) for _ in range(3)]
    old = click(link_id, 40 * 86400)  # before the default 30 days
    assert await store_events(runtime, [*tied, old]) == 4
    assert (await visit(f"/{code}?utm_source=news", ua=UA["googlebot"])).status_code == 301
    hostile = '=HYPERLINK("https://evil.test")'
    assert (await visit(f"/{code}", headers={"referer": hostile})).status_code == 301
    assert (await visit(f"/{code}", method="HEAD")).status_code == 301
    await runtime.clicks.drain()

    response = await user_client.get(f"/api/v1/urls/{code}/clicks")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-total-count"] == "6"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(COLUMNS) and len(rows) == 6
    assert [row["clicked_at"] for row in rows] == sorted(row["clicked_at"] for row in rows)
    assert [row["device"] for row in rows[:3]] == ["mobile"] * 3
    googlebot = next(row for row in rows if row["kind"] == "bot")
    assert (googlebot["bot_name"], googlebot["utm_source"], googlebot["counted"]) == (
        "Googlebot",
        "news",
        "true",
    )
    assert [row["counted"] for row in rows if row["method"] == "HEAD"] == ["false"]
    # a spreadsheet must not run what a visitor sent as a formula
    assert any(row["referrer"] == "'" + hostile for row in rows)

    ndjson = await user_client.get(
        f"/api/v1/urls/{code}/clicks", params={"format": "ndjson", "from": _days_ago(60)}
    )
    assert ndjson.headers["content-type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in ndjson.text.splitlines()]
    assert len(records) == 7 and ndjson.headers["x-total-count"] == "7"  # the old one too
    assert records[0]["clicked_at"] < records[1]["clicked_at"]
    assert next(r for r in records if r["kind"] == "bot")["referrer"] is None
    assert any(record["referrer"] == hostile for record in records)  # JSON keeps it as sent
    day = records[1]["clicked_at"][:10]
    one_day = await user_client.get(
        f"/api/v1/urls/{code}/clicks", params={"format": "ndjson", "from": day, "to": day}
    )
    assert one_day.headers["x-total-count"] == str(
        sum(1 for record in records if record["clicked_at"].startswith(day))
    )


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"format": "xml"}, "format must be one of csv, ndjson"),
        ({"from": "last week"}, "from must be a day"),
        ({"to": "2026-13-40"}, "to must be a day"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "from must be before to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "over 366 days"),
    ],
)
async def test_bad_exports_are_refused_clearly(
    user_client: httpx.AsyncClient, params: dict[str, str], problem: str
) -> None:
    code = await make_link(user_client)
    response = await user_client.get(f"/api/v1/urls/{code}/clicks", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "VALIDATION_ERROR"
    assert problem in body["error"]["message"]


async def test_only_the_owner_or_an_admin_exports(
    app: Any,
    client: httpx.AsyncClient,
    user_client: httpx.AsyncClient,
    make_account: MakeAccount,
) -> None:
    code = await make_link(user_client)
    assert (await client.get(f"/api/v1/urls/{code}/clicks")).status_code == 401
    other = await make_account("mallory")
    forbidden = await client.get(f"/api/v1/urls/{code}/clicks", headers=other.headers)
    assert forbidden.status_code == 403
    admin = await make_account("root", role="admin")
    allowed = await client.get(f"/api/v1/urls/{code}/clicks", headers=admin.headers)
    assert allowed.status_code == 200 and allowed.text.startswith("clicked_at,")
    missing = await client.get("/api/v1/urls/nosuchcode/clicks", headers=admin.headers)
    assert missing.status_code == 404


def test_the_cli_exports_remotely_and_locally(
    live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = new_user(live_server, "exp")
    created = httpx.post(
        f"{live_server.url}/api/v1/urls",
        json={"long_url": "https://example.com/export"},
        headers={"X-API-Key": user.api_key},
    )
    code = created.json()["data"]["short_code"]
    for agent in (UA["desktop"], UA["mobile"], "Twitterbot/1.0"):
        redirect = httpx.get(f"{live_server.url}/{code}", headers={"user-agent": agent})
        assert redirect.status_code == 301
    remote = ["--url", live_server.url, "--api-key", user.api_key]
    runner = CliRunner()
    path = tmp_path / "clicks.csv"
    deadline = time.monotonic() + 10
    while True:  # the server's worker stores the clicks a moment after the redirects
        result = runner.invoke(cli, ["analytics", "export", code, str(path), *remote])
        assert result.exit_code == 0, result.output
        if "exported 3 clicks" in result.stderr or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "exported 3 clicks" in result.stderr
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert sorted(row["kind"] for row in rows) == ["human", "human", "preview"]

    ndjson = runner.invoke(
        cli,
        ["analytics", "export", code, "-", "--format", "ndjson", "--from", _days_ago(1)] + remote,
    )
    assert ndjson.exit_code == 0
    assert len([json.loads(line) for line in ndjson.stdout.splitlines()]) == 3
    refused = runner.invoke(cli, ["analytics", "export", code, "-", "--from", "soon", *remote])
    assert refused.exit_code != 0 and "from must be a day" in refused.stderr

    for name in ("SHORTURL_URL", "SHORTURL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in live_server.env.items():
        monkeypatch.setenv(name, value)
    local = tmp_path / "local.ndjson"
    result = runner.invoke(cli, ["analytics", "export", code, str(local), "--format", "ndjson"])
    assert result.exit_code == 0, result.output
    assert "exported 3 clicks" in result.stderr
    assert len(local.read_text(encoding="utf-8").splitlines()) == 3
