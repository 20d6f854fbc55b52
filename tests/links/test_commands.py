"""`shorturl links …` through Typer's runner: on a local database of each mode, and remotely
(`--url`) on the live server of each mode."""

from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import shorturl
from shorturl.cli import app as cli
from tests.client.conftest import new_user
from tests.live_server import LiveServer, free_port

runner = CliRunner()


def tag() -> str:
    return "t" + secrets.token_hex(3)


def test_create_show_update_delete(shorturl_cli: Any) -> None:
    alias, label = "c-" + secrets.token_hex(4), tag()
    created = shorturl_cli(
        "links", "create", "https://example.com/a", "--alias", alias, "-t", label, "-t", "x",
        "--expires", "30d", "--max-clicks", "9", "--description", "note",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert created.stdout == f"http://sho.rt/{alias}\n"

    shown = shorturl_cli("links", "show", alias, "--json")
    link = json.loads(shown.stdout)
    assert (link["long_url"], link["max_clicks"], link["description"]) == (
        "https://example.com/a",
        9,
        "note",
    )
    assert sorted(link["tags"]) == sorted([label, "x"]) and link["owner"] is None
    expires = datetime.fromisoformat(link["expiration_date"])
    assert timedelta(days=29) < expires - datetime.now(UTC) < timedelta(days=31)
    table = shorturl_cli("links", "show", alias)
    assert "https://example.com/a" in table.stdout and "note" in table.stdout

    changed = shorturl_cli(
        "links", "update", alias, "--long-url", "https://example.com/b", "--no-expiry",
        "--no-max-clicks", "--no-description", "--no-tags", "--disable", "--json",
    )  # fmt: skip
    assert changed.exit_code == 0, changed.output
    link = json.loads(changed.stdout)
    assert (link["long_url"], link["expiration_date"], link["max_clicks"]) == (
        "https://example.com/b",
        None,
        None,
    )
    assert (link["description"], link["tags"], link["status"]) == (None, [], "disabled")
    enabled = shorturl_cli("links", "update", alias, "--enable", "--tag", "y", "--json")
    assert json.loads(enabled.stdout)["status"] == "active"

    refused = shorturl_cli("links", "delete", alias, input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    deleted = shorturl_cli("links", "delete", alias, "--yes")
    assert deleted.exit_code == 0 and deleted.stdout == f"deleted {alias}\n"
    gone = shorturl_cli("links", "show", alias)
    assert gone.exit_code == 3 and "URL_NOT_FOUND" in gone.stderr


def test_stats_of_a_link_on_the_local_database(shorturl_cli: Any) -> None:
    alias = "s-" + secrets.token_hex(4)
    assert shorturl_cli("links", "create", "https://example.com/", "--alias", alias).exit_code == 0
    report = shorturl_cli("stats", alias, "--json", "--period", "7d", "--granularity", "day")
    assert report.exit_code == 0, report.output
    data = json.loads(report.stdout)
    assert (data["short_code"], data["total_clicks"], data["period"]) == (alias, 0, "7d")
    assert len(data["time_series"]) >= 7 and {p["clicks"] for p in data["time_series"]} == {0}
    shown = shorturl_cli("stats", alias)
    assert f"{alias}: 0 clicks" in shown.stdout and "▁" in shown.stdout
    missing = shorturl_cli("stats", "no-such-" + secrets.token_hex(3))
    assert missing.exit_code == 3 and "URL_NOT_FOUND" in missing.stderr
    wrong = shorturl_cli("stats", alias, "--period", "2d")
    assert wrong.exit_code == 2


def test_errors_are_one_line_with_an_exit_code(shorturl_cli: Any) -> None:
    alias = "e-" + secrets.token_hex(4)
    assert shorturl_cli("links", "create", "https://example.com/", "--alias", alias).exit_code == 0
    taken = shorturl_cli("links", "create", "https://example.com/", "--alias", alias)
    assert taken.exit_code == 4
    assert taken.stderr.startswith("error: CUSTOM_ALIAS_TAKEN: Custom alias already exists")
    assert "Traceback" not in taken.output

    invalid = shorturl_cli("links", "create", "javascript:alert(1)")
    assert invalid.exit_code == 1 and "INVALID_URL" in invalid.stderr
    reserved = shorturl_cli("links", "create", "https://example.com/", "--alias", "admin")
    assert reserved.exit_code == 1 and "VALIDATION_ERROR" in reserved.stderr
    too_long = shorturl_cli("links", "create", "https://example.com/", "--description", "d" * 2001)
    assert too_long.exit_code == 1 and "description" in too_long.stderr

    assert (
        shorturl_cli("links", "create", "https://example.com/", "--max-clicks", "0").exit_code == 2
    )
    bad_date = shorturl_cli("links", "create", "https://example.com/", "--expires", "soon")
    assert bad_date.exit_code == 2 and "2030-12-31" in bad_date.output
    past = shorturl_cli("links", "create", "https://example.com/", "--expires", "2001-01-01")
    assert past.exit_code == 0 and "expired already" in past.stderr  # kept, expired at once
    nothing = shorturl_cli("links", "update", alias)
    assert nothing.exit_code == 2 and "nothing to change" in nothing.stderr
    both = shorturl_cli("links", "update", alias, "--max-clicks", "3", "--no-max-clicks")
    assert both.exit_code == 2
    unknown_owner = shorturl_cli("links", "create", "https://example.com/", "--owner", "nobody")
    assert unknown_owner.exit_code == 3 and "No such user" in unknown_owner.stderr
    key_alone = shorturl_cli("links", "list", "--api-key", "sk_live_x")
    assert key_alone.exit_code == 2 and "needs --url" in key_alone.stderr


def test_list_search_filters_sort_and_pages(shorturl_cli: Any) -> None:
    label = tag()
    codes = []
    for n in range(5):
        result = shorturl_cli(
            "links", "create", f"https://example.com/{label}/{n}", "--tag", label,
            "--description", "odd" if n % 2 else "even",
        )  # fmt: skip
        codes.append(result.stdout.strip().rsplit("/", 1)[1])
    shorturl_cli("links", "update", codes[0], "--disable")

    listed = shorturl_cli("links", "list", "--tag", label, "--json", "--order", "asc")
    assert [link["short_code"] for link in json.loads(listed.stdout)] == codes
    odd = shorturl_cli("links", "list", "-q", "odd", "--tag", label, "--json")
    assert [link["short_code"] for link in json.loads(odd.stdout)] == [codes[3], codes[1]]
    disabled = shorturl_cli("links", "list", "--status", "disabled", "--tag", label, "--json")
    assert [link["short_code"] for link in json.loads(disabled.stdout)] == [codes[0]]
    every = shorturl_cli("links", "list", "--tag", label, "--all", "--json")
    assert len(json.loads(every.stdout)) == 5

    page = shorturl_cli("links", "list", "--tag", label, "--limit", "2", "--offset", "1")
    assert page.exit_code == 0
    assert codes[3] in page.stdout and codes[2] in page.stdout and codes[4] not in page.stdout
    assert "2–3 of 5; --offset 3 for more" in page.stdout
    assert shorturl_cli("links", "list", "--sort", "popularity").exit_code == 2
    assert shorturl_cli("links", "list", "--limit", "101").exit_code == 2


def test_owner_acts_as_a_user(shorturl_cli: Any, local_env: dict) -> None:
    username = "cli" + secrets.token_hex(3)
    made = shorturl_cli(
        "users", "create", f"{username}@example.com", username, input="long password 1\n" * 2
    )
    assert made.exit_code == 0, made.output
    created = shorturl_cli(
        "links", "create", "https://example.com/o", "--owner", username, "--json"
    )
    assert json.loads(created.stdout)["owner"]["username"] == username
    shorturl_cli("links", "create", "https://example.com/not-theirs")
    theirs = shorturl_cli("links", "list", "--owner", username, "--json")
    assert [link["long_url"] for link in json.loads(theirs.stdout)] == ["https://example.com/o"]


def test_export_and_import_round_trip(shorturl_cli: Any, tmp_path: Path) -> None:
    label = tag()
    for n in range(3):
        shorturl_cli(
            "links", "create", f"https://example.com/rt/{n}", "--tag", label, "--tag", "both"
        )
    special = "rt-" + secrets.token_hex(3)
    shorturl_cli(
        "links", "create", "https://example.com/rt/special", "--alias", special, "--tag", label,
        "--description", 'with "quotes", commas', "--max-clicks", "5", "--expires", "10d",
    )  # fmt: skip
    shorturl_cli("links", "update", special, "--disable")
    before = json.loads(shorturl_cli("links", "list", "--tag", label, "--all", "--json").stdout)

    exported = tmp_path / "links.csv"
    result = shorturl_cli("links", "export", str(exported), "--tag", label)
    assert result.exit_code == 0 and "exported 4 links" in result.stderr
    rows = list(csv.DictReader(exported.open()))
    assert {row["short_code"] for row in rows} == {link["short_code"] for link in before}

    for link in before:  # free the codes, so the import can take them again
        shorturl_cli("links", "delete", link["short_code"], "-y")
    # A deleted code is never handed out again: the import reports each row and goes on.
    refused = shorturl_cli("links", "import", str(exported))
    assert refused.exit_code == 1
    assert refused.stderr.count("CUSTOM_ALIAS_TAKEN") == 4 and "row 1:" in refused.stderr
    renewed = shorturl_cli("links", "import", str(exported), "--new-codes")
    assert renewed.exit_code == 0, renewed.output
    assert "imported 4, skipped 0, failed 0" in renewed.stderr
    after = json.loads(shorturl_cli("links", "list", "--tag", label, "--all", "--json").stdout)

    def comparable(link: dict) -> tuple:
        return (
            link["long_url"],
            link["description"],
            sorted(link["tags"]),
            link["max_clicks"],
            link["status"],
            link["expiration_date"],
        )

    assert sorted(map(comparable, after)) == sorted(map(comparable, before))
    again = shorturl_cli("links", "import", str(exported), "--skip-existing")
    assert again.exit_code == 0 and "imported 0, skipped 4" in again.stderr


def test_import_reports_bad_rows_and_reads_stdin(shorturl_cli: Any) -> None:
    label = tag()
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["url", "tags", "max_clicks", "ignored"])
    writer.writerow(["https://example.com/in/1", f"{label},b", "3", "x"])
    writer.writerow(["not a url", label, "", ""])
    writer.writerow(["https://example.com/in/2", label, "many", ""])
    writer.writerow(["https://example.com/in/3", label, "", ""])
    result = shorturl_cli("links", "import", "-", input=text.getvalue())
    assert result.exit_code == 1
    assert "row 2: INVALID_URL" in result.stderr and "row 3: VALIDATION_ERROR" in result.stderr
    assert "imported 2, skipped 0, failed 2" in result.stderr
    imported = json.loads(shorturl_cli("links", "list", "--tag", label, "--json").stdout)
    assert sorted(link["long_url"] for link in imported) == [
        "https://example.com/in/1",
        "https://example.com/in/3",
    ]
    no_url = shorturl_cli("links", "import", "-", input="name,tags\nx,y\n")
    assert no_url.exit_code == 2 and "long_url" in no_url.stderr
    missing = shorturl_cli("links", "import", "/nonexistent/file.csv")
    assert missing.exit_code == 1 and "cannot open" in missing.stderr


def test_remote_commands(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHORTURL_URL", raising=False)
    monkeypatch.delenv("SHORTURL_API_KEY", raising=False)
    user = new_user(live_server, "cli")
    remote = ("--url", live_server.url, "--api-key", user.api_key)
    alias = "r-" + secrets.token_hex(4)
    created = runner.invoke(cli, ["links", "create", "https://example.com/r", "-a", alias, *remote])
    assert created.exit_code == 0, created.output
    assert created.stdout == f"{live_server.url}/{alias}\n"
    with shorturl.Client(live_server.url, api_key=user.api_key) as client:
        assert client.urls.get(alias).owner.username == user.username

    monkeypatch.setenv("SHORTURL_URL", live_server.url)  # the environment works as well
    monkeypatch.setenv("SHORTURL_API_KEY", user.api_key)
    listed = runner.invoke(cli, ["links", "list", "--json"])
    assert [link["short_code"] for link in json.loads(listed.stdout)] == [alias]
    updated = runner.invoke(cli, ["links", "update", alias, "--description", "remote", "--json"])
    assert json.loads(updated.stdout)["description"] == "remote"
    owner = runner.invoke(cli, ["links", "create", "https://example.com/", "--owner", "x"])
    assert owner.exit_code == 2 and "local database only" in owner.stderr

    monkeypatch.delenv("SHORTURL_API_KEY")
    anonymous = runner.invoke(cli, ["links", "list"])
    assert anonymous.exit_code == 5 and "--api-key" in anonymous.stderr
    wrong = runner.invoke(cli, ["links", "show", alias, "--api-key", "sk_live_wrong"])
    assert wrong.exit_code == 5 and "UNAUTHORIZED" in wrong.stderr
    other = new_user(live_server, "other")
    forbidden = runner.invoke(cli, ["links", "delete", alias, "-y", "--api-key", other.api_key])
    assert forbidden.exit_code == 5 and "FORBIDDEN" in forbidden.stderr

    closed = f"http://127.0.0.1:{free_port()}"
    unreachable = runner.invoke(cli, ["links", "list", "--url", closed])
    assert unreachable.exit_code == 7 and "is the server running" in unreachable.stderr
    deleted = runner.invoke(cli, ["links", "delete", alias, "-y", *remote])
    assert deleted.exit_code == 0
    assert httpx.get(f"{live_server.url}/{alias}").status_code == 404


def test_export_from_a_server_imports_into_the_local_database_with_the_same_codes(
    shorturl_cli: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    user = new_user(live_server, "mv")
    label = tag()
    with shorturl.Client(live_server.url, api_key=user.api_key) as client:
        sent = client.urls.bulk(
            [{"long_url": f"https://example.com/mv/{i}", "tags": [label]} for i in range(5)]
        )
    path = tmp_path / "moved.csv"
    exported = shorturl_cli(
        "links", "export", str(path), "--url", live_server.url, "--api-key", user.api_key
    )
    assert exported.exit_code == 0 and "exported 5 links" in exported.stderr
    imported = shorturl_cli("links", "import", str(path))
    assert imported.exit_code == 0, imported.output
    assert "imported 5, skipped 0, failed 0" in imported.stderr
    local = json.loads(shorturl_cli("links", "list", "--tag", label, "--all", "--json").stdout)
    assert sorted((link["short_code"], link["long_url"]) for link in local) == sorted(
        (item.short_code, item.long_url) for item in sent.created
    )


def test_create_on_another_domain(shorturl_cli: Any, local_env: dict) -> None:
    import asyncio

    from sqlalchemy import delete
    from sqlalchemy.ext.asyncio import create_async_engine

    from shorturl.domains.models import Domain

    host = f"go{secrets.token_hex(3)}.sho.rt"

    async def add_domain() -> None:
        engine = create_async_engine(local_env["SHORTURL_DATABASE_URL"])
        async with engine.begin() as connection:
            await connection.execute(delete(Domain))
            await connection.execute(Domain.__table__.insert().values(host=host))
        await engine.dispose()

    refused = shorturl_cli("links", "create", "https://example.com/d", "--domain", host)
    assert refused.exit_code != 0 and "domain" in refused.output
    asyncio.run(add_domain())
    alias = "d-" + secrets.token_hex(4)
    created = shorturl_cli(
        "links", "create", "https://example.com/d", "--alias", alias, "--domain", host.upper()
    )
    assert created.exit_code == 0, created.output
    assert created.stdout == f"http://{host}/{alias}\n"
