"""Benchmark of the cached redirect: `shorturl serve` against an nginx `return 301` baseline.

Runs, in one go and on 127.0.0.1 only: nginx (`return 301`, a temp config on its own port)
as the baseline, a bare ASGI callable on each ASGI server (`bench/bare_asgi.py`: the floor
that no Python redirect on that server can beat), then `shorturl serve` in both modes — embedded (SQLite file, in-process
cache) and scaled (a fresh PostgreSQL database and Redis namespace, dropped afterwards) —
under uvicorn and granian, with 1 and 2 workers. Each server gets one link, warmed in every
worker, then wrk drives `GET /{code}` for a few seconds with a bounded number of connections.
Prints req/s, p50/p99, the server's CPU time per request, and both as a ratio to nginx with
the same number of workers.

By default the redirect alone is measured (rate limit and click tracking off); `--rate-limit`
and `--tracking` turn on what a default deployment does on every redirect.

    make bench                                    # everything (about 3 minutes)
    .venv/bin/python bench/redirect.py --modes embedded --servers uvicorn --workers 1
    .venv/bin/python bench/redirect.py --rate-limit --tracking --repeat 3

wrk and nginx come from Debian's packages and are installed with apt-get when missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, Final

import httpx
from click_loop import HEADERS  # bench/, beside this script
from environment import (
    REDIS_URL,
    create_database,
    delete_namespace,
    describe_machine,
    drop_database,
    new_namespace,
)

ROOT = Path(__file__).resolve().parent.parent
SHORTURL = Path(sys.executable).parent / "shorturl"
TARGET = "https://example.com/a/fairly/typical/landing-page?utm_source=bench&utm_medium=wrk"
CODE = "bench-link"
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
HOST = "127.0.0.1"


@dataclasses.dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad_responses: int  # non-2xx/3xx answers plus socket errors


@dataclasses.dataclass(frozen=True)
class Pin:
    """Command prefixes placing the server and the load generator on CPUs (none by default)."""

    server: tuple[str, ...] = ()
    load: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Row:
    name: str
    workers: int
    result: WrkResult
    cpu_us: float  # CPU time the server (all its processes) spent per request, in µs
    load: float  # 1-minute load average when the run started


# --- tools -----------------------------------------------------------------------------------


def ensure_debian_package(binary: str, package: str) -> str:
    """The path of `binary`, installing Debian's `package` with apt-get when it is missing."""
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin")
    if found:
        return found
    print(f"installing {package} (apt-get) ...", flush=True)
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "-n", "apt-get"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*apt, "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([*apt, "install", "-y", "-q", package], check=True, env=env)
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin")
    if not found:
        raise SystemExit(f"{package} installed but {binary} is not on PATH")
    return found


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match[1]) * _UNIT_MS[match[2]]


