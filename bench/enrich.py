"""Benchmark of the click worker: enrichment and storing throughput, in clicks per second.

Generates click events as redirects would (a few hundred distinct user agents and thousands
of addresses, both drawn with a long-tailed popularity, referrers, languages, a few robots
and HEAD requests, spread over 100 links), then measures:

* `enrich`: `ClickEnricher.enrich` alone (CPU; the user-agent cache warm, as in a running
  worker), in batches like the consumer's;
* `worker`: the real `ClickConsumer` with a fresh enricher draining a backlog of the events
  end to end — read, enrich, store idempotently, update the links' counters, acknowledge:
  embedded (SQLite file, in-process queue) and scaled (a throwaway PostgreSQL database
  created for the run and dropped afterwards, a Redis Stream in its own namespace).

    .venv/bin/python bench/enrich.py                      # both modes, 50,000 clicks
    .venv/bin/python bench/enrich.py --modes embedded --clicks 20000 --profile

Nothing listens on a port. Prints the figures with the machine and load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import pstats
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final

from redis.asyncio import Redis
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environment import REDIS_URL, describe_machine, postgres_database  # noqa: E402

from shorturl.analytics.enrich import ClickEnricher  # noqa: E402
from shorturl.analytics.events import ClickBatch, ClickEvent  # noqa: E402
from shorturl.analytics.models import Click  # noqa: E402
from shorturl.analytics.visitors import VisitorSalts  # noqa: E402
from shorturl.links.models import Link  # noqa: E402
from shorturl.storage.db import Database  # noqa: E402
from shorturl.storage.migrate import upgrade  # noqa: E402
from shorturl.worker.consumer import ClickConsumer  # noqa: E402
from shorturl.worker.transports import (  # noqa: E402
    ClickTransport,
    QueueTransport,
    RedisStreamTransport,
)

LINKS: Final = 100
EVENTS_PER_ENTRY: Final = 50  # what a busy web process flushes every few milliseconds
CONSUMER_BATCH: Final = 100  # stream entries read at once (`WORKER_BATCH_SIZE` default)

_BROWSERS: Final = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{m} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.{m} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 17_{m} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.{m} Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0",
]
_ROBOTS: Final = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "curl/8.5.0",
    "python-requests/2.31.0",
]
_REFERRERS: Final = [
    None,
    "https://www.google.com/",
    "https://t.co/abc123",
    "https://www.facebook.com/",
    "https://news.ycombinator.com/item?id=1",
    "https://www.reddit.com/r/python/",
    "https://www.linkedin.com/feed/",
    "https://duckduckgo.com/",
    "https://mail.google.com/",
    "https://example.org/blog/post",
]
_LANGUAGES: Final = ["en-US,en;q=0.9", "de-DE,de;q=0.8", "fr-FR", "ja", None, "es-ES,es"]


def long_tail(count: int) -> list[float]:
    """Zipf-like weights: the first items are much more frequent than the last."""
    return [1 / (rank + 1) for rank in range(count)]


def user_agents() -> list[str]:
    agents = [
        template.format(v=version, m=minor)
        for template in _BROWSERS
        for version in range(100, 132)
        for minor in (0, 1, 2)
        if "{m}" in template or minor == 0
    ]
    random.shuffle(agents)
    return agents


def make_events(count: int, link_ids: list[int], seed: int = 7) -> list[ClickEvent]:
    random.seed(seed)
    agents = user_agents()
    agent_weights = long_tail(len(agents))
    addresses = [
        f"{random.randint(1, 223)}.{random.randint(0, 255)}.{random.randint(0, 255)}."
        f"{random.randint(1, 254)}"
        for _ in range(20_000)
    ]
    address_weights = long_tail(len(addresses))
    now = time.time()
    start = max(now - 3600, now - now % 86400)  # within today (UTC): one visitor salt
    chosen_agents = random.choices(agents, agent_weights, k=count)
    chosen_addresses = random.choices(addresses, address_weights, k=count)
    events = []
    for agent, address in zip(chosen_agents, chosen_addresses, strict=True):
        roll = random.random()
        if roll < 0.03:
            agent = random.choice(_ROBOTS)
        events.append(
            ClickEvent(
                uuid.uuid4().hex,
                random.choice(link_ids),
                random.uniform(start, now),
                "HEAD" if roll > 0.99 else "GET",
                address,
                agent,
                random.choices(_REFERRERS, long_tail(len(_REFERRERS)))[0],
                random.choice(_LANGUAGES),
            )
        )
    return events


# --- storage ----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def database(mode: str) -> AsyncIterator[str]:
    """A migrated, empty database of `mode` for this run only (its SQLAlchemy URL)."""
    if mode == "embedded":
        with tempfile.TemporaryDirectory(prefix="bench-enrich-") as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            await asyncio.to_thread(upgrade, url)
            yield url
        return
    async with postgres_database() as url:
        await asyncio.to_thread(upgrade, url)
        yield url


async def create_links(db: Database) -> list[int]:
    async with db.sessionmaker() as session:
        await session.execute(
            insert(Link),
            [{"code": f"bench{n}", "long_url": "https://example.com/"} for n in range(LINKS)],
        )
        await session.commit()
        return list(await session.scalars(select(Link.id).order_by(Link.id)))


@contextlib.asynccontextmanager
async def transport_of(mode: str) -> AsyncIterator[ClickTransport]:
    if mode == "embedded":
        yield QueueTransport(max_events=10_000_000)
        return
    redis = Redis.from_url(REDIS_URL)
    stream = f"bench{secrets.token_hex(4)}:clicks"
    try:
        yield RedisStreamTransport(redis, stream, maxlen=1_000_000)
    finally:
        await redis.delete(stream)
        await redis.aclose()


# --- measurements ------------------------------------------------------------------------------


def chunks(events: list[ClickEvent], size: int) -> Iterator[list[ClickEvent]]:
    for start in range(0, len(events), size):
        yield events[start : start + size]


def measure_enrich(events: list[ClickEvent]) -> float:
    """clicks/s of `ClickEnricher.enrich` with a warm user-agent cache."""
    enricher = ClickEnricher()
    days: set[date] = {datetime.fromtimestamp(event.at, UTC).date() for event in events}
    salts = dict.fromkeys(days, "salt")
    for batch in chunks(events, 5000):  # warm-up: each distinct agent parsed once
        enricher.enrich(batch, salts)
    started = time.perf_counter()
    for batch in chunks(events, EVENTS_PER_ENTRY * 20):
        enricher.enrich(batch, salts)
    return len(events) / (time.perf_counter() - started)


async def measure_worker(mode: str, count: int, profile: bool) -> tuple[float, float, int]:
    """(clicks/s of the real consumer draining `count` clicks, CPU µs a click of this process
    (all its threads: SQLite's work embedded, not PostgreSQL's), clicks stored)."""
    async with database(mode) as url, transport_of(mode) as transport:
        db = Database(url)
        try:
            link_ids = await create_links(db)
            events = make_events(count, link_ids)
            for batch in chunks(events, EVENTS_PER_ENTRY):
                await transport.publish(ClickBatch.of(batch))
            enricher = ClickEnricher()
            await asyncio.to_thread(enricher.agent, "Mozilla/5.0")  # rules loaded, as at start
            await VisitorSalts(db.sessionmaker).for_days({date.today()})
            consumer = ClickConsumer(
                transport, db.sessionmaker, enricher, name="bench", batch_size=CONSUMER_BATCH
            )
            profiler = cProfile.Profile() if profile else None
            started, cpu_started = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            await consumer.run_until_idle()
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
            cpu = (time.process_time() - cpu_started) / count * 1e6
            async with db.sessionmaker() as session:
                stored = int(await session.scalar(select(func.count()).select_from(Click)) or 0)
            if profiler:
                print(f"\n--- profile: worker, {mode} ---")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            return count / elapsed, cpu, stored
        finally:
            await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", nargs="+", default=["embedded", "scaled"])
    parser.add_argument("--clicks", type=int, default=50_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the worker runs")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {describe_machine()}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    sample = make_events(args.clicks, list(range(1, LINKS + 1)))
    print(
        f"{args.clicks} clicks: {len({event.user_agent for event in sample})} distinct user "
        f"agents, {len({event.ip for event in sample})} distinct addresses, {LINKS} links"
    )
    print(f"enrich only (warm agent cache):  {measure_enrich(sample):>9,.0f} clicks/s")
    for mode in args.modes:
        rate, cpu, stored = await measure_worker(mode, args.clicks, args.profile)
        label = "SQLite, queue" if mode == "embedded" else "PostgreSQL, Redis stream"
        print(
            f"worker, {mode} ({label}): {rate:>9,.0f} clicks/s, {cpu:.0f} µs of this "
            f"process's CPU a click ({stored} stored)"
        )
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
