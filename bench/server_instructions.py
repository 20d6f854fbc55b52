"""Machine instructions a cached redirect costs the whole `shorturl serve` process, with click
tracking off and on: what tracking costs, counted rather than timed.

bench/redirect.py times real servers, and on a VM its runs drift by as much as tracking
costs. Here the server runs under valgrind's callgrind, which counts the instructions the
process executes, all its threads included: the same count on every run, whatever else the
machine does, so a change of one percent shows. Counting starts after a warm-up and stops
after wrk's load; the count over the requests wrk completed is a redirect's instructions:
uvicorn, the redirect, `record`, the tracker's flushes, the batch's encoding and the
transport (the inbox's INSERT in its thread, or the XADD). The server runs `--no-worker`:
storing the clicks is another process's work.

What a count does not show: time the kernel spends (the socket, the inbox's writes) and the
cache misses of a real CPU. bench/redirect.py's side-by-side runs are what a user gets.

Under valgrind the server answers about a thousand requests a second, twenty times fewer
than alone, so the tracker's flush interval is stretched (`--flush-interval`, 0.1 s) to give
batches of the size a real server flushes at full load (20 ms at ~10,000 redirects a
second); the mean batch is printed.

    .venv/bin/python bench/server_instructions.py                  # both modes, ~4 minutes
    .venv/bin/python bench/server_instructions.py --modes embedded --headers browser
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from click_loop import HEADERS  # bench/, beside this script
from environment import REDIS_URL, describe_machine
from redirect import (
    HOST,
    Pin,
    ensure_debian_package,
    ensure_link,
    run_wrk,
    stop,
    storage,
    wait_for_port,
)

# The first requests under valgrind translate every code path they meet: seconds each.
_SLOW_START = 300.0


@dataclasses.dataclass(frozen=True)
class Count:
    requests: int
    instructions: int
    clicks_a_flush: float | None  # None without tracking

    @property
    def per_request(self) -> float:
        return self.instructions / self.requests


def count(wrk: str, mode: str, tracking: bool, args: argparse.Namespace, port: int) -> Count:
    """One server under callgrind, loaded by wrk; its instructions over the measured load."""
    with (
        tempfile.TemporaryDirectory(prefix="shorturl-instr-") as tmp_dir,
        storage(mode, Path(tmp_dir), rate_limit=False, tracking=tracking) as env,
    ):
        tmp = Path(tmp_dir)
        out = tmp / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            *(sys.executable, "-m", "shorturl", "serve", "--no-worker"),
            *("--host", HOST, "--port", str(port)),
        ]
        server_env = {
            **os.environ,
            **env,
            "PYTHONHASHSEED": "0",  # the same dict layouts on every run
            "SHORTURL_CLICK_FLUSH_INTERVAL": str(args.flush_interval),
        }
        with (tmp / "server.log").open("wb") as log:
            process = subprocess.Popen(
                command,
                env=server_env,
                cwd=tmp,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0,
            )
        try:
            wait_for_port(port, process, timeout=_SLOW_START)
            url = ensure_link(f"http://{HOST}:{port}", timeout=_SLOW_START)
            _wrk(wrk, url, args.warmup, args)
            _callgrind_control("--instr=on", process.pid)
            requests = _wrk(wrk, url, args.seconds, args)
            _callgrind_control("--instr=off", process.pid)
            flushes = _batches(mode, tmp, env) if tracking else None
        except BaseException:
            print((tmp / "server.log").read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            stop(process, timeout=_SLOW_START)
        found = re.search(r"^totals: (\d+)", out.read_text(), re.MULTILINE)
        if found is None:
            raise RuntimeError(f"no instruction total in {out}")
        return Count(requests, int(found[1]), flushes)


def _wrk(wrk: str, url: str, seconds: int, args: argparse.Namespace) -> int:
    """Requests wrk completed in `seconds` (one thread: the server is the slow side)."""
    load = {"connections": args.connections, "threads": 1, "pin": Pin(), "headers": args.headers}
    result = run_wrk(wrk, url, seconds=seconds, **load)
    if result.bad_responses:
        raise RuntimeError(f"{result.bad_responses} bad responses or socket errors")
    return result.requests


def _callgrind_control(option: str, pid: int) -> None:
    subprocess.run(["callgrind_control", option, str(pid)], check=True, capture_output=True)
    time.sleep(0.1)


def _batches(mode: str, tmp: Path, env: dict[str, str]) -> float:
    """Clicks a flush sent, on average, since the server started (no worker takes them)."""
    if mode == "embedded":
        with sqlite3.connect(tmp / "bench.db-inbox") as inbox:
            rows, clicks = inbox.execute("SELECT count(*), sum(clicks) FROM click_inbox").fetchone()
        return clicks / rows
    return asyncio.run(_stream_batches(env["SHORTURL_REDIS_NAMESPACE"]))


async def _stream_batches(namespace: str) -> float:
    from redis.asyncio import Redis

    from shorturl.analytics.events import decode_batch

    redis = Redis.from_url(REDIS_URL)
    try:
        entries = await redis.xrange(f"{namespace}:clicks")
    finally:
        await redis.aclose()
    clicks = sum(len(decode_batch(fields[b"b"])) for _id, fields in entries)
    return clicks / len(entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", nargs="+", choices=["embedded", "scaled"])
    parser.add_argument("--seconds", type=int, default=20, help="measured load, each server")
    parser.add_argument("--warmup", type=int, default=8, help="load before counting starts")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--flush-interval", type=float, default=0.1)
    parser.add_argument(
        "--headers",
        choices=sorted(HEADERS),
        default="wrk",
        help="what each request carries: wrk's two headers (bench/redirect.py's load), or the "
        "fourteen of a browser following a link (bench/click_loop.py)",
    )
    parser.add_argument("--port", type=int, default=18310)
    args = parser.parse_args()
    ensure_debian_package("valgrind", "valgrind")
    wrk = ensure_debian_package("wrk", "wrk")
    print(describe_machine())
    print(
        f"`shorturl serve --no-worker` under callgrind, uvicorn, wrk -c{args.connections}, ", end=""
    )
    print(f"{args.headers} headers")
    print(f"for {args.seconds} s after {args.warmup} s, flush interval {args.flush_interval} s\n")
    print("| mode | tracking off | tracking on | difference | clicks a flush |")
    print("|---|---|---|---|---|")
    for mode in args.modes or ["embedded", "scaled"]:
        off = count(wrk, mode, False, args, args.port)
        on = count(wrk, mode, True, args, args.port + 1)
        more = on.per_request - off.per_request
        print(
            f"| {mode} | {off.per_request:,.0f} | {on.per_request:,.0f} "
            f"| {more:+,.0f} ({more / off.per_request:+.1%}) | {on.clicks_a_flush:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
