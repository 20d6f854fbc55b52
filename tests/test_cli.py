"""The `shorturl` command as a shell user meets it: real subprocesses, complete help."""

from __future__ import annotations

import csv
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.main import get_command
from typer.testing import CliRunner

import shorturl
from shorturl.cli import app as cli
from shorturl.storage.migrate import upgrade
from tests.client.conftest import new_user
from tests.conftest import create_postgres_database, drop_postgres_database, new_namespace
from tests.live_server import LiveServer, run_cli


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


def test_every_command_and_option_has_help() -> None:
    runner = CliRunner()
    root = get_command(cli)
    seen, missing = [], []
    for path, command in _commands(root):
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        name = " ".join(("shorturl", *path))
        if not (command.help or "").strip():
            missing.append(name)
        missing += [
            f"{name} {param.name}"
            for param in command.params
            if param.name != "help" and not (getattr(param, "help", None) or "").strip()
        ]
        seen.append(" ".join(path))
    assert not missing, f"without help: {missing}"
    for expected in ("links create", "links list", "links show", "links update", "links delete"):
        assert expected in seen
    assert {"links export", "links import", "serve", "db upgrade", "stats"} <= set(seen)
    assert {"export", "import"} <= set(seen)  # short for links export/import
    webhooks = ("list", "create", "delete", "test", "deliveries")
    assert {f"webhooks {name}" for name in webhooks} <= set(seen)
    assert {f"domains {name}" for name in ("list", "add", "update", "remove")} <= set(seen)
    top = runner.invoke(cli, ["--help"])
    assert "links" in top.output and "users" in top.output


@pytest.fixture
def local_database(live_server: LiveServer, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment of a fresh local database of the same mode as the live server."""
    env = {
        "SHORTURL_BASE_URL": "http://copy.example",
        "SHORTURL_REDIS_NAMESPACE": new_namespace(),
    }
    if live_server.mode == "embedded":
        env["SHORTURL_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/copy.db"
        upgrade(env["SHORTURL_DATABASE_URL"])
        yield env
        return
    env["SHORTURL_DATABASE_URL"] = create_postgres_database()
    env["SHORTURL_REDIS_URL"] = live_server.env["SHORTURL_REDIS_URL"]
    upgrade(env["SHORTURL_DATABASE_URL"])
    yield env
    drop_postgres_database(env["SHORTURL_DATABASE_URL"])


@pytest.mark.timeout(600)  # a dozen interpreter starts: slow on a busy machine
def test_round_trip_from_a_server_to_a_local_database(
    live_server: LiveServer, local_database: dict[str, str], tmp_path: Path
) -> None:
    """create → list → export on a server (`--url`), import into a local database, list
    there: the same links, with the same codes."""
    user = new_user(live_server, "proc")
    remote = {"SHORTURL_URL": live_server.url, "SHORTURL_API_KEY": user.api_key}
    label = "rt" + secrets.token_hex(3)
    with shorturl.Client(live_server.url, api_key=user.api_key) as client:
        first = client.urls.create(long_url="https://example.com/0", tags=[label]).short_code
    code = "p-" + secrets.token_hex(3)
    made = run_cli(
        "links", "create", "https://example.com/1", "--alias", code, "--tag", label,
        "--max-clicks", "7", "--description", "seven, really", env=remote,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert made.stdout == f"{live_server.url}/{code}\n"
    codes = [first, code]

    browser = {
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
    }
    for _ in range(2):
        assert httpx.get(f"{live_server.url}/{code}", headers=browser).status_code == 301
    for _ in range(100):  # the server's worker stores clicks a few ms after the redirect
        report = run_cli("stats", code, "--json", env=remote)
        assert report.returncode == 0, report.stderr
        if json.loads(report.stdout)["total_clicks"] == 2:
            break
        time.sleep(0.1)
    analytics = json.loads(report.stdout)
    assert analytics["total_clicks"] == 2 and analytics["unique_clicks"] == 1
    assert analytics["device_data"][0]["device_type"] == "desktop"
    shown = run_cli("stats", code, "--period", "7d", env=remote)
    assert f"{code}: 2 clicks, 1 unique visitors over 7d" in shown.stdout
    assert "█" in shown.stdout and "Firefox" in shown.stdout

    listed = run_cli("links", "list", "--json", env=remote)
    assert listed.returncode == 0, listed.stderr
    assert [link["short_code"] for link in json.loads(listed.stdout)] == codes[::-1]

    exported = tmp_path / "export.csv"
    result = run_cli("links", "export", str(exported), env=remote)
    assert result.returncode == 0 and "exported 2 links" in result.stderr
    assert [row["short_code"] for row in csv.DictReader(exported.open())] == codes

    imported = run_cli("links", "import", str(exported), env=local_database)
    assert imported.returncode == 0, imported.stderr
    assert "imported 2, skipped 0, failed 0" in imported.stderr
    copied = run_cli("links", "list", "--json", "--order", "asc", env=local_database)
    links = json.loads(copied.stdout)
    assert [link["short_code"] for link in links] == codes
    assert [link["short_url"] for link in links] == [f"http://copy.example/{c}" for c in codes]
    assert links[1]["max_clicks"] == 7 and links[1]["description"] == "seven, really"
    assert all(link["tags"] == [label] for link in links)


@pytest.mark.parametrize(
    ("database", "arguments", "refusal"),
    [
        ("sqlite+aiosqlite:///:memory:", ["serve", "--no-worker"], "--no-worker needs"),
        ("postgresql+asyncpg://u@127.0.0.1/db", ["serve", "--no-worker"], "--no-worker needs"),
        ("sqlite+aiosqlite:///x.db", ["serve", "--no-worker", "--worker-inside"], "exclude"),
        ("sqlite+aiosqlite:///:memory:", ["worker"], "never leave their web process"),
        ("postgresql+asyncpg://u@127.0.0.1/db", ["worker"], "never leave their web process"),
    ],
)
def test_a_worker_elsewhere_is_refused_where_clicks_cannot_reach_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database: str,
    arguments: list[str],
    refusal: str,
) -> None:
    """Without Redis and without a SQLite file the clicks wait in the web process's memory:
    `serve --no-worker` or `shorturl worker` would leave them unstored for good."""
    monkeypatch.chdir(tmp_path)  # no .env of the working copy
    monkeypatch.delenv("SHORTURL_REDIS_URL", raising=False)
    monkeypatch.setenv("SHORTURL_DATABASE_URL", database)
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 2, result.output
    assert refusal in " ".join(result.output.replace("│", " ").split())  # rich wraps it in a box
    assert list(tmp_path.iterdir()) == []  # refused before touching anything
