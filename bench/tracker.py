"""Benchmark of click tracking's cost to the web process, in CPU microseconds a click.

Two measurements, each with wrk's request headers (as bench/redirect.py sends them) and a
browser's:

* parts: what tracking a redirect costs piece by piece: `record` on the request path, then,
  off the request, building the batch from the buffered requests and publishing it (one
  XADD to a real Redis Stream in a namespace of its own, deleted after the run). Batches
  are as large as a 20 ms flush holds at `--rate` redirects a second. Best of `--repeat`.
* app: the whole redirect app (scaled: a throwaway PostgreSQL database, its own Redis
  namespace, no worker in the process) driven in-process, a task per request as an ASGI
  server runs it, with tracking off and on in turns of 20,000 redirects; the median of the
  paired differences, and the garbage collections each side caused.

    .venv/bin/python bench/tracker.py
    .venv/bin/python bench/tracker.py --rate 20000 --rounds 20
    .venv/bin/python bench/tracker.py --instructions

CPU time of this process only (`time.process_time`); nothing listens on a port. No HTTP
server is in the app figures: bench/redirect.py measures the same cost under a real one.

`--instructions` counts instead what a click costs the interpreter in machine instructions
(valgrind's callgrind: the same count on every run, whatever else the machine does, so a
change of a few percent shows): `record` and the flush that builds and encodes its batch,
for fresh request objects each click, less the same loop without tracking; for the tracker
as built (compiled by `make install`) and for its source interpreted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import httpx
import uvloop
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asgi_lifespan import LifespanManager  # noqa: E402
from click_loop import HEADERS, request_scope  # noqa: E402
from environment import (  # noqa: E402
    REDIS_URL,
    delete_namespace,
    describe_machine,
    new_namespace,
    postgres_database,
)

from shorturl.analytics import tracker as built  # noqa: E402
from shorturl.analytics.tracker import ClickTracker  # noqa: E402
from shorturl.app import create_app  # noqa: E402
from shorturl.config import Settings  # noqa: E402
from shorturl.net.client_ip import ClientIpResolver  # noqa: E402
from shorturl.storage.migrate import upgrade  # noqa: E402
from shorturl.worker.transports import RedisStreamTransport  # noqa: E402

FLUSH_INTERVAL: Final = 0.02
APP_ROUND: Final = 20_000  # redirects in one turn of the app measurement
CONCURRENCY: Final = 64  # requests in flight at once, as wrk's connections
SPOOL_SIZE: Final = 16 * 1024 * 1024  # CLICK_SPOOL_SIZE's default


def scopes(headers: list[tuple[bytes, bytes]], count: int) -> list[dict[str, Any]]:
    """`count` requests' ASGI scopes (bench/click_loop.py's `request_scope`)."""
    return [request_scope(headers, number) for number in range(count)]


async def measure(
    headers: list[tuple[bytes, bytes]], clicks: int, batch: int, redis: Redis, stream: str
) -> dict[str, float]:
    """CPU µs a click: record, build+encode (flush to a transport that keeps nothing), and
    flush to Redis; each over `clicks` clicks in batches of `batch`."""
    transport = RedisStreamTransport(redis, stream, maxlen=10_000)

    async def discard(_events: Any) -> None:
        return None

    rounds = max(clicks // batch, 1)
    requests = scopes(headers, batch)
    figures: dict[str, float] = {}

    def timed(name: str, body: Callable[[], float]) -> None:
        gc.collect()
        figures[name] = body() / (rounds * batch) * 1e6

    offline = ClickTracker(discard, ClientIpResolver())
    online = ClickTracker(transport.publish, ClientIpResolver())
    spool_directory = Path(tempfile.mkdtemp(prefix="shorturl-bench-spool-"))
    spooled = ClickTracker(
        discard, ClientIpResolver(), spool_directory=spool_directory, spool_size=SPOOL_SIZE
    )
    await spooled.start()

    def record_only(tracker: ClickTracker = offline) -> float:
        spent = 0.0
        for _ in range(rounds):
            started = time.process_time()
            for scope in requests:
                tracker.record(scope, 7)
            spent += time.process_time() - started
            tracker._values.clear()
            if tracker._spool is not None:  # as an accepted flush does
                tracker._spool.sent(tracker._spool.head, 0)
        return spent

    async def flushes(tracker: ClickTracker) -> float:
        spent = 0.0
        for _ in range(rounds):
            for scope in requests:
                tracker.record(scope, 7)
            started = time.process_time()
            await tracker.flush()
            spent += time.process_time() - started
        return spent

    async def everything() -> float:
        started = time.process_time()
        for _ in range(rounds):
            for scope in requests:
                online.record(scope, 7)
            await online.flush()
        return time.process_time() - started

    timed("record", record_only)
    timed("record, spooled", lambda: record_only(spooled))
    await spooled.close()
    shutil.rmtree(spool_directory)
    gc.collect()
    figures["flush, sent nowhere"] = await flushes(offline) / (rounds * batch) * 1e6
    gc.collect()
    figures["flush to Redis"] = await flushes(online) / (rounds * batch) * 1e6
    gc.collect()
    figures["all"] = await everything() / (rounds * batch) * 1e6
    await redis.delete(stream)
    return figures


class GcWatch:
    """Garbage collections (and their time) counted for whichever side is running."""

    def __init__(self) -> None:
        self.side = "off"
        self.counts = {"off": [0, 0.0], "on": [0, 0.0]}
        self._started = 0.0

    def __call__(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.counts[self.side][0] += 1
            self.counts[self.side][1] += time.perf_counter() - self._started


async def measure_app(
    headers: list[tuple[bytes, bytes]], rounds: int, spool: bool
) -> dict[str, float]:
    """CPU µs a redirect without and with tracking, and what tracking adds (median of the
    paired turns), through the real app with its real tracker and Redis transport (and
    its crash spool, with `spool`)."""
    async with postgres_database() as url:
        await asyncio.to_thread(upgrade, url)
        namespace = new_namespace()
        settings = Settings(
            _env_file=None,
            database_url=url,
            redis_url=REDIS_URL,
            redis_namespace=namespace,
            environment="production",
            secret_key=secrets.token_urlsafe(48),
            rate_limit_enabled=False,
            worker_in_process=False,
            click_inbox=f"{tempfile.gettempdir()}/{namespace}-inbox",
            click_spool_size=SPOOL_SIZE if spool else 0,
        )
        app = create_app(settings, freeze_heap=True)
        try:
            async with LifespanManager(app):
                return await _turns(app, headers, rounds)
        finally:
            await delete_namespace(namespace)


async def _turns(app: Any, headers: list[tuple[bytes, bytes]], rounds: int) -> dict[str, float]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        created = await client.post(
            "/api/v1/urls",
            json={"long_url": "https://example.com/landing", "custom_alias": "bench-link"},
        )
        assert created.status_code == 201, created.text
    tracker = app.runtime.clicks.tracker

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict[str, Any]) -> None:
        return None

    def scope(port: int) -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8080),
            "client": ("127.0.0.1", port),
            "scheme": "http",
            "method": "GET",
            "root_path": "",
            "path": "/bench-link",
            "raw_path": b"/bench-link",
            "query_string": b"",
            "headers": [(bytes(name), bytes(value)) for name, value in headers],
            "state": {},
        }

    async def turn() -> float:
        started = time.process_time()
        for _ in range(APP_ROUND // CONCURRENCY):
            await asyncio.gather(
                *(
                    asyncio.ensure_future(app(scope(40000 + i), receive, send))
                    for i in range(CONCURRENCY)
                )
            )
        return (time.process_time() - started) / (APP_ROUND // CONCURRENCY * CONCURRENCY) * 1e6

    watch = GcWatch()
    gc.callbacks.append(watch)
    try:
        spent: dict[str, list[float]] = {"off": [], "on": []}
        for _ in range(rounds):
            for side in ("off", "on"):
                app._tracker = tracker if side == "on" else None
                watch.side = side
                spent[side].append(await turn())
                await asyncio.sleep(FLUSH_INTERVAL * 2)  # the last flush lands in its own turn
    finally:
        gc.callbacks.remove(watch)
        app._tracker = tracker
    added = sorted(on - off for off, on in zip(spent["off"], spent["on"], strict=True))
    requests = rounds * APP_ROUND
    return {
        "off": statistics.median(spent["off"]),
        "on": statistics.median(spent["on"]),
        "added": statistics.median(added),
        "collections off": watch.counts["off"][0] / requests * 1e4,
        "collections on": watch.counts["on"][0] / requests * 1e4,
        "gc on": watch.counts["on"][1] / requests * 1e6,
    }


def instructions(headers: str, clicks: int, batch: int, track: bool, interpreted: bool) -> int:
    """Machine instructions callgrind counts for `count_loop` in a fresh interpreter."""
    command = [sys.executable, str(Path(__file__).with_name("click_loop.py"))]
    command += [headers, str(clicks), str(batch)]
    command += ([] if track else ["--untracked"]) + (["--interpreted"] if interpreted else [])
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONHASHSEED": "0"},  # the same hashing, the same count
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from callgrind: {done.stderr[-500:]}")
    return int(found.group(1))


def report_instructions(clicks: int, batch: int) -> None:
    compiled = built.__file__ is not None and not built.__file__.endswith(".py")
    print(f"Instructions a click (callgrind): record, then a flush every {batch} clicks")
    print(f"(tracker as built: {'compiled by mypyc' if compiled else 'NOT compiled'})\n")
    print("| headers | as built | interpreted |")
    print("|---|---|---|")

    def per_click(name: str, track: bool, interpreted: bool) -> float:
        # Twice the clicks less once: the interpreter's start and end (imports) drop out.
        twice = instructions(name, 2 * clicks, batch, track, interpreted)
        return (twice - instructions(name, clicks, batch, track, interpreted)) / clicks

    for name in HEADERS:
        untracked = per_click(name, False, False)  # no tracker runs: the same for both
        cells = [f"{per_click(name, True, source) - untracked:,.0f}" for source in (False, True)]
        print(f"| {name} ({len(HEADERS[name])}) | {' | '.join(cells)} |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=12_000, help="redirects a second")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the parts, best kept")
    parser.add_argument("--rounds", type=int, default=12, help="turns of the app, each side")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions a click (valgrind)"
    )
    parser.add_argument(
        "--no-spool",
        action="store_true",
        help="the app without its crash spool (CLICK_SPOOL_SIZE=0)",
    )
    args = parser.parse_args()
    batch = max(int(args.rate * FLUSH_INTERVAL), 1)
    if args.instructions:
        report_instructions(min(args.clicks, 4_000), batch)
        return
    redis = Redis.from_url(REDIS_URL)
    stream = f"{new_namespace()}:clicks"
    print(describe_machine())
    print(
        f"{args.clicks:,} clicks in batches of {batch} "
        f"({args.rate:,} redirects/s, a flush every {FLUSH_INTERVAL * 1000:.0f} ms); "
        f"CPU µs a click, best of {args.repeat}\n"
    )
    try:
        rows: dict[str, dict[str, float]] = {}
        for name, headers in HEADERS.items():
            best: dict[str, float] = {}
            for _ in range(args.repeat):
                figures = await measure(headers, args.clicks, batch, redis, stream)
                for part, value in figures.items():
                    best[part] = min(best.get(part, value), value)
            rows[name] = best
        parts = list(next(iter(rows.values())))
        print("| headers | " + " | ".join(parts) + " |")
        print("|---|" + "---|" * len(parts))
        for name, best in rows.items():
            cells = " | ".join(f"{best[part]:.2f}" for part in parts)
            print(f"| {name} ({len(HEADERS[name])}) | {cells} |")
        print(
            "\nrecord: on the request path (all the per-click work); spooled: with the crash "
            "spool (analytics/spool.py) writing each click. flush, sent nowhere: to a "
            "transport that keeps nothing. flush to Redis: batch, encode, XADD. all: record and "
            "flush to Redis, as a web process does."
        )
        print(
            f"\nThe redirect app in-process ({'no spool' if args.no_spool else 'spool on'}), {args.rounds} turns of {APP_ROUND:,} redirects "
            f"each side, {CONCURRENCY} at once; CPU µs a redirect (medians)\n"
        )
        print("| headers | off | on | added | collections / 10k off → on | gc µs on |")
        print("|---|---|---|---|---|---|")
        for name, headers in HEADERS.items():
            app = await measure_app(headers, args.rounds, not args.no_spool)
            print(
                f"| {name} ({len(headers)}) | {app['off']:.2f} | {app['on']:.2f} | "
                f"{app['added']:+.2f} ({app['added'] / app['off']:+.0%}) | "
                f"{app['collections off']:.1f} → {app['collections on']:.1f} | "
                f"{app['gc on']:.2f} |"
            )
    finally:
        await redis.delete(stream)
        await redis.aclose()


if __name__ == "__main__":
    uvloop.run(main())  # as `shorturl serve` runs
