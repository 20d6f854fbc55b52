"""A Redis and a PostgreSQL of a test's (or the fault suite's) own, to stop and start at will.

The shared servers on 6379 and 5432 serve every test run on the machine: nothing here ever
touches them. `OwnRedis` runs `redis-server` with an append-only file in a directory of its
own; `OwnPostgres` makes a cluster with `initdb` (as the `postgres` user when run as root,
which PostgreSQL refuses) and runs it with `pg_ctl`. Both pick a free port.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["OwnPostgres", "OwnRedis", "own_postgres", "own_redis"]

_PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port(ports: range) -> int:
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


def _wait_port(port: int, *, up: bool, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.2)
            answered = probe.connect_ex(("127.0.0.1", port)) == 0
        if answered == up:
            return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} still {'down' if up else 'up'} after {seconds} s")


class OwnRedis:
    """`redis-server` with `appendonly yes` (what the scaled mode needs) on a port of its own."""

    def __init__(self, ports: range = range(6390, 6399), *, appendonly: bool = True) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.port = _free_port(ports)
        self.dir = Path(tempfile.mkdtemp(prefix=f"shorturl-redis-{self.port}-"))
        self.appendonly = appendonly
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.dir),
                "--appendonly", "yes" if self.appendonly else "no",
                "--appendfsync", "everysec",
                "--save", "",
                "--logfile", str(self.dir / "redis.log"),
            ]
        )  # fmt: skip
        _wait_port(self.port, up=True)

    def stop(self, *, kill: bool = False) -> None:
        """Stop it: SIGTERM (Redis writes its AOF out and ends) or SIGKILL."""
        if self.process is not None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(20)
            self.process = None
        _wait_port(self.port, up=False)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class OwnPostgres:
    """A PostgreSQL 15 cluster in a temporary directory, trust auth, database `shorturl`."""

    def __init__(self, ports: range = range(5440, 5449)) -> None:
        if not (_PG_BIN / "initdb").exists():
            pytest.skip(f"PostgreSQL binaries not found in {_PG_BIN}")
        self.port = _free_port(ports)
        self.dir = Path(tempfile.mkdtemp(prefix=f"shorturl-pg-{self.port}-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(_PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-A", "trust",
                  "-U", "postgres", "--no-sync")  # fmt: skip
        self.started = False

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        as_root = os.geteuid() == 0  # PostgreSQL refuses to run as root
        full = ["su", "postgres", "-c", shlex.join(command)] if as_root else list(command)
        subprocess.run(full, check=True, capture_output=True, cwd="/tmp", timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(_PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-o", options,
                  "-l", str(self.dir / "pg.log"), "-w", "start")  # fmt: skip
        self.started = True
        _wait_port(self.port, up=True)

    def stop(self) -> None:
        if self.started:
            self._run(str(_PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast",
                      "-w", "stop")  # fmt: skip
            self.started = False
        _wait_port(self.port, up=False)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def own_redis(**options: object) -> Iterator[OwnRedis]:
    redis = OwnRedis(**options)  # type: ignore[arg-type]
    redis.start()
    try:
        yield redis
    finally:
        redis.close()


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    postgres = OwnPostgres()
    postgres.start()
    try:
        yield postgres
    finally:
        postgres.close()
