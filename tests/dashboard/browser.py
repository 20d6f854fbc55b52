"""A real `shorturl serve` and Debian's chromium (installed with apt when missing), for the
browser tests of the web UI."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from shorturl.accounts import service as accounts
from shorturl.storage.db import Database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PORTS = range(18500, 18600)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def ensure_chromium() -> str:
    """Debian's chromium, installed with apt-get the first time (CI is a fresh machine)."""
    if not Path(CHROMIUM).exists():
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    return CHROMIUM


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@dataclass
class Server:
    """`shorturl serve` on embedded SQLite, with its in-process worker."""

    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    log_path: Path

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def promote_to_admin(self, username: str) -> None:
        """Make `username` an administrator through the accounts service."""

        async def promote() -> None:
            database = Database(self.database_url)
            try:
                async with database.sessionmaker() as session:
                    user = await accounts.find_user(session, username)
                    assert user is not None, username
                    await accounts.set_role(session, user, "admin")
                    await session.commit()
            finally:
                await database.dispose()

        # Playwright's sync API keeps an event loop running in this thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, promote()).result()


def start_server(directory: Path) -> Server:
    port = free_port()
    database_url = f"sqlite+aiosqlite:///{directory / 'shorturl.db'}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("SHORTURL_")}
    env.update(
        SHORTURL_DATABASE_URL=database_url,
        SHORTURL_BASE_URL=f"http://127.0.0.1:{port}",
        SHORTURL_SECRET_KEY="browser-tests-secret-" + "k" * 32,
        SHORTURL_RATE_LIMIT_ENABLED="false",
        # The tests claim visitors' addresses (countries) through X-Forwarded-For.
        SHORTURL_TRUSTED_PROXIES="127.0.0.1",
    )
    executable = shutil.which("shorturl", path=str(Path(sys.executable).parent)) or "shorturl"
    log_path = directory / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [executable, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=directory,  # no stray .env
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", database_url, process, log, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"shorturl serve exited:\n{server.output()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"shorturl serve did not start:\n{server.output()}")
