"""Benchmark of webhooks: what they cost the click worker, and how fast deliveries go out.

* `worker`: the real `ClickConsumer` draining a backlog of clicks (bench/enrich.py's events,
  100 links owned by one user) three ways — without the webhook hook, with it but no
  webhook subscribed to `url.clicked` (one extra query a batch), and with one subscribed
  webhook (a delivery row written per click in the worker's transaction; sending off, so
  only the worker is measured);
* `send`: `WebhookDispatcher.sweep` sending a backlog of due deliveries to a local receiver
  that answers 204 at once — claim, sign, POST, record, per delivery.

    .venv/bin/python bench/webhooks.py                          # both modes
    .venv/bin/python bench/webhooks.py --modes embedded --clicks 10000 --deliveries 1000

Listens on one port in 18300-18399 (the receiver). Prints figures with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select, update
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent))
import enrich as clicks  # noqa: E402 - bench/enrich.py: events, databases, transports
from environment import describe_machine  # noqa: E402

from shorturl.accounts.models import User  # noqa: E402
from shorturl.analytics.enrich import ClickEnricher  # noqa: E402
from shorturl.analytics.events import ClickBatch  # noqa: E402
from shorturl.analytics.visitors import VisitorSalts  # noqa: E402
from shorturl.background import BackgroundTasks  # noqa: E402
from shorturl.config import Settings  # noqa: E402
from shorturl.links.models import Link  # noqa: E402
from shorturl.storage.db import Database  # noqa: E402
from shorturl.webhooks.dispatcher import WebhookDispatcher  # noqa: E402
from shorturl.webhooks.models import Webhook, WebhookDelivery  # noqa: E402
from shorturl.worker.consumer import ClickConsumer  # noqa: E402
from tests.local_servers import serving  # noqa: E402

VARIANTS = ("no hook", "hook, nobody subscribed", "hook, one webhook")


async def _owned_links(db: Database, subscribed: bool, url: str) -> list[int]:
    link_ids = await clicks.create_links(db)
    async with db.sessionmaker() as session:
        user = User(email="b@example.com", username="bench", password_hash="x")
        session.add(user)
        await session.flush()
        await session.execute(update(Link).values(owner_id=user.id))
        events = ["url.clicked"] if subscribed else ["url.created"]
        session.add(Webhook(user_id=user.id, url=url, events=events, secret="s" * 20))
        await session.commit()
    return link_ids


async def measure_worker(mode: str, count: int, variant: str) -> float:
    async with clicks.database(mode) as url, clicks.transport_of(mode) as transport:
        db = Database(url)
        dispatcher = WebhookDispatcher(
            Settings(_env_file=None, database_url=url), db.sessionmaker, BackgroundTasks()
        )  # its BackgroundTasks never started: rows are written, nothing is sent
        try:
            link_ids = await _owned_links(db, variant == VARIANTS[2], "http://127.0.0.1:9/")
            for batch in clicks.chunks(clicks.make_events(count, link_ids), 50):
                await transport.publish(ClickBatch.of(batch))
            enricher = ClickEnricher()
            await asyncio.to_thread(enricher.agent, "Mozilla/5.0")
            await VisitorSalts(db.sessionmaker).for_days({date.today()})
            hooks = [dispatcher.on_clicks_stored] if variant != VARIANTS[0] else []
            consumer = ClickConsumer(
                transport, db.sessionmaker, enricher, name="bench", in_transaction=hooks
            )
            started = time.perf_counter()
            await consumer.run_until_idle()
            return count / (time.perf_counter() - started)
        finally:
            await dispatcher.aclose()
            await db.dispose()


async def measure_send(mode: str, count: int) -> float:
    async def receive(_: object) -> Response:
        return Response(status_code=204)

    app = Starlette(routes=[Route("/hook", receive, methods=["POST"])])
    async with clicks.database(mode) as url, serving(app) as receiver:
        db = Database(url)
        settings = Settings(_env_file=None, database_url=url, allow_private_targets=True)
        dispatcher = WebhookDispatcher(settings, db.sessionmaker, BackgroundTasks())
        try:
            await _owned_links(db, True, receiver.url("/hook"))
            async with db.sessionmaker() as session:
                webhook_id = await session.scalar(select(Webhook.id))
                now = datetime.now(UTC)
                await session.execute(
                    insert(WebhookDelivery),
                    [
                        {
                            "webhook_id": webhook_id,
                            "event": "url.clicked",
                            "payload": {"n": n},
                            "next_attempt_at": now,
                        }
                        for n in range(count)
                    ],
                )
                await session.commit()
            started = time.perf_counter()
            sent = 0
            while swept := await dispatcher.sweep():
                sent += swept
            return sent / (time.perf_counter() - started)
        finally:
            await dispatcher.aclose()
            await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modes", nargs="+", default=["embedded", "scaled"])
    parser.add_argument("--clicks", type=int, default=20_000)
    parser.add_argument("--deliveries", type=int, default=2_000)
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {describe_machine()}")
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    for mode in args.modes:
        for variant in VARIANTS:
            rate = await measure_worker(mode, args.clicks, variant)
            print(f"worker, {mode}, {variant}: {rate:>9,.0f} clicks/s")
        rate = await measure_send(mode, args.deliveries)
        print(f"send, {mode}: {rate:>9,.0f} deliveries/s (16 in flight, receiver on 127.0.0.1)")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
