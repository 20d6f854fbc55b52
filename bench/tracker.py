"""Benchmark of click tracking's cost to the web process, in CPU microseconds a click.

What a web process pays for tracking a redirect, piece by piece: `record` on the request
path, then, off the request, building the batch's wire form from the buffered requests and
publishing it (one XADD to a real Redis Stream in a namespace of its own, deleted after the
run). Batches are as large as a 20 ms flush holds at `--rate` redirects a second.

    .venv/bin/python bench/tracker.py                    # wrk's headers and a browser's
    .venv/bin/python bench/tracker.py --rate 20000 --clicks 200000

CPU time of this process only (`time.process_time`), best of `--repeat`; nothing listens on
a port. bench/redirect.py measures the same cost end to end, under load.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environment import REDIS_URL, describe_machine, new_namespace  # noqa: E402

from shorturl.analytics.tracker import ClickTracker  # noqa: E402
from shorturl.net.client_ip import ClientIpResolver  # noqa: E402
from shorturl.worker.transports import RedisStreamTransport  # noqa: E402

FLUSH_INTERVAL: Final = 0.02

HEADERS: Final[dict[str, list[tuple[bytes, bytes]]]] = {
    # what `wrk` sends, as in bench/redirect.py
    "wrk": [(b"host", b"127.0.0.1:8080")],
    # a desktop Chrome following a link from a search page
    "browser": [
        (b"host", b"s.example"),
        (b"connection", b"keep-alive"),
        (b"sec-ch-ua", b'"Chromium";v="131", "Not_A Brand";v="24"'),
        (b"sec-ch-ua-mobile", b"?0"),
        (b"sec-ch-ua-platform", b'"Windows"'),
        (b"upgrade-insecure-requests", b"1"),
        (
            b"user-agent",
            b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
            b"(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        ),
        (
            b"accept",
            b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
            b"image/webp,*/*;q=0.8",
        ),
        (b"sec-fetch-site", b"cross-site"),
        (b"sec-fetch-mode", b"navigate"),
        (b"sec-fetch-dest", b"document"),
        (b"referer", b"https://www.google.com/"),
        (b"accept-encoding", b"gzip, deflate, br, zstd"),
        (b"accept-language", b"en-GB,en;q=0.9,de;q=0.8"),
    ],
}


def scopes(headers: list[tuple[bytes, bytes]], count: int) -> list[dict[str, Any]]:
    """ASGI scopes as uvicorn builds them, one a request (distinct objects, like requests)."""
    return [
        {
            "type": "http",
            "method": "GET",
            "path": "/abc123",
            "client": (f"10.0.{i // 250 % 250}.{i % 250 + 1}", 40000 + i % 20000),
            "headers": list(headers),
        }
        for i in range(count)
    ]


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

    def record_only() -> float:
        spent = 0.0
        for _ in range(rounds):
            started = time.process_time()
            for scope in requests:
                offline.record(scope, 7)
            spent += time.process_time() - started
            offline._buffer.clear()
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
    gc.collect()
    figures["build"] = await flushes(offline) / (rounds * batch) * 1e6
    gc.collect()
    figures["flush to Redis"] = await flushes(online) / (rounds * batch) * 1e6
    gc.collect()
    figures["all"] = await everything() / (rounds * batch) * 1e6
    await redis.delete(stream)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=12_000, help="redirects a second")
    parser.add_argument("--repeat", type=int, default=3, help="runs, best kept")
    args = parser.parse_args()
    batch = max(int(args.rate * FLUSH_INTERVAL), 1)
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
            "\nrecord: on the request path. build: the flush, to a transport that keeps "
            "nothing. flush to Redis: build, encode and XADD. all: record and flush to Redis, "
            "as a web process does."
        )
    finally:
        await redis.delete(stream)
        await redis.aclose()


if __name__ == "__main__":
    asyncio.run(main())
