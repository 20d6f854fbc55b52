"""`client.urls.export_csv()` / `import_csv()` against a live server (sync and async, both
modes), and the CLI's export → import round trip between two accounts as real subprocesses."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import shorturl
from tests.client.conftest import SdkUser, new_user
from tests.live_server import LiveServer, run_cli


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def comparable(row: dict[str, str]) -> tuple[str, ...]:
    return (row["long_url"], row["description"], row["tags"], row["max_clicks"], row["status"])


def test_export_then_import_into_another_account(
    sdk: shorturl.Client, live_server: LiveServer, tmp_path: Path
) -> None:
    sdk.urls.bulk(
        [
            {"long_url": f"https://example.com/{i}", "tags": ["a", f"n{i}"], "description": f"{i}"}
            for i in range(25)
        ]
    )
    text = sdk.urls.export_csv()
    assert isinstance(text, str) and len(rows_of(text)) == 25
    path = tmp_path / "links.csv"
    seen: list[tuple[int, int | None]] = []
    assert sdk.urls.export_csv(path, tag="n3", on_progress=lambda *p: seen.append(p)) == 1
    assert [row["long_url"] for row in rows_of(path.read_text())] == ["https://example.com/3"]
    assert seen[-1] == (1, 1)

    other = new_user(live_server)
    progress: list[tuple[int, int | None]] = []
    with shorturl.Client(live_server.url, api_key=other.api_key) as client:
        kept = client.urls.import_csv(io.StringIO(text), rows_per_request=10)
        assert kept.summary.failed == 25  # the codes are the first account's
        assert [item.row for item in kept.failed] == list(range(1, 26))
        assert {item.code for item in kept.failed} == {"CUSTOM_ALIAS_TAKEN"}
        renewed = client.urls.import_csv(
            io.BytesIO(text.encode()),
            keep_codes=False,
            rows_per_request=10,
            on_progress=lambda *p: progress.append(p),
        )
        assert (renewed.summary.total, renewed.summary.created) == (25, 25)
        assert [item.index for item in renewed.created] == list(range(25))
        assert progress == [(10, 25), (20, 25), (25, 25)]
        again = client.urls.export_csv()
    assert isinstance(again, str)
    assert sorted(map(comparable, rows_of(again))) == sorted(map(comparable, rows_of(text)))


async def test_async_export_and_import(live_server: LiveServer, sdk_user: SdkUser) -> None:
    async with shorturl.AsyncClient(live_server.url, api_key=sdk_user.api_key) as client:
        result = await client.urls.import_csv(
            io.StringIO('url,tags\nhttps://example.com/x,"p,q"\nnope,\n')
        )
        assert (result.summary.created, result.summary.failed) == (1, 1)
        assert result.failed[0].row == 2 and result.failed[0].code == "INVALID_URL"
        text = await client.urls.export_csv()
        assert isinstance(text, str)
        (row,) = rows_of(text)
        assert (row["long_url"], row["tags"]) == ("https://example.com/x", "p,q")


def test_cli_round_trip_between_accounts_as_subprocesses(
    live_server: LiveServer, tmp_path: Path
) -> None:
    first, second = new_user(live_server, "rt"), new_user(live_server, "rt")
    with shorturl.Client(live_server.url, api_key=first.api_key) as client:
        client.urls.bulk(
            [{"long_url": f"https://example.com/rt/{i}", "tags": ["rt"]} for i in range(12)]
        )
        client.urls.update(client.urls.list_page(limit=1).urls[0].short_code, status="disabled")
        before = rows_of(str(client.urls.export_csv()))
    path = tmp_path / "export.csv"
    remote = ("--url", live_server.url)
    exported = run_cli(  # `shorturl export`: short for `shorturl links export`
        "export", str(path), *remote, "--api-key", first.api_key, env=live_server.env
    )
    assert exported.returncode == 0, exported.stderr
    assert "exported 12 links" in exported.stderr
    imported = run_cli(
        "import", str(path), "--new-codes", *remote, "--api-key", second.api_key,
        env=live_server.env,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert "imported 12, skipped 0, failed 0" in imported.stderr
    refused = run_cli(
        "links", "import", str(path), *remote, "--api-key", second.api_key, env=live_server.env
    )
    assert refused.returncode == 1 and "row 12: CUSTOM_ALIAS_TAKEN" in refused.stderr
    with shorturl.Client(live_server.url, api_key=second.api_key) as client:
        after = rows_of(str(client.urls.export_csv()))
    assert sorted(map(comparable, after)) == sorted(map(comparable, before))
    assert {row["owner"] for row in after} == {second.username}
