"""Fault injection on the scaled mode, under load: what each fault costs in redirects and clicks.

One `shorturl serve --workers 2 --no-worker` (two web processes) and one `shorturl worker`,
on a Redis (`appendonly yes`) and a PostgreSQL cluster of this script's own (never the
shared 6379 / 5432: tests/own_services.py). For each scenario a fresh set of hot links is
made and warmed, then an asyncio HTTP/1.1 client on 32 keep-alive connections follows them
for `--seconds`; the fault is injected after 3 s and healed after 6 more. Afterwards the
script waits until the clicks stored for those links stop growing, then counts:

* served: redirects (3xx) the client received; 5xx: server errors; conn errors: requests
  that got no answer (their connection was cut, e.g. a killed web process);
* stored: clicks stored for the scenario's links; lost: served - stored (negative: clicks
  stored for answers the client never read, a connection cut after the answer was sent);
* errors for: first to last failed request (s); stored after: seconds from the end of the
  load until every served click was stored (how far analytics had fallen behind);
  takeover: for a killed worker, seconds from the kill until another reclaimed its batches.

    .venv/bin/python bench/faults.py                    # every scenario, print the table
    .venv/bin/python bench/faults.py --write            # and put it in bench/README.md
    .venv/bin/python bench/faults.py --only redis-down worker-kill
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.own_services import OwnPostgres, OwnRedis  # noqa: E402

SHORTURL = Path(sys.executable).parent / "shorturl"
PORT = 18_437
CONNECTIONS = 32
LINKS = 20
FAULT_AT = 3.0  # seconds into the load
HEAL_AFTER = 6.0  # seconds the fault lasts (where it has a duration)
BROWSER = b"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
MARK_START, MARK_END = "<!-- faults:start -->", "<!-- faults:end -->"


@dataclass
class Counts:
    served: int = 0
    server_errors: int = 0
    other: int = 0
    connection_errors: int = 0
    failures: list[float] = field(default_factory=list)  # when, since the load began


class Deployment:
    """The processes under test and the storage they run on."""

    def __init__(self, workdir: Path, redis: OwnRedis, postgres: OwnPostgres) -> None:
        self.workdir = workdir
        self.redis = redis
        self.postgres = postgres
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SHORTURL_")},
            "SHORTURL_DATABASE_URL": postgres.url,
            "SHORTURL_REDIS_URL": redis.url,
            "SHORTURL_BASE_URL": f"http://127.0.0.1:{PORT}",
            "SHORTURL_SECRET_KEY": "faults-secret-" + "x" * 32,
            "SHORTURL_RATE_LIMIT_ENABLED": "false",
            "SHORTURL_FETCH_METADATA": "false",
            "SHORTURL_CLICK_INBOX": str(workdir / "clicks-inbox.db"),
        }
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        # no pool: each count is made on the event loop of its scenario
        self.engine: AsyncEngine = create_async_engine(postgres.url, poolclass=NullPool)

    def _spawn(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        out = (self.workdir / log).open("ab")
        return subprocess.Popen(
            [str(SHORTURL), *args], env=self.env, cwd=self.workdir, stdout=out, stderr=out
        )

    def migrate(self) -> None:
        subprocess.run([str(SHORTURL), "db", "upgrade"], env=self.env, check=True,
                       cwd=self.workdir, capture_output=True)  # fmt: skip

    def start_web(self) -> None:
        self.web = self._spawn("serve", "--host", "127.0.0.1", "--port", str(PORT),
                               "--workers", "2", "--no-worker", "--no-migrate", log="web.log")  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                ready = httpx.get(f"http://127.0.0.1:{PORT}/health/ready", timeout=1)
                if ready.is_success and len(self.web_processes()) == 2:
                    return
            time.sleep(0.2)
        raise RuntimeError((self.workdir / "web.log").read_text()[-3000:])

    def start_worker(self) -> None:
        self.worker = self._spawn("worker", log="worker.log")

    def web_processes(self) -> list[int]:
        """The two uvicorn web processes (children of `serve` started by multiprocessing)."""
        assert self.web is not None
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                status = (entry / "status").read_text()
                parent = int(status.split("PPid:")[1].split()[0])
                if parent == self.web.pid and b"spawn_main" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
        return found

    def stop(self) -> None:
        for process in (self.web, self.worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()

    async def stored(self, codes: list[str]) -> int:
        async with self.engine.connect() as connection:
            return int(
                await connection.scalar(
                    text(
                        "SELECT count(*) FROM clicks JOIN links ON links.id = clicks.link_id"
                        " WHERE links.code = ANY(:codes)"
                    ),
                    {"codes": codes},
                )
                or 0
            )


def make_links(count: int) -> list[str]:
    codes = []
    with httpx.Client(base_url=f"http://127.0.0.1:{PORT}", timeout=10) as client:
        for _ in range(count):
            created = client.post("/api/v1/urls", json={"long_url": "https://example.com/f"})
            created.raise_for_status()
            codes.append(created.json()["data"]["short_code"])
    return codes


async def warm(codes: list[str]) -> int:
    """Every link through each web process (new connections spread over both) and Redis;
    the clicks that makes."""
    made = 0
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}") as client:
        for _ in range(6):
            for code in codes:
                response = await client.get(
                    f"/{code}", headers={"Connection": "close", "User-Agent": "warm"}
                )
                made += response.is_redirect
    return made


async def _one_connection(codes: list[str], counts: Counts, began: float, until: float) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.monotonic() < until:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
            assert reader is not None
            code = random.choice(codes)
            writer.write(
                f"GET /{code} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
                + b"User-Agent: "
                + BROWSER
                + b"\r\n\r\n"
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
            if 300 <= status < 400:
                counts.served += 1
            else:
                counts.failures.append(time.monotonic() - began)
                if status >= 500:
                    counts.server_errors += 1
                else:
                    counts.other += 1
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            counts.connection_errors += 1
            counts.failures.append(time.monotonic() - began)
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.05)  # as a load balancer would, before trying again
    if writer is not None:
        writer.close()


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    inject: Callable[[Deployment], None]
    heal: Callable[[Deployment], None] | None = None


def _kill_worker(deployment: Deployment) -> None:
    assert deployment.worker is not None
    deployment.worker.kill()
    deployment.worker.wait()
    deployment.start_worker()  # the supervisor's restart: a new consumer name


def _signal_web_process(signum: int) -> Callable[[Deployment], None]:
    def inject(deployment: Deployment) -> None:
        os.kill(deployment.web_processes()[0], signum)  # uvicorn starts another

    return inject


SCENARIOS = [
    Scenario("redis-down", f"Redis stopped for {HEAL_AFTER:g} s",
             lambda d: d.redis.stop(), lambda d: d.redis.start()),
    Scenario("redis-restart", "Redis restarted (SIGTERM, AOF reloaded)",
             lambda d: (d.redis.stop(), d.redis.start())),
    Scenario("postgres-restart", f"PostgreSQL stopped for {HEAL_AFTER:g} s",
             lambda d: d.postgres.stop(), lambda d: d.postgres.start()),
    Scenario("worker-kill", "the worker SIGKILLed, another started", _kill_worker),
    Scenario("web-term", "a web process SIGTERMed (uvicorn starts another)",
             _signal_web_process(signal.SIGTERM)),
    Scenario("web-kill", "a web process SIGKILLed (uvicorn starts another)",
             _signal_web_process(signal.SIGKILL)),
]  # fmt: skip


@dataclass
class Result:
    scenario: Scenario
    counts: Counts
    stored: int
    stored_after: float | None
    takeover: float | None = None

    @property
    def lost(self) -> int:
        return self.counts.served - self.stored

    def row(self) -> str:
        c = self.counts
        window = f"{c.failures[-1] - c.failures[0]:.1f}" if c.failures else "—"
        after = f"{self.stored_after:.1f}" if self.stored_after is not None else "never"
        takeover = f"{self.takeover:.1f}" if self.takeover is not None else "—"
        return (
            f"| {self.scenario.name} | {self.scenario.what} | {c.served:,} | {c.server_errors} |"
            f" {c.connection_errors} | {self.stored:,} | {self.lost} | {window} | {after} |"
            f" {takeover} |"
        )


async def run_scenario(deployment: Deployment, scenario: Scenario, seconds: float) -> Result:
    codes = make_links(LINKS)
    baseline = await warm(codes)
    await _wait_until(deployment, codes, baseline, 60)
    counts = Counts()
    began = time.monotonic()
    until = began + seconds
    load = [
        asyncio.create_task(_one_connection(codes, counts, began, until))
        for _ in range(CONNECTIONS)
    ]
    await asyncio.sleep(FAULT_AT)
    injected = time.monotonic()
    await asyncio.to_thread(scenario.inject, deployment)
    if scenario.heal is not None:
        await asyncio.sleep(HEAL_AFTER)
        await asyncio.to_thread(scenario.heal, deployment)
    await asyncio.gather(*load)
    ended = time.monotonic()
    # stored after: until every served click is there (90 s at most), then until it stops growing
    stored_after = None
    if await _wait_until(deployment, codes, baseline + counts.served, 90):
        stored_after = time.monotonic() - ended
    stored = await _wait_stable(deployment, codes, 10) - baseline
    takeover = _reclaimed_after(deployment, time.time() - (time.monotonic() - injected))
    return Result(scenario, counts, stored, stored_after, takeover)


def _reclaimed_after(deployment: Deployment, since: float) -> float | None:
    """Seconds from `since` (epoch) to the first "reclaimed" line a worker logged after it."""
    for line in (deployment.workdir / "worker.log").read_text().splitlines():
        if "reclaimed" not in line:
            continue
        at = time.mktime(time.strptime(line[:19], "%Y-%m-%d %H:%M:%S")) + float(line[20:23]) / 1000
        if at >= since:
            return at - since
    return None


async def _wait_until(deployment: Deployment, codes: list[str], count: int, seconds: float) -> bool:
    """Whether `count` clicks of `codes` were stored within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stored = await _stored_or_none(deployment, codes)
        if stored is not None and stored >= count:
            return True
        await asyncio.sleep(0.25)
    return False


