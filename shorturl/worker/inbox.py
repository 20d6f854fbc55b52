"""`InboxTransport`: the embedded mode's click transport, a SQLite file beside the database.

A web process inserts each batch it sends as one row, so what it has sent survives the
process: a hard crash loses only the tracker's unsent buffer, as with the Redis stream. A
worker claims the oldest rows for `reclaim_idle` seconds (one UPDATE … RETURNING, so two
processes sharing the file never take the same row) and deletes them once their clicks are
stored; a claim that runs out, its worker dead, lets another take the row.

The rows live in a file of their own (`<database>-inbox`), not in the database: a worker's
storing transaction holds SQLite's write lock for as long as it runs, and in a web process
saturated with requests that is a good part of a second, during which the web process could
not have sent anything (its buffer grew, and a crash lost it: bench/crash.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import Sequence

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    delete,
    func,
    make_url,
    select,
    update,
)
from sqlalchemy.schema import CreateTable

from shorturl.analytics.events import ClickBatch, decode_batch
from shorturl.storage.db import Database, sqlite_pragmas
from shorturl.worker.transports import Delivery, wait_until_empty

__all__ = ["InboxTransport"]

_metadata = MetaData()
click_inbox = Table(
    "click_inbox",
    _metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("batch", LargeBinary, nullable=False),  # ClickBatch.encode()
    Column("clicks", Integer, nullable=False),
    # epoch seconds until which the worker that took the row keeps it; 0: nobody has
    Column("claimed_until", Float, nullable=False, server_default="0"),
)


class InboxTransport:
    def __init__(self, url: str, *, reclaim_idle: float = 60.0, poll: float = 0.25) -> None:
        self.database = Database(url)
        self.reclaim_idle = reclaim_idle
        self.poll = poll  # how often a waiting consumer looks for other processes' rows
        self._arrived = asyncio.Event()  # a batch published by this process
        self._created = False
        self._path = make_url(url).database or ""
        # `publish`'s own connection, used by one thread at a time (under `_publishing`)
        self._writer: sqlite3.Connection | None = None
        self._publishing = asyncio.Lock()

    async def _table(self) -> Table:
        if not self._created:
            async with self.database.engine.begin() as connection:
                # IF NOT EXISTS: the processes of one server start together
                await connection.execute(CreateTable(click_inbox, if_not_exists=True))
            self._created = True
        return click_inbox

    async def publish(self, batch: ClickBatch) -> None:
        """One INSERT on a plain `sqlite3` connection of its own, in one trip to a thread: the
        engine's way (a pooled connection, BEGIN, INSERT, COMMIT, each a trip to aiosqlite's
        thread) cost a web process several µs of CPU a click more (bench/redirect.py)."""
        await self._table()
        raw = batch.encode()
        async with self._publishing:
            await asyncio.to_thread(self._insert, raw, len(batch))
        self._arrived.set()

    def _insert(self, raw: bytes, clicks: int) -> None:
        if self._writer is None:
            self._writer = sqlite3.connect(
                self._path, timeout=10, isolation_level=None, check_same_thread=False
            )
            sqlite_pragmas(self._writer)
        self._writer.execute("INSERT INTO click_inbox (batch, clicks) VALUES (?, ?)", (raw, clicks))

    async def receive(self, consumer: str, count: int, block: float) -> list[Delivery]:
        deadline = time.monotonic() + block
        while True:
            self._arrived.clear()
            deliveries = await self._claim(count)
            left = deadline - time.monotonic()
            if deliveries or left <= 0:
                return deliveries
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(left, self.poll))

    async def _claim(self, count: int) -> list[Delivery]:
        return [Delivery(str(row_id), decode_batch(raw)) for row_id, raw in await self.claim(count)]

    async def claim(self, count: int) -> list[tuple[int, bytes]]:
        """Take the oldest unclaimed rows for `reclaim_idle` seconds: (row id, encoded batch)."""
        table = await self._table()
        now = time.time()
        oldest = (
            select(table.c.id)
            .where(table.c.claimed_until <= now)
            .order_by(table.c.id)
            .limit(count)
            .scalar_subquery()
        )
        async with self.database.engine.begin() as connection:
            rows = await connection.execute(
                update(table)
                .where(table.c.id.in_(oldest))
                .values(claimed_until=now + self.reclaim_idle)
                .returning(table.c.id, table.c.batch)
            )
            return [(row_id, raw) for row_id, raw in sorted(rows.all())]

    async def touch(self, consumer: str, deliveries: Sequence[Delivery]) -> None:
        """Keep these claimed for another `reclaim_idle` seconds (a worker still storing them)."""
        if deliveries:
            await self._set_claim([int(d.id) for d in deliveries], time.time() + self.reclaim_idle)

    async def release(self, row_ids: Sequence[int]) -> None:
        """Give claimed rows back at once, for the next claim (forwarding them failed)."""
        if row_ids:
            await self._set_claim(row_ids, 0)

    async def _set_claim(self, row_ids: Sequence[int], until: float) -> None:
        table = await self._table()
        async with self.database.engine.begin() as connection:
            await connection.execute(
                update(table).where(table.c.id.in_(list(row_ids))).values(claimed_until=until)
            )

    def exists(self) -> bool:
        """Whether the file is there (it is made by the first publish, or a claim)."""
        return os.path.exists(self._path)

    async def delete(self, row_ids: Sequence[int]) -> None:
        if row_ids:
            table = await self._table()
            async with self.database.engine.begin() as connection:
                await connection.execute(delete(table).where(table.c.id.in_(list(row_ids))))

    async def ack(self, deliveries: Sequence[Delivery]) -> None:
        await self.delete([int(delivery.id) for delivery in deliveries])

    async def backlog(self) -> int:
        table = await self._table()
        async with self.database.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(table)) or 0)

    async def wait_empty(self, seconds: float) -> None:
        await wait_until_empty(self, seconds, "the click inbox")

    async def close(self) -> None:
        async with self._publishing:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        await self.database.dispose()
