"""`shorturl serve` as real processes: both servers, several workers, both modes, SIGTERM.

Each server listens on a free port in 18050-18099 on 127.0.0.1 and is stopped with SIGTERM,
which must run every worker's shutdown (the runtime logs "shorturl stopped") and end the whole
process group. Uvicorn re-raises the signal once shut down, so its status is -SIGTERM; that is
how a supervisor (systemd, Docker) expects a terminated service to end.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from shorturl.storage.migrate import upgrade

SHORTURL = Path(sys.executable).parent / "shorturl"
PORTS = range(18050, 18100)
STARTUP_TIMEOUT = 60.0
SHUTDOWN_TIMEOUT = 30.0


def reserve_port() -> tuple[int, IO[str]]:
    """A free port of PORTS, and the lock file that keeps it ours until closed.

    Every checkout's test run on this machine takes its ports from the same range, and granian
    listens with SO_REUSEPORT (a second server on a port shares it instead of failing): so a
    port is first claimed with an exclusive lock shared through the temp directory.
    """
    for port in random.sample(PORTS, len(PORTS)):
        lock = Path(tempfile.gettempdir(), f"shorturl-test-port-{port}.lock").open("w")  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                lock.close()
                continue
        return port, lock
    raise RuntimeError(f"no free port in {PORTS}")


@dataclass
class Server:
    """One `shorturl serve` process (a process group, with its workers)."""

    process: subprocess.Popen[bytes]
    port: int
    port_lock: IO[str]
    log: Path
    workers: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def terminate(self) -> int:
        """SIGTERM to the main process only, as a supervisor would; its exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(SHUTDOWN_TIMEOUT)

    def group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True


@contextlib.contextmanager
def serve(
    tmp_path: Path, settings: dict[str, str], *option_sets: tuple[str, ...]
) -> Iterator[list[Server]]:
    """Start `shorturl serve --port <free> *options` once per option set, all at once, with
    `SHORTURL_*` `settings`; yield the servers once every one of them is healthy."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SHORTURL_")}
    env.update(settings)
    servers: list[Server] = []
    try:
        for options in option_sets:
            servers.append(_start(tmp_path, env, options))
        for server in servers:
            _wait_until_healthy(server)
        yield servers
    finally:
        for server in servers:
            if server.process.poll() is None or server.group_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait(10)
            server.port_lock.close()


def _start(tmp_path: Path, env: dict[str, str], options: tuple[str, ...]) -> Server:
    port, port_lock = reserve_port()
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(SHORTURL), "serve", "--host", "127.0.0.1", "--port", str(port), *options],
            env=env,
            cwd=tmp_path,  # no .env from the working copy
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: workers included in cleanup
        )
    workers = int(options[options.index("--workers") + 1]) if "--workers" in options else 1
    return Server(process, port, port_lock, log, workers)


def _wait_until_healthy(server: Server) -> None:
    """Until /health answers and every worker has started (granian loses a SIGTERM that
    arrives while a worker is still starting, and then never stops)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"serve exited with {server.process.returncode}:\n{server.output()}")
        with contextlib.suppress(httpx.HTTPError):
            healthy = httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200
            if healthy and server.output().count("shorturl ready") >= server.workers:
                return
        time.sleep(0.2)
    pytest.fail(f"serve not healthy after {STARTUP_TIMEOUT}s:\n{server.output()}")


def stop_cleanly(server: Server) -> None:
    status = server.terminate()
    assert status in (0, -signal.SIGTERM), server.output()
    deadline = time.monotonic() + 10
    while server.group_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not server.group_alive(), "a worker outlived its server"
    assert server.output().count("shorturl stopped") == server.workers, server.output()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/health", timeout=2)


def fresh_get(url: str) -> httpx.Response:
    """GET on a new connection each time, so a multi-worker server spreads them."""
    return httpx.get(url, headers={"Connection": "close"}, follow_redirects=False, timeout=5)