def parse_wrk(output: str) -> WrkResult:
    def number(pattern: str) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if not match:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
        return match[1]

    bad = 0
    non_3xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_3xx:
        bad += int(non_3xx[1])
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if errors:
        bad += sum(int(value) for value in errors.groups())
    return WrkResult(
        requests_per_s=float(number(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=_duration_ms(number(r"^\s+50%\s+(\S+)")),
        p99_ms=_duration_ms(number(r"^\s+99%\s+(\S+)")),
        requests=int(number(r"^\s+(\d+) requests in")),
        bad_responses=bad,
    )


# Every request as if from one of 16,384 clients (198.18.0.0/15 is set aside for benchmarks),
# relayed by a trusted proxy: what the per-IP redirect limit sees in production.
MANY_CLIENTS_LUA = """
local requests = {}
local next_request = 0
init = function(args)
  for i = 0, 16383 do
    local ip = string.format("198.18.%d.%d", math.floor(i / 256), i % 256)
    requests[i + 1] = wrk.format(nil, nil, {["X-Forwarded-For"] = ip})
  end
end
request = function()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
"""


def run_wrk(wrk: str, url: str, *, seconds: int, **load: Any) -> WrkResult:
    """Run `wrk_command(wrk, url, seconds=seconds, **load)` and read its figures."""
    command = wrk_command(wrk, url, seconds=seconds, **load)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True)
    return parse_wrk(done.stdout)


def wrk_command(
    wrk: str,
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int,
    pin: Pin,
    script: Path | None = None,
    headers: str = "wrk",
) -> list[str]:
    return [
        *pin.load,
        wrk,
        *(["-s", str(script)] if script else []),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "--latency",
        *header_options(headers),
        url,
    ]


def header_options(headers: str) -> list[str]:
    """wrk's options for what each request carries: `wrk`, its own two headers (Host, and a
    browser's User-Agent: requests without one are stored as bots, not clicks), or
    `browser`, the fourteen of a browser following a link (bench/click_loop.py)."""
    if headers == "wrk":
        return ["-H", f"User-Agent: {BROWSER_UA}"]
    options = []
    for name, value in HEADERS[headers]:
        if name not in (b"host", b"connection"):  # wrk sends its own
            options += ["-H", f"{name.decode()}: {value.decode()}"]
    return options


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {timeout}s")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Ask the process (and its workers, same process group) to stop; kill it if it will not.
    A server ends after its click worker (worker/process.py): its end is the group's."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        print(f"  ! pid {process.pid} ignored signal {sig}; killing", flush=True)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass(frozen=True)
class Proc:
    """A live process, as /proc/<pid>/stat shows it."""

    pid: int
    command: str
    parent: int
    group: int
    cpu_ticks: int  # user + system


def processes() -> Iterator[Proc]:
    """Every live process on the machine."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()  # from field 3 (state) on
        parent, group, ticks = int(fields[1]), int(fields[2]), int(fields[11]) + int(fields[12])
        yield Proc(int(entry.name), command, parent, group, ticks)


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user + system) used so far by the live processes of process group `pgid`."""
    return sum(proc.cpu_ticks for proc in processes() if proc.group == pgid) / _CLOCK_TICKS


def redis_processes() -> list[Proc]:
    """This machine's redis-server processes."""
    return [proc for proc in processes() if proc.command == "redis-server"]


@contextlib.contextmanager
def redis_on_load_cpus(pin: Pin) -> Iterator[None]:
    """Under `--pin`, the machine's Redis (every thread) on the load's CPUs for the run, then
    back where it was: left free, it lands on the servers' CPU now and then and evicts their
    caches (one source of bimodal runs, bench/README.md)."""
    moved: list[tuple[int, str]] = []
    if pin.load:
        for pid in [proc.pid for proc in redis_processes()]:
            before = ",".join(str(cpu) for cpu in sorted(os.sched_getaffinity(pid)))
            done = subprocess.run(
                ["taskset", "-a", "-p", "-c", pin.load[-1], str(pid)], capture_output=True
            )
            if done.returncode == 0:
                moved.append((pid, before))
            else:
                print(f"redis-server {pid} left unpinned: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        for pid, before in moved:
            subprocess.run(["taskset", "-a", "-p", "-c", before, str(pid)], capture_output=True)


def redis_cpu_seconds() -> float:
    """CPU time used so far by this machine's redis-server processes (0 when there are none)."""
    return sum(proc.cpu_ticks for proc in redis_processes()) / _CLOCK_TICKS


def load_average() -> float:
    return os.getloadavg()[0]


# --- nginx baseline ---------------------------------------------------------------------------

NGINX_CONF = """\
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server_tokens off;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen {host}:{port};
        location / {{ return 301 {target}; }}
    }}
}}
"""


# SCHEDULING: each server gets a process group of its own (its CPU time is summed over the
# group, and the group is killed at the end) but stays in this script's session. Linux's
# autogroup (kernel.sched_autogroup_enabled) shares the CPU between sessions first, and splits
# a session's share across the CPUs it runs on: a server in a session of its own whose click
# worker ran on the other CPU got a third of its CPU, not half, against a server beside it
# (−50% req/s side by side; −6 to −9% with autogroup off).


@contextlib.contextmanager
def nginx(binary: str, port: int, workers: int, pin: Pin) -> Iterator[tuple[str, int]]:
    """nginx answering every request with `301 Location: TARGET`, on its own port."""
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as tmp:
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(workers=workers, tmp=tmp, host=HOST, port=port, target=TARGET)
        )
        os.chmod(tmp, 0o755)  # workers run as an unprivileged user when started by root
        process = subprocess.Popen(
            [*pin.server, binary, "-p", tmp, "-c", str(conf), "-g", "daemon off;"],
            process_group=0,  # see SCHEDULING
        )
        try:
            wait_for_port(port, process)
            yield f"http://{HOST}:{port}/{CODE}", process.pid
        finally:
            stop(process, signal.SIGQUIT)


@contextlib.contextmanager
def bare_asgi(server: str, port: int, workers: int, pin: Pin) -> Iterator[tuple[str, int]]:
    """`bench/bare_asgi.py`: a 301 from a bare ASGI callable, on `server` as shorturl runs it."""
    process = subprocess.Popen(
        [
            *pin.server,
            sys.executable,
            "bare_asgi.py",
            "--server",
            server,
            "--workers",
            str(workers),
            "--host",
            HOST,
            "--port",
            str(port),
        ],
        cwd=Path(__file__).resolve().parent,
        process_group=0,  # see SCHEDULING
    )
    try:
        wait_for_port(port, process)
        yield f"http://{HOST}:{port}/{CODE}", process.pid
    finally:
        stop(process)


# --- shorturl ---------------------------------------------------------------------------------


@contextlib.contextmanager
def storage(mode: str, tmp: Path, *, rate_limit: bool, tracking: bool) -> Iterator[dict[str, str]]:
    """The environment of a server in `mode`: its own SQLite file, or its own PG db + namespace."""
    common = {
        "SHORTURL_ENVIRONMENT": "production",
        "SHORTURL_SECRET_KEY": secrets.token_urlsafe(48),
        "SHORTURL_RATE_LIMIT_ENABLED": "true" if rate_limit else "false",
        # wrk sends each request as if from one of many clients behind a proxy on 127.0.0.1.
        "SHORTURL_TRUSTED_PROXIES": HOST if rate_limit else "",
        "SHORTURL_CLICK_TRACKING": "true" if tracking else "false",
    }
    if mode == "embedded":
        yield {**common, "SHORTURL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'bench.db'}"}
        return
    url, namespace = asyncio.run(create_database()), new_namespace()
    try:
        yield {
            **common,
            "SHORTURL_DATABASE_URL": url,
            "SHORTURL_REDIS_URL": REDIS_URL,
            "SHORTURL_REDIS_NAMESPACE": namespace,
        }
    finally:
        asyncio.run(drop_database(url))
        asyncio.run(delete_namespace(namespace))


@contextlib.contextmanager
def shorturl(
    env: dict[str, str],
    tmp: Path,
    *,
    server: str,
    workers: int,
    port: int,
    pin: Pin,
    worker: str = "beside",
) -> Iterator[tuple[str, int]]:
    """`shorturl serve` as a real process (group), answering on `port`. `worker`: where it
    stores clicks, `beside` (its default: a child process, pinned with the load), `inside`
    (`--worker-inside`) or `after` (`--no-worker`: see `click_worker`)."""
    log_path = tmp / f"{server}-{workers}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *pin.server,
                str(SHORTURL),
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--server",
                server,
                *WORKER_OPTIONS[worker],
            ],
            env={**os.environ, **env},
            cwd=tmp,  # so that no .env of the working copy is read
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,  # see SCHEDULING
        )
    base = f"http://{HOST}:{port}"
    try:
        wait_for_port(port, process)
        _wait_healthy(base, process)
        _check_workers(log_path, workers)
        if worker == "beside" and pin.load:
            # Its own core, as on a machine with one to spare: here the load generator's.
            for child in [proc.pid for proc in processes() if proc.parent == process.pid]:
                subprocess.run(["taskset", "-a", "-p", "-c", pin.load[-1], str(child)], check=True)
        yield base, process.pid
    except BaseException:
        print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        stop(process)


