"""`InboxTransport`, the embedded mode's click transport: batches wait in a SQLite file beside
the database, one consumer holds each until its claim runs out, and they outlive the process
that sent them."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shorturl.analytics.enrich import ClickEnricher
from shorturl.analytics.events import ClickBatch, ClickEvent
from shorturl.analytics.models import Click
from shorturl.analytics.tracker import ClickTracker
from shorturl.config import Settings
from shorturl.links.models import Link
from shorturl.net.client_ip import ClientIpResolver
from shorturl.storage.db import Database
from shorturl.storage.migrate import upgrade
from shorturl.worker.consumer import ClickConsumer
from shorturl.worker.inbox import InboxTransport
from shorturl.worker.transports import Delivery


@pytest.fixture
def inbox_file(tmp_path: Path) -> str:
    """An inbox of its own: no app's worker takes the batches meanwhile."""
    return f"sqlite+aiosqlite:///{tmp_path / 'shorturl.db-inbox'}"


def test_the_inbox_lies_beside_the_database() -> None:
    def inbox(**settings: Any) -> str | None:
        return Settings(_env_file=None, **settings).click_inbox_url

    assert inbox(database_url="sqlite+aiosqlite:////var/lib/s/shorturl.db") == (
        "sqlite+aiosqlite:////var/lib/s/shorturl.db-inbox"
    )
    assert inbox(database_url="sqlite+aiosqlite:////s/a.db", click_inbox="/t/in") == (
        "sqlite+aiosqlite:////t/in"
    )
    assert inbox(database_url="sqlite+aiosqlite:///:memory:") is None
    assert inbox(database_url="postgresql+asyncpg://postgres@127.0.0.1/test") is None
    with_redis = {"database_url": "sqlite+aiosqlite:////s/a.db", "redis_url": "redis://r"}
    assert inbox(**with_redis) is None  # the stream carries the clicks


def batch_of(*numbers: int) -> ClickBatch:
    return ClickBatch.of(
        ClickEvent(f"e{number}", 1, 1.5, "GET", "8.8.8.8", "curl/8", None, None)
        for number in numbers
    )


def ids(deliveries: list[Delivery]) -> list[list[str]]:
    return [[event.event_id for event in delivery.events] for delivery in deliveries]


async def test_each_batch_goes_to_one_consumer_until_its_claim_runs_out(inbox_file: str) -> None:
    inbox = InboxTransport(inbox_file, reclaim_idle=0.3)
    for numbers in ((1, 2), (3,), (4, 5, 6)):
        await inbox.publish(batch_of(*numbers))
    first = await inbox.receive("a", 2, 0)
    second = await inbox.receive("b", 10, 0)
    assert ids(first) == [["e1", "e2"], ["e3"]]  # oldest first
    assert ids(second) == [["e4", "e5", "e6"]]
    assert await inbox.receive("c", 10, 0) == []  # all claimed
    await inbox.ack(first)
    assert await inbox.backlog() == 1
    await asyncio.sleep(0.35)  # b died without acking: its claim runs out
    taken_over = await inbox.receive("c", 10, 0)
    assert ids(taken_over) == [["e4", "e5", "e6"]]
    await inbox.ack(taken_over)
    assert await inbox.backlog() == 0
    await inbox.wait_empty(1)
    await inbox.close()


async def test_a_waiting_consumer_gets_what_another_process_publishes(inbox_file: str) -> None:
    consumer_side = InboxTransport(inbox_file, poll=0.05)
    other_process = InboxTransport(inbox_file)  # its own wake-up: found by looking

    async def publish_later() -> None:
        await asyncio.sleep(0.1)
        await other_process.publish(batch_of(7))

    publisher = asyncio.create_task(publish_later())
    started = time.monotonic()
    received = await consumer_side.receive("a", 10, 5)
    await publisher
    assert ids(received) == [["e7"]]
    assert time.monotonic() - started < 5  # found before the wait ran out
    await consumer_side.close()
    await other_process.close()


async def test_clicks_sent_by_a_process_that_died_are_stored_by_the_next(tmp_path: Path) -> None:
    """A web process records and flushes clicks, then dies (nothing of it runs again, its
    worker never stored them); a process started later on the same database stores them,
    each once."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    await asyncio.to_thread(upgrade, url)
    first, second = Database(url), Database(url)
    try:
        async with first.sessionmaker() as session:
            link = Link(code="crashy", long_url="https://example.com/c")
            session.add(link)
            await session.commit()
            link_id = link.id
        sent = InboxTransport(f"{url}-inbox")
        dead = ClickTracker(sent.publish, ClientIpResolver())
        for port in range(25):
            scope = {
                "method": "GET",
                "client": ("8.8.8.8", 40000 + port),
                "headers": [(b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0")],
            }
            dead.record(scope, link_id)
        assert await dead.flush()
        await first.dispose()  # the process is gone
        await sent.close()

        inbox = InboxTransport(f"{url}-inbox")
        consumer = ClickConsumer(inbox, second.sessionmaker, ClickEnricher(), name="next")
        assert await consumer.run_until_idle() == 25
        assert await consumer.run_until_idle() == 0
        async with second.sessionmaker() as session:
            rows = await session.scalar(select(func.count()).select_from(Click))
            counted = await session.scalar(select(Link.click_count).where(Link.id == link_id))
        assert (rows, counted) == (25, 25)
        assert await inbox.backlog() == 0
        await inbox.close()
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_new_inbox_read_by_another_process_while_it_turns_to_wal(tmp_path: Path) -> None:
    # What processes starting together do to each other, made certain: one is about to
    # write the new file while another turns it to WAL, and SQLite answers "database is
    # locked" at once, whatever the busy timeout (waiting could deadlock). The second waits
    # for the first rather than failing.
    path = tmp_path / "shorturl.db-inbox"
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("CREATE TABLE other (id INTEGER)")
    reader.execute("BEGIN IMMEDIATE")
    asyncio.get_running_loop().call_later(0.3, reader.rollback)
    inbox = InboxTransport(f"sqlite+aiosqlite:///{path}")
    try:
        assert await inbox.backlog() == 0
    finally:
        await inbox.close()
        reader.close()
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_processes_starting_together_both_find_the_inbox(inbox_file: str) -> None:
    inboxes = [InboxTransport(inbox_file) for _ in range(4)]
    assert await asyncio.gather(*(inbox.backlog() for inbox in inboxes)) == [0, 0, 0, 0]
    for inbox in inboxes:
        await inbox.close()
