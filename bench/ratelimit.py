"""What the per-IP redirect limit costs the hot path: in process, and under wrk.

1. In process: nanoseconds per `RedirectLimiter.allow()` (one IP; many IPs) and per
   `ClientIpResolver.from_scope()` (no trusted proxy; behind one); then microseconds per
   cached redirect through the real ASGI front (no network, no server), limits off and on,
   best of alternating runs — the figure that a busy machine cannot blur.
2. Under load: `shorturl serve` (uvicorn, 1 worker) in both modes, the cached redirect driven
   by wrk with a different `X-Forwarded-For` address on every request (a pool of many
   clients, so nobody reaches the limit) from a trusted proxy, limits off and on, in
   alternating runs. Prints req/s, p99 and the on/off ratio.

    .venv/bin/python bench/ratelimit.py
    .venv/bin/python bench/ratelimit.py --modes embedded --rounds 1 --duration 5

Reuses the server and wrk helpers of `bench/redirect.py`. Ports 18200-18219.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import redirect as redirect_bench  # noqa: E402
from environment import REDIS_URL, describe_machine  # noqa: E402

from shorturl.app import create_app  # noqa: E402
from shorturl.config import Settings  # noqa: E402
from shorturl.net.client_ip import ClientIpResolver  # noqa: E402
from shorturl.ratelimit.redirects import RedirectLimiter  # noqa: E402

WRK_SCRIPT = """
math.randomseed(os.time() + (wrk.thread and wrk.thread.id or 0))
local pool = {pool}
request = function()
  local n = math.random(0, pool - 1)
  local ip = "10." .. math.floor(n / 65536) .. "." .. (math.floor(n / 256) % 256) .. "." .. (n % 256)
  return wrk.format(nil, nil, {{["X-Forwarded-For"] = ip}})