WORKER_OPTIONS: dict[str, tuple[str, ...]] = {
    "beside": (),
    "inside": ("--worker-inside",),
    "after": ("--no-worker",),  # a worker is started once the load is over, when tracking
}


@contextlib.contextmanager
def click_worker(env: dict[str, str], tmp: Path) -> Iterator[None]:
    """`shorturl worker` as its own process (and process group: its CPU is not the server's)."""
    log_path = tmp / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(SHORTURL), "worker"],
            env={**os.environ, **env},
            cwd=tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,  # see SCHEDULING
        )
    try:
        yield
    finally:
        stop(process)


def _wait_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"shorturl exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{base}/health not healthy after {timeout}s")


def _check_workers(log_path: Path, workers: int, timeout: float = 60) -> None:
    """Wait until every worker has started, and check that each runs on uvloop."""
    deadline = time.monotonic() + timeout
    while True:
        ready = [line for line in log_path.read_text().splitlines() if "shorturl ready" in line]
        if len(ready) >= workers:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(ready)} of {workers} workers started")
        time.sleep(0.2)
    slow = [line for line in ready if "loop=uvloop" not in line]
    if slow:
        raise RuntimeError(f"a worker does not run on uvloop: {slow[0]}")


# Five rules the benchmark's requests all fail, each asking for another fact of the request
# (query string, Accept-Language, the user agent parsed twice over, the country): the most a
# 5-rule link costs before it falls back to its long_url.
FIVE_RULES: Final = [
    {"conditions": {"query": {"utm_source": "newsletter"}}, "long_url": "https://example.com/n"},
    {"conditions": {"language": "fr"}, "long_url": "https://example.com/fr"},
    {"conditions": {"device": "tablet"}, "long_url": "https://example.com/tablet"},
    {"conditions": {"os": ["ios", "android"]}, "long_url": "https://example.com/app"},
    {"conditions": {"country": "FR"}, "long_url": "https://example.com/france"},
]
LINKS: Final = {"plain": CODE, "rules5": "bench-rules5"}


