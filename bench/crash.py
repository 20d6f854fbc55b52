"""What a hard crash loses: `shorturl serve` with click tracking, under wrk, is killed with
SIGKILL (its whole process group) in the middle of the load; the clicks that reached storage
are then counted against the redirects wrk had answered.

Scaled: the web process runs `--no-worker`; after the kill a `shorturl worker` drains the
Redis stream. Embedded: the clicks sent wait in the inbox file beside the database
(`<database>-inbox`), and a server started again on the same files stores them. Either way
what is lost is what the web process held and had not yet sent: its buffer, about one
`CLICK_FLUSH_INTERVAL` of clicks while the transport takes them as fast as they come.

    .venv/bin/python bench/crash.py                      # both modes, 3 kills each
    .venv/bin/python bench/crash.py --modes scaled --repeat 5 --after 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path

from environment import describe_machine  # bench/, beside this script
from redirect import (
    Pin,
    click_worker,
    ensure_debian_package,
    ensure_link,
    parse_wrk,
    shorturl,
    storage,
    wrk_command,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

PORT = 18_431


async def _count_clicks(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(text("SELECT count(*) FROM clicks")) or 0)
    finally:
        await engine.dispose()


def settled_clicks(url: str, settle: float = 5.0, timeout: float = 120.0) -> int:
    """The clicks stored, once the count has not moved for `settle` seconds."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = asyncio.run(_count_clicks(url))
        if count != last:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= settle:
            break
        time.sleep(0.5)
    return last


def crash_once(wrk: str, mode: str, seconds: int, after: float) -> dict[str, float]:
    """One server killed `after` seconds into a `seconds`-long load."""
    with tempfile.TemporaryDirectory(prefix="bench-crash-") as tmp_name:
        tmp = Path(tmp_name)
        with storage(mode, tmp, rate_limit=False, tracking=True) as env:
            # A dead worker's batches wait this long for another (stream and inbox alike).
            env = {**env, "SHORTURL_WORKER_RECLAIM_IDLE": "2"}
            scaled = mode == "scaled"
            server = partial(shorturl, env, tmp, server="uvicorn", workers=1, port=PORT, pin=Pin())
            with server(worker="after" if scaled else "beside") as (base, group):
                url = ensure_link(base)  # one answered redirect, and its click
                load = subprocess.Popen(
                    wrk_command(wrk, url, seconds=seconds, connections=64, threads=2, pin=Pin()),
                    stdout=subprocess.PIPE,
                    text=True,
                )
                time.sleep(after)
                os.killpg(group, signal.SIGKILL)
                killed_at = time.monotonic()
                output, _ = load.communicate(timeout=seconds + 30)
            answered = parse_wrk(output).requests + 1
            rate = answered / after  # what the server answered a second before the kill
            # What was sent waits in the stream (scaled) or the inbox file (embedded): a
            # worker, or a server started again, stores it.
            with click_worker(env, tmp) if scaled else server():
                stored = settled_clicks(env["SHORTURL_DATABASE_URL"])
            lost = answered - stored
            return {
                "answered": answered,
                "stored": stored,
                "lost": lost,
                "lost_ms": lost / rate * 1000,
                "counted_after_s": time.monotonic() - killed_at,
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", nargs="+", default=["scaled", "embedded"])
    parser.add_argument("--repeat", type=int, default=3, help="kills per mode")
    parser.add_argument("--seconds", type=int, default=6, help="length of the load")
    parser.add_argument("--after", type=float, default=3.0, help="seconds before the kill")
    args = parser.parse_args()
    wrk = ensure_debian_package("wrk", "wrk")
    print(describe_machine())
    print(
        f"uvicorn, 1 worker, wrk -t2 -c64, SIGKILL {args.after:g} s into the load; "
        "clicks lost = redirects answered - clicks stored"
    )
    print()
    print("| mode | answered | stored | lost | lost, in ms of traffic |")
    print("|---|---|---|---|---|")
    for mode in args.modes:
        for _ in range(args.repeat):
            run = crash_once(wrk, mode, args.seconds, args.after)
            print(
                f"| {mode} | {run['answered']:,.0f} | {run['stored']:,.0f} | "
                f"{run['lost']:,.0f} | {run['lost_ms']:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
