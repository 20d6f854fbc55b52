"""`shorturl import …` on the local database of each mode: a progress bar on stderr, the
job's result, a second run that changes nothing, and `shorturl import FILE` as before."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from shorturl.cli import app as cli
from tests.conftest import Backend
from tests.imports.conftest import link
from tests.imports.peer_server import FIXTURES, peer_server, shlink_route

runner = CliRunner()


@pytest.fixture
def shorturl_cli(
    backend: Backend, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """The CLI on the database of the shared app of this mode (emptied by `client`)."""
    for name in ("SHORTURL_URL", "SHORTURL_API_KEY", "SHORTURL_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SHORTURL_DATABASE_URL", backend.database_url)
    monkeypatch.setenv("SHORTURL_ALLOW_PRIVATE_TARGETS", "true")
    monkeypatch.setenv("SHORTURL_FETCH_METADATA", "false")

    async def invoke(*args: str) -> Any:
        # In a thread: the command runs its own event loop, as from a shell.
        return await asyncio.to_thread(runner.invoke, cli, list(args))

    yield invoke


async def test_shlink_api_twice(shorturl_cli: Any, client: httpx.AsyncClient) -> None:
    with peer_server(shlink_route, ("X-Api-Key", "k")) as peer:
        first = await shorturl_cli("import", "shlink", "--api-url", peer.url, "--api-key", "k")
        assert first.exit_code == 0, first.output
        assert "created 4, unchanged 0, clashes 0, failed 0, clicks 3" in first.stderr
        again = await shorturl_cli("import", "shlink", "--api-url", peer.url, "--api-key", "k")
    assert again.exit_code == 0, again.output
    assert "created 0, unchanged 4, clashes 0, failed 0" in again.stderr
    assert (await link(client, "abc12"))["click_count"] == 2


async def test_problems_are_listed_and_the_exit_code_says_so(
    shorturl_cli: Any, client: httpx.AsyncClient
) -> None:
    result = await shorturl_cli("import", "yourls", str(FIXTURES / "yourls/yourls.sql"))
    assert result.exit_code == 1
    assert "invalid: api: 'api' is a reserved word here" in result.stderr
    assert "failed: gone:" in result.stderr
    assert "created 2," in result.stderr


async def test_a_failed_api_says_to_run_again(shorturl_cli: Any, client: httpx.AsyncClient) -> None:
    with peer_server(shlink_route, ("X-Api-Key", "k")) as peer:
        peer.failing = lambda path, query: query.get("page") == ["2"]
        result = await shorturl_cli("import", "shlink", "--api-url", peer.url, "--api-key", "k")
        assert result.exit_code == 1
        assert "run the same command again to continue" in result.stderr
        peer.failing = lambda path, query: False
        resumed = await shorturl_cli("import", "shlink", "--api-url", peer.url, "--api-key", "k")
    assert resumed.exit_code == 0, resumed.output
    assert "continuing import job" in resumed.stderr


async def test_import_of_a_file_without_a_source_is_the_csv_import(
    shorturl_cli: Any, client: httpx.AsyncClient, tmp_path: Any
) -> None:
    path = tmp_path / "links.csv"
    path.write_text("long_url,short_code\nhttps://example.com/plain,plain-1\n")
    result = await shorturl_cli("import", str(path))
    assert result.exit_code == 0, result.output
    assert "imported 1, skipped 0, failed 0" in result.stderr
    assert (await link(client, "plain-1"))["long_url"] == "https://example.com/plain"
    bad = await shorturl_cli("import", "kutt")
    assert bad.exit_code == 2  # --api-url and --api-key are required