def ensure_link(base: str, kind: str = "plain", timeout: float = 10) -> str:
    """Create the benchmark link (once per storage) and check that it redirects: `plain`, or
    `rules5`, a link with `FIVE_RULES` (smart links need an account: one is signed up)."""
    code = LINKS[kind]
    body: dict[str, object] = {"long_url": TARGET, "custom_alias": code}
    headers = {}
    if kind == "rules5":
        body["rules"] = FIVE_RULES
        headers = {"Authorization": f"Bearer {_bench_account(base, timeout)}"}
    response = httpx.post(f"{base}/api/v1/urls", json=body, headers=headers, timeout=timeout)
    if response.status_code not in (201, 409):
        raise RuntimeError(f"creating the link failed: {response.status_code} {response.text}")
    check = httpx.get(f"{base}/{code}", headers={"user-agent": BROWSER_UA}, timeout=timeout)
    if check.status_code not in (301, 302, 307, 308) or check.headers["location"] != TARGET:
        raise RuntimeError(f"the link does not redirect: {check.status_code} {check.headers}")
    return f"{base}/{code}"


def _bench_account(base: str, timeout: float) -> str:
    account = {"email": "bench@example.com", "username": "bench", "password": "bench-Secret-1!"}
    httpx.post(f"{base}/api/v1/auth/signup", json=account, timeout=timeout)  # 409 if there
    login = httpx.post(f"{base}/api/v1/auth/login", json=account, timeout=timeout)
    login.raise_for_status()
    return str(login.json()["data"]["access_token"])