end
"""


def nanoseconds_per_call(function, arguments: list, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for argument in arguments:
            function(argument)
        best = min(best, (time.perf_counter_ns() - start) / len(arguments))
    return best


def in_process(pool: int) -> None:
    calls = 200_000
    one_ip = ["203.0.113.7"] * calls
    rng = random.Random(1)
    many = [
        f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}" for _ in range(calls)
    ]
    pooled = [
        f"10.0.{n // 256 % 256}.{n % 256}" for n in (rng.randrange(pool) for _ in range(calls))
    ]
    baseline = nanoseconds_per_call(lambda ip: None, one_ip)
    print(f"in process (best of 5, 200,000 calls each; an empty call costs {baseline:.0f} ns):")
    for label, ips in (
        ("allow(), one IP", one_ip),
        (f"allow(), {pool:,} IPs", pooled),
        ("allow(), 200,000 distinct IPs", many),
    ):
        limiter = RedirectLimiter(10**12)
        print(f"  {label:<38} {nanoseconds_per_call(limiter.allow, ips) - baseline:6.0f} ns")
    scope_direct = {"client": ("203.0.113.7", 5000), "headers": [(b"host", b"x")]}
    scope_proxied = {
        "client": ("127.0.0.1", 5000),
        "headers": [(b"host", b"x"), (b"x-forwarded-for", b"1.2.3.4, 203.0.113.7")],
    }
    for label, resolver, scope in (
        ("client_ip, no trusted proxy", ClientIpResolver(), scope_direct),
        ("client_ip, behind a trusted proxy", ClientIpResolver(["127.0.0.1"]), scope_proxied),
    ):
        scopes = [scope] * calls
        print(
            f"  {label:<38} {nanoseconds_per_call(resolver.from_scope, scopes) - baseline:6.0f} ns"
        )


async def front_microseconds(rounds: int = 7, requests: int = 20_000) -> None:
    """µs per cached redirect through `RedirectFront`, limits off vs on."""
    import httpx
    from asgi_lifespan import LifespanManager

    from shorturl.storage.migrate import upgrade

    async def noop_receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def noop_send(message: dict) -> None:
        return None

    with tempfile.TemporaryDirectory(prefix="bench-front-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/front.db"
        await asyncio.to_thread(upgrade, url)
        fronts = {}
        managers = []
        for state in ("off", "on"):
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=url,
                rate_limit_enabled=state == "on",
                trusted_proxies=["127.0.0.1"],
                environment="production",
            )
            front = create_app(settings)
            manager = LifespanManager(front)
            await manager.__aenter__()
            managers.append(manager)
            fronts[state] = front
        transport = httpx.ASGITransport(app=fronts["off"])
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.post(
                "/shorten", json={"url": "https://example.com/", "custom_alias": "front"}
            )
        rng = random.Random(2)
        addresses = [f"10.0.{rng.randrange(78)}.{rng.randrange(256)}" for _ in range(requests)]

        def scope(client: str, forwarded: str | None) -> dict:
            headers = [(b"host", b"bench"), (b"user-agent", b"wrk")]
            if forwarded is not None:
                headers.append((b"x-forwarded-for", forwarded.encode()))
            return {
                "type": "http",
                "method": "GET",
                "path": "/front",
                "raw_path": b"/front",
                "query_string": b"",
                "client": (client, 5000),
                "headers": headers,
            }

        scenarios = {
            "clients connecting directly": [scope(ip, None) for ip in addresses],
            "behind a trusted proxy (X-Forwarded-For)": [
                scope("127.0.0.1", ip) for ip in addresses
            ],
        }
        for front in fronts.values():  # warm the caches
            await front(scenarios["clients connecting directly"][0], noop_receive, noop_send)
        for label, scopes in scenarios.items():
            timings: dict[str, list[float]] = {"off": [], "on": []}
            for _ in range(rounds):
                for state, front in fronts.items():
                    start = time.perf_counter()
                    for one in scopes:
                        await front(one, noop_receive, noop_send)
                    timings[state].append((time.perf_counter() - start) / requests * 1e6)
            off, on = min(timings["off"]), min(timings["on"])
            print(
                f"  cached redirect via the ASGI front, {label}:\n"
                f"      limits off {off:.2f} µs, on {on:.2f} µs (+{on - off:.2f} µs), "
                f"best of {rounds} × {requests:,} requests from ~20,000 addresses"
            )
        for manager in managers:
            await manager.__aexit__(None, None, None)


async def flush_milliseconds(ips: int = 2_000, rounds: int = 7) -> None:
    """ms per flush of `ips` IPs seen since the last one: locally (embedded), and to Redis
    (scaled) when they stay under the sharing threshold or all pass it."""
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    prefix = f"bench{random.randrange(10**9)}:rl:redirect"
    cases = (
        ("in memory (embedded)", None, 1),
        ("to Redis, 1 hit each (kept back)", redis, 1),
        ("to Redis, 10 hits each (all sent)", redis, 10),
    )
    try:
        for label, target, hits in cases:
            limiter = RedirectLimiter(1_000, redis=target, key_prefix=prefix)
            best = float("inf")
            for round_ in range(rounds):
                for n in range(ips):
                    for _ in range(hits):
                        limiter.allow(f"10.{round_}.{n // 256}.{n % 256}")
                start = time.perf_counter()
                await limiter.flush()
                best = min(best, time.perf_counter() - start)
            print(f"  flush of {ips:,} IPs {label:<34} {best * 1000:6.2f} ms (every 0.5 s)")
    finally:
        keys = [key async for key in redis.scan_iter(match=prefix + "*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


def wrk_run(  # type: ignore[no-untyped-def]
    wrk: str, url: str, script: Path, args: argparse.Namespace, seconds: int, pin
):
    command = [
        *pin.load,
        wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True)
    result = redirect_bench.parse_wrk(done.stdout)
    if result.bad_responses:
        raise RuntimeError(f"{url}: {result.bad_responses} bad responses (429s?)\n{done.stdout}")
    return result


def under_load(args: argparse.Namespace) -> None:
    wrk = redirect_bench.ensure_debian_package("wrk", "wrk")
    print(
        f"\nunder wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"{args.pool:,} client addresses in X-Forwarded-For, uvicorn 1 worker; "
        f"load average at start {redirect_bench.load_average():.2f}"
    )
    ports = iter(range(args.port, args.port + 20))
    # --pin: the server on core 0, wrk on core 1 (as bench/redirect.py does).
    pin = (
        redirect_bench.Pin(("taskset", "-c", "0"), ("taskset", "-c", "1"))
        if args.pin
        else redirect_bench.Pin()
    )
    with tempfile.TemporaryDirectory(prefix="bench-ratelimit-") as tmp_name:
        tmp = Path(tmp_name)
        script = tmp / "clients.lua"
        script.write_text(WRK_SCRIPT.format(pool=args.pool))
        for mode in args.modes:
            results: dict[str, list] = {"off": [], "on": []}
            with redirect_bench.storage(mode, tmp) as env:
                for _ in range(args.rounds):
                    for state in ("off", "on"):
                        run_env = {
                            **env,
                            "SHORTURL_RATE_LIMIT_ENABLED": "true" if state == "on" else "false",
                            "SHORTURL_TRUSTED_PROXIES": "127.0.0.1",
                        }
                        with redirect_bench.shorturl(
                            run_env, tmp, server="uvicorn", workers=1, port=next(ports), pin=pin
                        ) as (base, _group):
                            url = redirect_bench.ensure_link(base)
                            wrk_run(wrk, url, script, args, args.warmup, pin)
                            results[state].append(
                                wrk_run(wrk, url, script, args, args.duration, pin)
                            )
            off = statistics.median(r.requests_per_s for r in results["off"])
            on = statistics.median(r.requests_per_s for r in results["on"])
            for state, rate in (("off", off), ("on", on)):
                p99 = statistics.median(r.p99_ms for r in results[state])
                runs = ", ".join(f"{r.requests_per_s:,.0f}" for r in results[state])
                print(
                    f"  {mode:<9} limits {state:<3} {rate:10,.0f} req/s (median of {runs})"
                    f"  p99 {p99:.2f} ms"
                )
            print(f"  {mode:<9} on/off: {on / off:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", nargs="+", default=["embedded", "scaled"])
    parser.add_argument("--rounds", type=int, default=3, help="alternating off/on runs")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pool", type=int, default=20_000, help="distinct client addresses")
    parser.add_argument("--port", type=int, default=18200)
    parser.add_argument("--skip-load", action="store_true", help="only the in-process figures")
    parser.add_argument("--pin", action="store_true", help="server on core 0, wrk on core 1")
    args = parser.parse_args()
    print(describe_machine())
    in_process(args.pool)
    asyncio.run(front_microseconds())
    asyncio.run(flush_milliseconds())
    if not args.skip_load:
        under_load(args)


if __name__ == "__main__":
    main()
