"""The redirect front's own time for a plain link and for smart links, in process.

No server and no sockets: the ASGI app is called with a browser's request as uvicorn builds
it, answers into a `send` that keeps nothing, and the loop is timed. What is left is the
front's cost of one cached redirect (the part smart links add to), without the HTTP parsing
that dominates a real server's time (bench/redirect.py gives that, beside nginx). Runs in
turns (plain, rules5, plain, …) and prints the median of each, so a drifting machine touches
every kind alike. Click tracking off, as bench/redirect.py's "redirect alone".

`--domains` adds an extra short domain first (the front then reads `Host`) and times a
link on it too (`domain`, its own `Host`).

    .venv/bin/python bench/routing.py [--requests 20000] [--rounds 9] [--domains]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from shorturl.app import create_app
from shorturl.config import Settings
from shorturl.storage.migrate import upgrade

BROWSER = [
    (b"host", b"sho.rt"),
    (b"user-agent", b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
     b"(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
    (b"accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    (b"accept-language", b"en-US,en;q=0.9"),
    (b"accept-encoding", b"gzip, deflate, br"),
    (b"referer", b"https://news.example.org/some/article"),
    (b"connection", b"keep-alive"),
]  # fmt: skip
TARGET = "https://example.com/landing"
FIVE_RULES = [
    {"conditions": {"query": {"utm_source": "newsletter"}}, "long_url": "https://example.com/n"},
    {"conditions": {"language": "fr"}, "long_url": "https://example.com/fr"},
    {"conditions": {"device": "tablet"}, "long_url": "https://example.com/tablet"},
    {"conditions": {"os": ["ios", "android"]}, "long_url": "https://example.com/app"},
    {"conditions": {"country": "FR"}, "long_url": "https://example.com/france"},
]
LINKS: dict[str, dict[str, Any]] = {
    "plain": {},
    "rules1": {"rules": FIVE_RULES[1:2]},
    "rules5": {"rules": FIVE_RULES},
    "ab": {
        "variants": [
            {"long_url": "https://example.com/a", "weight": 70},
            {"long_url": "https://example.com/b", "weight": 30},
        ]
    },
}


async def _noop_send(message: dict[str, Any]) -> None:
    return None


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


EXTRA_DOMAIN = "go.sho.rt"


async def one_round(app: Any, code: str, requests: int, host: bytes = b"sho.rt") -> float:
    """µs per request of `requests` cached redirects of `code` asked for on `host`."""
    headers = [(name, host if name == b"host" else value) for name, value in BROWSER]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/{code}",
        "raw_path": f"/{code}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("203.0.113.9", 50000),
        "server": ("127.0.0.1", 8080),
    }
    started = time.perf_counter()
    for _ in range(requests):
        await app(scope, _receive, _noop_send)
    return (time.perf_counter() - started) / requests * 1e6


async def add_domain(app: Any) -> None:
    from shorturl.domains.models import Domain

    runtime = app.runtime
    async with runtime.database.sessionmaker() as session:
        session.add(Domain(host=EXTRA_DOMAIN))
        await session.commit()
    await runtime.domains.reload()


async def main(requests: int, rounds: int, tmp: str, domains: bool) -> None:
    links = dict(LINKS)
    if domains:
        links["domain"] = {"domain": EXTRA_DOMAIN}
    if True:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
            base_url="http://sho.rt",
            secret_key="bench-secret-" + "x" * 32,
            rate_limit_enabled=False,
            click_tracking=False,
            fetch_metadata=False,
            environment="test",
        )
        app = create_app(settings)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://sho.rt") as http:
                account = {
                    "email": "b@example.com",
                    "username": "bench",
                    "password": "bench-Secret1",
                }
                await http.post("/api/v1/auth/signup", json=account)
                token = (await http.post("/api/v1/auth/login", json=account)).json()["data"][
                    "access_token"
                ]
                if domains:
                    await add_domain(app)
                for kind, extra in links.items():
                    response = await http.post(
                        "/api/v1/urls",
                        json={"long_url": TARGET, "custom_alias": f"bench-{kind}", **extra},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    assert response.status_code == 201, response.text
            host = {
                kind: (extra.get("domain") or "sho.rt").encode() for kind, extra in links.items()
            }
            times: dict[str, list[float]] = {kind: [] for kind in links}
            for kind in links:  # warm: cached, compiled, facts seen once
                await one_round(app, f"bench-{kind}", 200, host[kind])
            for _ in range(rounds):
                for kind in links:
                    times[kind].append(await one_round(app, f"bench-{kind}", requests, host[kind]))
    plain = statistics.median(times["plain"])
    print(f"{requests:,} cached redirects a round, {rounds} rounds in turns, median µs a request")
    for kind, values in times.items():
        median = statistics.median(values)
        print(
            f"  {kind:7} {median:6.2f} µs  ({min(values):.2f}–{max(values):.2f})"
            f"  {median / plain - 1:+.1%} vs plain"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--domains", action="store_true", help="with an extra short domain")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-routing-") as tmp:
        upgrade(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        asyncio.run(main(args.requests, args.rounds, tmp, args.domains))