def clicks_stored(base: str, settle: float = 5.0, timeout: float = 120.0) -> int:
    """The link's stored click count once the worker has caught up: no change for `settle` s
    after the count first moved (a worker started after the load takes seconds to begin)."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        response = httpx.get(f"{base}/api/v1/urls/{CODE}", timeout=10)
        count = int(response.json()["data"]["click_count"])
        if count != last:
            last, since = count, time.monotonic()
        elif count > 0 and time.monotonic() - since >= settle:
            break
        time.sleep(0.25)
    return last


# --- the run ----------------------------------------------------------------------------------


def load_options(args: argparse.Namespace, pin: Pin) -> dict[str, object]:
    return {
        "connections": args.connections,
        "threads": args.threads,
        "pin": pin,
        "script": args.wrk_script,
        "headers": args.headers,
    }


def one_run(
    wrk: str,
    url: str,
    server_group: int,
    args: argparse.Namespace,
    pin: Pin,
    then: Callable[[], object] | None = None,
) -> tuple[WrkResult, float, float]:
    """One measured run: wrk's figures, the server's and Redis's CPU µs per request in it.
    `then`: what the run includes after the load (an in-process worker catching up)."""
    cpu_before, redis_before = group_cpu_seconds(server_group), redis_cpu_seconds()
    run = run_wrk(wrk, url, seconds=args.duration, **load_options(args, pin))
    if then is not None:
        then()
    cpu = group_cpu_seconds(server_group) - cpu_before
    redis = redis_cpu_seconds() - redis_before
    if run.bad_responses:
        raise RuntimeError(f"{url}: {run.bad_responses} bad responses or socket errors")
    requests = max(run.requests, 1)
    return run, cpu / requests * 1e6, redis / requests * 1e6


def side_by_side_run(
    wrk: str,
    servers: list[tuple[str, int]],
    args: argparse.Namespace,
    pin: Pin,
    then: Callable[[], object] | None = None,
) -> list[tuple[WrkResult, float, float]]:
    """One measured run of several servers loaded at once, one wrk each (all on the load
    CPUs): every server works through the same moments of the machine, so a drift in its
    speed touches them alike. Per server: wrk's figures, its CPU µs a request, and Redis's
    CPU µs a request of the last server (the one whose clicks go through Redis).
    `then`: what the last server's run includes after the load (an in-process worker)."""
    groups = [group for _url, group in servers]
    cpu_before, redis_before = [group_cpu_seconds(g) for g in groups], redis_cpu_seconds()
    options = {**load_options(args, pin), "threads": 1}
    loads = [
        subprocess.Popen(
            wrk_command(wrk, url, seconds=args.duration, **options),  # type: ignore[arg-type]
            stdout=subprocess.PIPE,
            text=True,
        )
        for url, _group in servers
    ]
    runs = [parse_wrk(load.communicate(timeout=args.duration + 30)[0]) for load in loads]
    cpu = [group_cpu_seconds(g) - before for g, before in zip(groups, cpu_before, strict=True)]
    if then is not None:
        then()
        cpu[-1] = group_cpu_seconds(groups[-1]) - cpu_before[-1]
    redis = redis_cpu_seconds() - redis_before
    for (url, _group), run in zip(servers, runs, strict=True):
        if run.bad_responses:
            raise RuntimeError(f"{url}: {run.bad_responses} bad responses or socket errors")
    last = len(runs) - 1
    return [
        (run, used / max(run.requests, 1) * 1e6, redis / max(run.requests, 1) * 1e6 * (i == last))
        for i, (run, used) in enumerate(zip(runs, cpu, strict=True))
    ]


def measure(
    wrk: str, url: str, server_group: int, args: argparse.Namespace, pin: Pin
) -> tuple[WrkResult, float, float]:
    """The best of `args.repeat` runs, the server's CPU µs per request in it, the load before."""
    # Warm every worker's cache before measuring.
    run_wrk(wrk, url, seconds=args.warmup, **load_options(args, pin))
    load = load_average()
    # Other work on the machine only ever slows a run down: the best run is the closest to
    # what the server can do.
    # Its CPU time per request barely depends on that: the column to trust on a busy machine.
    runs = [one_run(wrk, url, server_group, args, pin) for _ in range(args.repeat)]
    result, cpu_us, _redis_us = max(runs, key=lambda run: run[0].requests_per_s)
    return result, cpu_us, load


@dataclasses.dataclass(frozen=True)
class TrackingCost:
    name: str
    workers: int
    off: Row
    on: Row
    cpu_added_us: list[float]  # on − off, CPU µs a request, for each pair of runs
    cpu_added: list[float]  # on / off − 1, CPU a request, for each pair of runs
    rate_change: list[float]  # on / off − 1, req/s, for each pair of runs
    redis_added_us: list[float]  # the same for the machine's Redis server
    stored: int