def worker_processes(server: Server) -> list[int]:
    """The pids of the click workers `server`'s main process runs (`worker --for-server`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            command = (entry / "cmdline").read_bytes().split(b"\0")
            if command[-3:-1] == [b"--for-server", str(server.process.pid).encode()]:
                found.append(int(entry.name))
    return found


def stored_clicks(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(database)) as db:
        return int(db.execute("SELECT count(*) FROM clicks").fetchone()[0])


def wait_for(condition: Callable[[], bool], what: str, server: Server, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}, not after {seconds}s:\n{server.output()}"
        time.sleep(0.05)


# A browser's: a client library's requests are stored as a robot's.
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.0"}


def click(server: Server, code: str | None, times: int) -> str:
    """Follow `code` (a new link when None) `times` on `server` as a browser; the code."""
    if code is None:
        created = httpx.post(
            f"{server.base_url}/shorten", json={"url": "https://example.com/c"}, timeout=10
        )
        code = str(created.json()["short_code"])
    for _ in range(times):
        assert httpx.get(f"{server.base_url}/{code}", headers=BROWSER).status_code == 301
    return code


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("server", "workers"), [("uvicorn", 1), ("granian", 2)], ids=["uvicorn-1", "granian-2"]
)
def test_embedded_serve_shortens_redirects_and_stops_on_sigterm(
    tmp_path: Path, server: str, workers: int
) -> None:
    settings = {"SHORTURL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shorturl.db'}"}
    options = ("--server", server, "--workers", str(workers))
    with serve(tmp_path, settings, options) as (running,):
        created = httpx.post(
            f"{running.base_url}/shorten",
            json={"url": "https://example.com/served?by=process"},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        code = created.json()["short_code"]
        for _ in range(6):  # several connections: every worker resolves it from SQLite
            response = fresh_get(f"{running.base_url}/{code}")
            assert response.status_code == 301
            assert response.headers["location"] == "https://example.com/served?by=process"
        assert fresh_get(f"{running.base_url}/nope-nope").status_code == 404
        stop_cleanly(running)


def test_embedded_clicks_sent_before_a_hard_crash_are_stored_after_the_restart(
    tmp_path: Path,
) -> None:
    """Embedded, the clicks a server has sent to its worker wait in the database: a SIGKILL
    loses none of them, and the next server stores each once."""
    database = tmp_path / "shorturl.db"
    settings = {
        "SHORTURL_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "SHORTURL_WORKER_RECLAIM_IDLE": "1",  # the dead worker's claims run out quickly
        "SHORTURL_RATE_LIMIT_ENABLED": "false",  # the report is polled
    }

    def sent_or_stored() -> int:
        with contextlib.closing(sqlite3.connect(database)) as db:
            (stored,) = db.execute("SELECT count(*) FROM clicks").fetchone()
        with contextlib.closing(sqlite3.connect(f"{database}-inbox")) as inbox:
            tables = inbox.execute("SELECT count(*) FROM sqlite_master WHERE name = 'click_inbox'")
            if tables.fetchone() == (0,):
                return int(stored)
            (sent,) = inbox.execute("SELECT coalesce(sum(clicks), 0) FROM click_inbox").fetchone()
        return int(stored) + int(sent)

    with serve(tmp_path, settings, ()) as (first,):
        code = click(first, None, 40)
        deadline = time.monotonic() + 10
        while sent_or_stored() < 40:  # the tracker's flush: then the clicks are the inbox's
            assert time.monotonic() < deadline, first.output()
            time.sleep(0.02)
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(10)
    with serve(tmp_path, settings, ()) as (second,):
        deadline = time.monotonic() + 30
        while True:
            report = httpx.get(f"{second.base_url}/analytics", params={"short_id": code})
            if report.json()["total_clicks"] == 40:
                break
            assert time.monotonic() < deadline, (report.text, second.output())
            time.sleep(0.2)
        stop_cleanly(second)
    with contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT count(*), count(DISTINCT event_id) FROM clicks").fetchone() == (
            40,
            40,
        )
    with contextlib.closing(sqlite3.connect(f"{database}-inbox")) as inbox:
        assert inbox.execute("SELECT count(*) FROM click_inbox").fetchone() == (0,)


def test_an_embedded_server_without_a_worker_leaves_its_clicks_to_shorturl_worker(
    tmp_path: Path,
) -> None:
    """No Redis: `serve --no-worker` sends its clicks to the inbox beside the SQLite file, and
    a `shorturl worker` process on the same files stores them."""
    settings = {
        "SHORTURL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shorturl.db'}",
        "SHORTURL_RATE_LIMIT_ENABLED": "false",  # the report is polled
    }
    with serve(tmp_path, settings, ("--no-worker",)) as (web,):
        code = click(web, None, 12)

        def total() -> int:
            report = httpx.get(f"{web.base_url}/analytics", params={"short_id": code}, timeout=5)
            return int(report.json()["total_clicks"])

        time.sleep(0.5)
        assert total() == 0  # nobody consumes in the web process
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHORTURL_")}
        log = (tmp_path / "worker.log").open("wb")
        worker = subprocess.Popen(
            [str(SHORTURL), "worker"],
            env={**env, **settings},
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while total() != 12:
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()
                assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
                time.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(15)
            log.close()
        stop_cleanly(web)


def test_embedded_serve_stores_clicks_in_a_process_of_its_own_and_its_last_ones_after_it(
    tmp_path: Path,
) -> None:
    """The worker is a child process; on SIGTERM the server sends its last clicks to the inbox
    and stops, then the worker stores them and stops, and only then does the server's process
    end: a container, which ends every other process with its first one, loses none."""
    database = tmp_path / "shorturl.db"
    settings = {"SHORTURL_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    with serve(tmp_path, settings, ()) as (running,):
        (child,) = worker_processes(running)
        code = click(running, None, 5)
        wait_for(lambda: stored_clicks(database) == 5, "5 clicks stored", running)
        click(running, code, 30)
        status = running.terminate()  # at once: the server's buffer still holds most of them
        with contextlib.suppress(ProcessLookupError):  # what is left, as a container's end
            os.killpg(running.process.pid, signal.SIGKILL)
        assert status == -signal.SIGTERM, running.output()  # as a supervisor expects
        assert "shorturl stopped" in running.output()
        assert "worker stopped" in running.output()
    assert stored_clicks(database) == 35
    assert not alive(child), "the worker outlived its server"


def test_serves_worker_process_is_started_again_and_ends_with_its_server(
    tmp_path: Path,
) -> None:
    database = tmp_path / "shorturl.db"
    settings = {"SHORTURL_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    with serve(tmp_path, settings, ()) as (running,):
        (first,) = worker_processes(running)
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: len(set(worker_processes(running)) - {first}) == 1, "another", running)
        (second,) = worker_processes(running)
        click(running, None, 5)
        wait_for(lambda: stored_clicks(database) == 5, "the new worker stored them", running)
        # A server killed outright: its worker sees it gone and ends too.
        running.process.send_signal(signal.SIGKILL)
        running.process.wait(10)
        wait_for(lambda: not alive(second), "the worker of a killed server ended", running)


def test_serve_worker_inside_stores_clicks_in_the_web_process(tmp_path: Path) -> None:
    database = tmp_path / "shorturl.db"
    settings = {"SHORTURL_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    with serve(tmp_path, settings, ("--worker-inside",)) as (running,):
        assert worker_processes(running) == []
        click(running, None, 5)
        wait_for(lambda: stored_clicks(database) == 5, "5 clicks stored", running)
        stop_cleanly(running)


def test_scaled_edit_through_one_process_is_seen_through_another_within_a_second(
    tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    namespace = "t" + secrets.token_hex(4)
    settings = {
        "SHORTURL_DATABASE_URL": postgres_url,
        "SHORTURL_REDIS_URL": redis_url,
        "SHORTURL_REDIS_NAMESPACE": namespace,
        "SHORTURL_RATE_LIMIT_ENABLED": "false",
        # Far longer than the test: only the pub/sub invalidation can make the edit visible.
        "SHORTURL_LOCAL_CACHE_TTL": "600",
    }
    upgrade(postgres_url)  # once, as a deployment would, so the processes start side by side
    with serve(
        tmp_path,
        settings,
        ("--server", "uvicorn", "--workers", "2", "--no-migrate"),
        ("--server", "granian", "--workers", "1", "--no-migrate"),
    ) as (first, second):
        token = _sign_up(first.base_url)
        auth = {"Authorization": f"Bearer {token}"}
        code = "edit-" + secrets.token_hex(3)
        created = httpx.post(
            f"{first.base_url}/api/v1/urls",
            json={"long_url": "https://example.com/before", "custom_alias": code},
            headers=auth,
            timeout=10,
        )
        assert created.status_code == 201, created.text
        for server in (first, second):  # every process (and worker) now holds it in memory
            for _ in range(6):
                assert (
                    fresh_get(f"{server.base_url}/{code}").headers["location"].endswith("/before")
                )

        edited = httpx.patch(
            f"{second.base_url}/api/v1/urls/{code}",  # the token works on every process
            json={"long_url": "https://example.com/after"},
            headers=auth,
            timeout=10,
        )
        assert edited.status_code == 200, edited.text
        _assert_soon_and_for_good(f"{first.base_url}/{code}", 301, "https://example.com/after")

        deleted = httpx.delete(f"{first.base_url}/api/v1/urls/{code}", headers=auth, timeout=10)
        assert deleted.status_code == 200, deleted.text
        _assert_soon_and_for_good(f"{second.base_url}/{code}", 404, None)

        stop_cleanly(second)
        stop_cleanly(first)
    _forget_namespace(redis_url, namespace)


def _assert_soon_and_for_good(url: str, status: int, location: str | None) -> None:
    """Within a second the answer at `url` changes, then stays changed on every connection."""
    deadline = time.monotonic() + 1.0
    while True:
        response = fresh_get(url)
        if response.status_code == status and response.headers.get("location") == location:
            break
        assert time.monotonic() < deadline, f"still {response.status_code} {response.headers}"
        time.sleep(0.02)
    for _ in range(10):
        response = fresh_get(url)
        assert (response.status_code, response.headers.get("location")) == (status, location)


def _sign_up(base_url: str) -> str:
    name = "serve" + secrets.token_hex(3)
    email, password = f"{name}@example.com", "a long enough password"
    signup = httpx.post(
        f"{base_url}/api/v1/auth/signup",
        json={"email": email, "username": name, "password": password},
        timeout=10,
    )
    assert signup.status_code == 201, signup.text
    login = httpx.post(
        f"{base_url}/api/v1/auth/login", json={"email": email, "password": password}, timeout=10
    )
    assert login.status_code == 200, login.text
    return str(login.json()["data"]["access_token"])


def _forget_namespace(redis_url: str, namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{namespace}:*"))
    if keys:
        client.delete(*keys)


def test_serve_refuses_a_port_that_is_taken(tmp_path: Path) -> None:
    # Granian alone would share the port (SO_REUSEPORT) with whatever listens there.
    port, port_lock = reserve_port()
    with port_lock, socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = subprocess.run(
            [str(SHORTURL), "serve", "--server", "granian", "--port", str(port), "--no-migrate"],
            env={
                key: value for key, value in os.environ.items() if not key.startswith("SHORTURL_")
            },
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=STARTUP_TIMEOUT,
        )
    assert done.returncode == 2, done.stderr
    assert "is not available" in done.stderr
    assert not (tmp_path / "shorturl.db").exists()  # stopped before touching anything
