"""`shorturl serve` as a real subprocess on a free port, in either storage mode.

The `live_server` fixture (registered in conftest) starts one per mode and session: embedded
on a fresh SQLite file, scaled on a fresh PostgreSQL database and Redis namespace. Tests on
it make their own users and aliases, so they never need the data wiped.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import (
    Backend,
    create_postgres_database,
    drop_postgres_database,
    new_namespace,
)

__all__ = ["LiveServer", "free_port", "live_server", "run_cli", "start_server"]

PORTS = range(18400, 18500)  # this suite's share of ports (see notes/HELPERS.md)


@dataclass(frozen=True)
class LiveServer:
    """A running `shorturl serve`: its URL and the environment that points at its storage."""

    url: str
    mode: str
    env: Mapping[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None  # the `serve` process (signals in tests)


def free_port() -> int:
    """A port of this suite's range that nothing listens on right now."""
    for port in random.sample(list(PORTS), len(PORTS)):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def run_cli(
    *args: str, env: Mapping[str, str], input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`shorturl ARGS…` as a real subprocess, with `env` as its only SHORTURL_* settings."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SHORTURL_")}
    return subprocess.run(
        [sys.executable, "-m", "shorturl", *args],
        env={**inherited, **env},
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def start_server(
    database_url: str, redis_url: str | None, workdir: Path, **settings: str
) -> Iterator[LiveServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "SHORTURL_DATABASE_URL": database_url,
        "SHORTURL_REDIS_NAMESPACE": new_namespace(),
        "SHORTURL_BASE_URL": url,
        "SHORTURL_SECRET_KEY": "live-test-secret-" + "x" * 32,
        "SHORTURL_RATE_LIMIT_ENABLED": "false",
        "SHORTURL_ENVIRONMENT": "test",
        "SHORTURL_ALLOW_PRIVATE_TARGETS": "true",
        **{f"SHORTURL_{name.upper()}": value for name, value in settings.items()},
    }
    if redis_url:
        env["SHORTURL_REDIS_URL"] = redis_url
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SHORTURL_")} | env
    log = workdir / f"server-{port}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "shorturl", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            env=full_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(url, process, log)
        yield LiveServer(url, "scaled" if redis_url else "embedded", env, log, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"shorturl serve exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"shorturl serve did not answer at {url} in 60 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def live_server(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`shorturl serve` in this mode, on storage of its own (rate limits off)."""
    workdir = tmp_path_factory.mktemp(f"live-{backend.name}")
    if backend.redis_url is None:
        with start_server(f"sqlite+aiosqlite:///{workdir}/live.db", None, workdir) as server:
            yield server
        return
    database_url = create_postgres_database()
    try:
        with start_server(database_url, backend.redis_url, workdir) as server:
            yield server
    finally:
        drop_postgres_database(database_url)