def measure_tracking(
    wrk: str,
    mode: str,
    server: str,
    workers: int,
    ports: Iterator[int],
    args: argparse.Namespace,
    pin: Pin,
) -> TrackingCost:
    """The same server without and with click tracking, both up at once and measured in
    turns (off, on, off, on, …) or, with `--side-by-side`, loaded at the same time: a VM's
    speed drifts by more than tracking costs, so runs minutes apart would compare the
    machine, not the code, and even runs in turns differ by ±20% here. With a worker in the
    tracking server's process group (`--worker inside` or `beside`), each of its runs lasts
    until that worker has stored every click: the CPU it spends on them counts, and none of
    it falls into the next run of the other server."""
    tracked = args.tracking == "both"  # else `control`: the second server without it too
    separate = args.worker == "after"
    catches_up = tracked and not separate  # the second server's worker is in its group
    with contextlib.ExitStack() as stack:
        servers = []
        for second in (False, True):
            track = second and tracked
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-shorturl-")))
            env = stack.enter_context(
                storage(mode, tmp, rate_limit=args.rate_limit, tracking=track)
            )
            base, group = stack.enter_context(
                shorturl(
                    env,
                    tmp,
                    server=server,
                    workers=workers,
                    port=next(ports),
                    pin=pin,
                    worker=args.worker,
                )
            )
            servers.append((env, tmp, base, ensure_link(base), group))
        for *_, url, _group in servers:
            run_wrk(wrk, url, seconds=args.warmup, **load_options(args, pin))
        load = load_average()
        runs: tuple[list[tuple[WrkResult, float, float]], ...] = ([], [])
        for _ in range(args.repeat):
            catch_up = partial(clicks_stored, servers[1][2], settle=1.0) if catches_up else None
            if args.side_by_side:
                pair = side_by_side_run(
                    wrk, [(url, g) for *_, url, g in servers], args, pin, catch_up
                )
                for second, measured in enumerate(pair):
                    runs[second].append(measured)
                continue
            for second, (*_, url, group) in enumerate(servers):
                runs[second].append(
                    one_run(wrk, url, group, args, pin, catch_up if second else None)
                )
        env, tmp, base, _url, _group = servers[1]
        stored = 0
        if tracked:
            with click_worker(env, tmp) if separate else contextlib.nullcontext():
                stored = clicks_stored(base)
    name = f"shorturl {mode} {server}"
    best = [max(pairs, key=lambda pair: pair[0].requests_per_s) for pairs in runs]
    return TrackingCost(
        name,
        workers,
        Row(name, workers, best[0][0], best[0][1], load),
        Row(f"{name} {'+tracking' if tracked else 'again'}", workers, *best[1][:2], load),
        sorted(on[1] - off[1] for off, on in zip(*runs, strict=True)),
        sorted(on[1] / off[1] - 1 for off, on in zip(*runs, strict=True)),
        sorted(
            on[0].requests_per_s / off[0].requests_per_s - 1 for off, on in zip(*runs, strict=True)
        ),
        sorted(on[2] - off[2] for off, on in zip(*runs, strict=True)),
        stored,
    )


