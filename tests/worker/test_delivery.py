"""At-least-once delivery, counted exactly once: redelivery, a worker killed mid-batch, stop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shorturl.analytics.enrich import ClickEnricher
from shorturl.analytics.events import ClickBatch, ClickEvent
from shorturl.analytics.models import Click
from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.worker.consumer import ClickConsumer
from shorturl.worker.transports import Delivery, QueueTransport, RedisStreamTransport
from tests.analytics.conftest import make_link, visit_app
from tests.conftest import AppFactory, Backend, reset_state, running


async def stored_clicks(runtime: Runtime) -> tuple[int, int, int]:
    """(click rows, distinct event ids, sum of the links' click_count)."""
    async with runtime.database.sessionmaker() as session:
        rows = await session.scalar(select(func.count()).select_from(Click))
        events = await session.scalar(select(func.count(func.distinct(Click.event_id))))
        counted = await session.scalar(select(func.coalesce(func.sum(Link.click_count), 0)))
    return int(rows or 0), int(events or 0), int(counted or 0)


def event(number: int, link_id: int) -> ClickEvent:
    agent = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
    return ClickEvent(f"test-{number}", link_id, time.time(), "GET", "8.8.8.8", agent, None, None)


async def new_link_id(client: httpx.AsyncClient, runtime: Runtime) -> int:
    link = await runtime.resolver.resolve(await make_link(client))
    assert link is not None
    return link.id


async def test_a_batch_delivered_twice_is_counted_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    link_id = await new_link_id(client, runtime)
    transport = QueueTransport()  # a private queue: the app's own worker stays out of it
    consumer = ClickConsumer(
        transport, runtime.database.sessionmaker, ClickEnricher(), name="twice"
    )
    events = [event(n, link_id) for n in range(10)]
    await transport.publish(ClickBatch.of(events[:6]))
    await transport.publish(ClickBatch.of(events[4:]))  # events 4 and 5 travel twice
    await transport.publish(ClickBatch.of(events))  # and everything once more
    assert await consumer.run_until_idle() == 10
    assert await stored_clicks(runtime) == (10, 10, 10)


async def test_a_large_read_is_stored_in_bounded_transactions(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    link_id = await new_link_id(client, runtime)
    transport = QueueTransport()
    committed: list[int] = []

    async def on_commit(rows: list[dict[str, Any]]) -> None:
        committed.append(len(rows))

    consumer = ClickConsumer(
        transport,
        runtime.database.sessionmaker,
        ClickEnricher(),
        name="bounded",
        transaction_clicks=6,
        listeners=[on_commit],
    )
    sizes = [3, 3, 3, 8, 1]
    numbers = iter(range(sum(sizes)))
    for size in sizes:
        await transport.publish(ClickBatch.of(event(next(numbers), link_id) for _ in range(size)))
    assert await consumer.run_until_idle() == 18
    # Whole batches, at most 6 clicks a transaction unless one batch alone holds more.
    assert committed == [6, 3, 8, 1]
    assert await stored_clicks(runtime) == (18, 18, 18)
    assert await transport.backlog() == 0


class Killed(Exception):
    """The process died: nothing after this point happens."""


class DiesBeforeAck:
    """The stream, seen by a worker that is killed after storing a batch, before its ack."""

    def __init__(self, inner: RedisStreamTransport) -> None:
        self.inner = inner

    async def receive(self, consumer: str, count: int, block: float) -> list[Delivery]:
        return await self.inner.receive(consumer, count, block)

    async def ack(self, deliveries: Sequence[Delivery]) -> None:
        raise Killed


async def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(scaled: Backend) -> None:
    settings = scaled.settings(worker_in_process=False, worker_reclaim_idle=0.3)
    async with running(settings) as (app, client):
        runtime: Runtime = app.runtime
        await reset_state(runtime)
        transport = runtime.clicks.transport
        assert isinstance(transport, RedisStreamTransport) and runtime.clicks.tracker
        codes = [await make_link(client) for _ in range(3)]
        for _ in range(8):  # at least 8 stream entries (the tracker flushes on its own too)
            for code in codes:
                assert (await visit_app(app, f"/{code}")).status_code == 301
            await runtime.clicks.tracker.flush()
        assert await transport.backlog() >= 8

        def worker(name: str, stream: Any) -> ClickConsumer:
            return ClickConsumer(
                stream, runtime.database.sessionmaker, ClickEnricher(), name=name, batch_size=3
            )

        # The doomed worker reads three entries, stores the first and dies before acking.
        doomed = worker("doomed", DiesBeforeAck(transport))
        taken = await doomed.transport.receive("doomed", 3, 0.1)
        assert len(taken) == 3
        with pytest.raises(Killed):
            await doomed.handle(taken[:1])
        stored_by_the_dead = (await stored_clicks(runtime))[0]
        assert 1 <= stored_by_the_dead <= 3

        survivor = worker("survivor", transport)
        deadline = time.monotonic() + 10
        while await transport.backlog():
            assert time.monotonic() < deadline, "the dead worker's entries were never reclaimed"
            await survivor.run_until_idle()
            await asyncio.sleep(0.05)
        assert await stored_clicks(runtime) == (24, 24, 24)
        async with runtime.database.sessionmaker() as session:
            counts = (await session.scalars(select(Link.click_count))).all()
        assert sorted(counts) == [8, 8, 8]


async def test_a_dropped_publishing_connection_loses_and_duplicates_nothing(
    scaled: Backend,
) -> None:
    settings = scaled.settings(worker_in_process=False)
    async with running(settings) as (app, client):
        runtime: Runtime = app.runtime
        await reset_state(runtime)
        tracker, transport = runtime.clicks.tracker, runtime.clicks.transport
        assert tracker is not None and isinstance(transport, RedisStreamTransport)
        code = await make_link(client)
        for _ in range(5):
            assert (await visit_app(app, f"/{code}")).status_code == 301
        assert await tracker.flush()
        # Redis drops the connection the transport publishes on (a restart, a proxy, a kill).
        assert runtime.redis is not None
        publishers = [
            entry["id"]
            for entry in await runtime.redis.client_list()
            if entry["name"] == transport.publisher_name
        ]
        assert len(publishers) == 1
        await runtime.redis.execute_command("CLIENT", "KILL", "ID", publishers[0])
        for _ in range(5):
            assert (await visit_app(app, f"/{code}")).status_code == 301
        attempts = 1
        while not await tracker.flush():  # refused while the connection is found dead: kept
            attempts += 1
            assert attempts <= 3, "the transport never opened a new connection"
        assert tracker.recorded == 10 and tracker.dropped == 0
        consumer = ClickConsumer(
            transport, runtime.database.sessionmaker, ClickEnricher(), name="after-the-drop"
        )
        assert await consumer.run_until_idle() == 10
        assert await stored_clicks(runtime) == (10, 10, 10)


@pytest.mark.parametrize("tracking", [True, False])
async def test_stopping_the_server_stores_every_click(
    app_factory: AppFactory, runtime: Runtime, tracking: bool
) -> None:
    async with app_factory(click_tracking=tracking) as (app, client):
        code = await make_link(client)
        for _ in range(40):
            assert (await visit_app(app, f"/{code}")).status_code == 301
    # The app has stopped, and nothing was drained by hand: its shutdown stored everything.
    # (`runtime` is the shared app's, on the same database.)
    expected = 40 if tracking else 0
    assert await stored_clicks(runtime) == (expected, expected, expected)


async def test_a_rate_limited_redirect_behind_a_proxy_records_the_forwarded_client(
    app_factory: AppFactory,
) -> None:
    """The front finds the client once, for the limit and the click: both must be the
    address the trusted proxy forwarded, not the proxy's."""
    async with app_factory(
        rate_limit_enabled=True, trusted_proxies=["127.0.0.0/8"], ip_storage="full"
    ) as (app, client):
        runtime: Runtime = app.runtime
        code = await make_link(client)
        response = await visit_app(
            app, f"/{code}", ip="127.0.0.1", headers={"x-forwarded-for": "203.0.113.7"}
        )
        assert response.status_code == 301
        await runtime.clicks.drain()
        async with runtime.database.sessionmaker() as session:
            assert (await session.scalars(select(Click.ip))).all() == ["203.0.113.7"]
