"""Fixtures of the CLI tests on a local database: `local_env` (a fresh migrated database of
this mode, per module) and `shorturl_cli` (Typer's runner with that database's settings)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from shorturl.cli import app as cli
from shorturl.storage.migrate import upgrade
from tests.conftest import Backend, create_postgres_database, drop_postgres_database

__all__ = ["local_env", "shorturl_cli"]

runner = CliRunner()


@pytest.fixture(scope="module")
def local_env(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Settings of a database of this mode that only these tests use, migrated."""
    env = {
        "SHORTURL_BASE_URL": "http://sho.rt",
        "SHORTURL_REDIS_NAMESPACE": "c" + secrets.token_hex(4),
    }
    if backend.redis_url is None:
        env["SHORTURL_DATABASE_URL"] = (
            f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('cli')}/cli.db"
        )
        upgrade(env["SHORTURL_DATABASE_URL"])
        yield env
        return
    env |= {
        "SHORTURL_DATABASE_URL": create_postgres_database(),
        "SHORTURL_REDIS_URL": backend.redis_url,
    }
    upgrade(env["SHORTURL_DATABASE_URL"])
    yield env
    drop_postgres_database(env["SHORTURL_DATABASE_URL"])


@pytest.fixture
def shorturl_cli(local_env: dict, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`shorturl_cli("links", "list")`: the CLI on the local database of this mode."""
    for name in ("SHORTURL_URL", "SHORTURL_API_KEY", "SHORTURL_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in local_env.items():
        monkeypatch.setenv(name, value)

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), input=input)

    return invoke