async def _stored_or_none(deployment: Deployment, codes: list[str]) -> int | None:
    try:
        return await deployment.stored(codes)
    except Exception:  # noqa: BLE001 - PostgreSQL still coming back
        return None


async def _wait_stable(deployment: Deployment, codes: list[str], seconds: float) -> int:
    """The stored count once it has not moved for 1.5 s (or after `seconds`)."""
    last, since = -1, time.monotonic()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = await _stored_or_none(deployment, codes)
        if now is not None and now != last:
            last, since = now, time.monotonic()
        elif now is not None and time.monotonic() - since >= 1.5:
            break
        await asyncio.sleep(0.25)
    return last


@contextlib.contextmanager
def deployed() -> Iterator[Deployment]:
    workdir = Path(tempfile.mkdtemp(prefix="shorturl-faults-"))
    redis, postgres = OwnRedis(), OwnPostgres()
    redis.start()
    postgres.start()
    deployment = Deployment(workdir, redis, postgres)
    try:
        deployment.migrate()
        deployment.start_web()
        deployment.start_worker()
        yield deployment
    finally:
        deployment.stop()
        redis.close()
        postgres.close()
        print(f"logs in {workdir}", file=sys.stderr)


HEADER = (
    "| scenario | fault | served | 5xx | conn errors | stored | lost | errors for (s) |"
    " stored after (s) | takeover (s) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def write_readme(table: str, machine: str) -> None:
    readme = ROOT / "bench" / "README.md"
    body = readme.read_text()
    block = f"{MARK_START}\n{machine}\n\n{table}\n{MARK_END}"
    if MARK_START in body:
        start, end = body.index(MARK_START), body.index(MARK_END) + len(MARK_END)
        body = body[:start] + block + body[end:]
    else:
        body += "\n" + block + "\n"
    readme.write_text(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="load per scenario")
    parser.add_argument("--only", nargs="*", help="scenario names")
    parser.add_argument("--write", action="store_true", help="put the table in bench/README.md")
    args = parser.parse_args()
    chosen = [s for s in SCENARIOS if not args.only or s.name in args.only]
    results = []
    with deployed() as deployment:
        for scenario in chosen:
            print(f"{scenario.name}: {scenario.what}…", file=sys.stderr, flush=True)
            result = asyncio.run(run_scenario(deployment, scenario, args.seconds))
            print(result.row(), flush=True)
            results.append(result)
    table = "\n".join([HEADER, *(result.row() for result in results)])
    print(table)
    machine = (
        f"{time.strftime('%Y-%m-%d', time.gmtime())}, {os.cpu_count()} cores shared with other"
        f" work; {CONNECTIONS} connections for {args.seconds:g} s a scenario, fault at"
        f" {FAULT_AT:g} s"
    )
    if args.write:
        write_readme(table, machine)


if __name__ == "__main__":
    main()