def report_tracking(costs: list[TrackingCost], side_by_side: bool) -> None:
    how = "loaded side by side" if side_by_side else "runs taken in turns"
    print(f"\nclick tracking, each server without and with it, {how}:")
    for cost in costs:
        off, on = cost.off, cost.on
        added = cost.cpu_added_us[len(cost.cpu_added_us) // 2]
        redis = cost.redis_added_us[len(cost.redis_added_us) // 2]
        change = on.result.requests_per_s / off.result.requests_per_s - 1
        paired = cost.rate_change[len(cost.rate_change) // 2]
        print(
            f"  {cost.name} x{cost.workers}: req/s {off.result.requests_per_s:,.0f} → "
            f"{on.result.requests_per_s:,.0f} (best runs {change:+.1%}, median of pairs "
            f"{paired:+.1%}); CPU a request "
            f"{added:+.1f} µs ({cost.cpu_added[len(cost.cpu_added) // 2]:+.1%}; medians of "
            f"{len(cost.cpu_added_us)} pairs: {', '.join(f'{d:+.1f}' for d in cost.cpu_added_us)}); "
            f"Redis {redis:+.1f} µs a request; p99 on {on.result.p99_ms:.2f} ms; "
            f"{cost.stored:,} clicks stored"
        )


_COLUMNS: Final = (
    ("server", 28),
    ("workers", 7),
    ("req/s", 9),
    ("p50 ms", 7),
    ("p99 ms", 7),
    ("vs nginx", 8),
    ("cpu µs/req", 10),
    ("cpu vs nginx", 12),
    ("load", 5),
)


def _line(cells: tuple[object, ...]) -> str:
    first, *rest = zip(cells, (width for _, width in _COLUMNS), strict=True)
    return " ".join([f"{first[0]:<{first[1]}}", *(f"{cell:>{width}}" for cell, width in rest)])


def report(rows: list[Row]) -> None:
    nginx_rows = {row.workers: row for row in rows if row.name == "nginx"}
    print()
    print(_line(tuple(name for name, _ in _COLUMNS)))
    print("-" * len(_line(tuple(name for name, _ in _COLUMNS))))
    for row in rows:
        base = nginx_rows.get(row.workers)
        rate = f"{row.result.requests_per_s / base.result.requests_per_s:.1%}" if base else "-"
        cpu = f"{base.cpu_us / row.cpu_us:.1%}" if base and row.cpu_us else "-"
        print(
            _line(
                (
                    row.name,
                    row.workers,
                    f"{row.result.requests_per_s:,.0f}",
                    f"{row.result.p50_ms:.2f}",
                    f"{row.result.p99_ms:.2f}",
                    rate,
                    f"{row.cpu_us:.1f}",
                    cpu,
                    f"{row.load:.2f}",
                )
            )
        )
    print(
        "\nvs nginx: req/s as a share of nginx `return 301` with as many workers, in this run."
        "\ncpu µs/req: CPU time of all the server's processes per request (wrk not included)."
        "\ncpu vs nginx: nginx's CPU per request over ours: the share of nginx's rate we would"
        "\nreach on equal CPU. Steadier than req/s when other work shares the machine."
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", nargs="+", default=["embedded", "scaled"])
    parser.add_argument("--servers", nargs="+", default=["uvicorn", "granian"])
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--duration", type=int, default=8, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server")
    parser.add_argument("--repeat", type=int, default=1, help="runs per server, best kept")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--headers",
        choices=["wrk", "browser"],
        default="wrk",
        help="what each request carries: wrk's two headers (Host, a browser's User-Agent), or "
        "the fourteen of a browser following a link; tracking reads every one",
    )
    parser.add_argument(
        "--links",
        nargs="+",
        choices=list(LINKS),
        default=["plain"],
        help="which links to load, one after the other on each server: `plain`, and `rules5` "
        "(five rules that every request fails, so all five run before the long_url)",
    )
    parser.add_argument("--port", type=int, default=18000, help="first port used (range of 40)")
    parser.add_argument("--no-nginx", action="store_true", help="skip the nginx baseline")
    parser.add_argument(
        "--no-bare",
        action="store_true",
        help="skip the bare ASGI baseline (bench/bare_asgi.py: the floor of each ASGI server)",
    )
    parser.add_argument(
        "--rate-limit",
        action="store_true",
        help="per-IP redirect limit on (the default config), wrk posing as 16,384 clients",
    )
    parser.add_argument(
        "--tracking",
        nargs="?",
        const="on",
        default="off",
        choices=["off", "on", "both", "control"],
        help="click tracking (on in the default config: every redirect is recorded and "
        "stored); `both` measures each server without and with it, side by side; `control` "
        "does the same with tracking off on both sides (what the method reads as a cost when "
        "there is none)",
    )
    parser.add_argument(
        "--worker",
        choices=["beside", "inside", "after"],
        default="beside",
        help="where clicks are stored, with tracking: `beside`, serve's own default, a child "
        "process (on the load's CPU under --pin); `inside` the web process "
        "(`--worker-inside`); `after`: `serve --no-worker`, and one `shorturl worker` process "
        "started once the load is over (events wait in the Redis stream, or embedded in the "
        "inbox file), so the figures are the web process's own cost of tracking",
    )
    parser.add_argument(
        "--separate-worker",
        action="store_const",
        dest="worker",
        const="after",
        help="the same as --worker after",
    )
    parser.add_argument(
        "--side-by-side",
        action="store_true",
        help="with --tracking both: load the servers without and with tracking at once (one "
        "wrk each) rather than in turns, so the machine's drift touches both alike; with "
        "--pin they share CPU 0. Their req/s are then shares of one CPU: compare them",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="servers on CPU 0, wrk on CPU 1 (steadier figures for A/B runs; use --workers 1)",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    pin = Pin(("taskset", "-c", "0"), ("taskset", "-c", "1")) if args.pin else Pin()
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as wrk_tmp:
        args.wrk_script = None
        if args.rate_limit:  # nginx gets the same script: wrk then works as hard for both
            args.wrk_script = Path(wrk_tmp) / "many-clients.lua"
            args.wrk_script.write_text(MANY_CLIENTS_LUA)
        with redis_on_load_cpus(pin):
            run(args, pin)


def run(args: argparse.Namespace, pin: Pin) -> None:
    wrk = ensure_debian_package("wrk", "wrk")
    nginx_binary = None if args.no_nginx else ensure_debian_package("nginx", "nginx")
    print(describe_machine())
    limit = "on (16,384 client IPs)" if args.rate_limit else "off"
    tracking = {"off": "off", "on": "on", "both": "off and on", "control": "off and off"}[
        args.tracking
    ]
    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s (best of {args.repeat}) on {HOST}, "
        f"{args.warmup}s warm-up{', pinned' if args.pin else ''}, rate limit {limit}, click tracking {tracking}; "
        f"load average at start {load_average():.2f}",
        flush=True,
    )
    rows: list[Row] = []
    ports = iter(range(args.port, args.port + 40))
    if nginx_binary:
        for workers in args.workers:
            with nginx(nginx_binary, next(ports), workers, pin) as (url, group):
                result, cpu_us, load = measure(wrk, url, group, args, pin)
            rows.append(Row("nginx", workers, result, cpu_us, load))
            print(f"  nginx x{workers}: {result.requests_per_s:,.0f} req/s", flush=True)
    if not args.no_bare:
        for server in args.servers:
            for workers in args.workers:
                with bare_asgi(server, next(ports), workers, pin) as (url, group):
                    result, cpu_us, load = measure(wrk, url, group, args, pin)
                name = f"bare ASGI {server}"
                rows.append(Row(name, workers, result, cpu_us, load))
                print(f"  {name} x{workers}: {result.requests_per_s:,.0f} req/s", flush=True)
    costs: list[TrackingCost] = []
    for mode in args.modes:
        for server in args.servers:
            for workers in args.workers:
                if args.tracking in ("both", "control"):
                    cost = measure_tracking(wrk, mode, server, workers, ports, args, pin)
                    rows.extend((cost.off, cost.on))
                    costs.append(cost)
                    print(
                        f"  {cost.name} x{workers}: {cost.off.result.requests_per_s:,.0f} → "
                        f"{cost.on.result.requests_per_s:,.0f} req/s with tracking",
                        flush=True,
                    )
                    continue
                track = args.tracking == "on"
                separate = track and args.worker == "after"
                with (
                    tempfile.TemporaryDirectory(prefix="bench-shorturl-") as tmp_name,
                    storage(
                        mode, Path(tmp_name), rate_limit=args.rate_limit, tracking=track
                    ) as env,
                    shorturl(
                        env,
                        Path(tmp_name),
                        server=server,
                        workers=workers,
                        port=next(ports),
                        pin=pin,
                        worker=args.worker,
                    ) as (base, group),
                ):
                    # each kind of link on the same server in turn: the drift touches both
                    measured = []
                    for kind in args.links:
                        url = ensure_link(base, kind)
                        measured.append((kind, *measure(wrk, url, group, args, pin)))
                    with (
                        click_worker(env, Path(tmp_name)) if separate else contextlib.nullcontext()
                    ):
                        stored = clicks_stored(base) if track and args.links == ["plain"] else None
                for kind, result, cpu_us, load in measured:
                    name = f"shorturl {mode} {server}" + ("" if kind == "plain" else f" {kind}")
                    rows.append(Row(name, workers, result, cpu_us, load))
                    extra = f", {stored:,} clicks stored" if stored is not None else ""
                    print(
                        f"  {name} x{workers}: {result.requests_per_s:,.0f} req/s{extra}",
                        flush=True,
                    )
    report(rows)
    if costs:
        report_tracking(costs, args.side_by_side)
    print(f"load average at end {load_average():.2f}")


if __name__ == "__main__":
    main()
