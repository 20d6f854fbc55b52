"""How click events travel from the web processes to the worker: a Redis Stream, a table of
the database, or an in-process queue.

Both transports deliver batches (`Delivery`) at least once and forget one only when it is
acknowledged, so a consumer acks after the clicks are committed, never before.

* `RedisStreamTransport` (scaled): one XADD per batch (on a connection of its own: see
  `publish`), capped by an approximate MAXLEN far above normal backlog; a consumer group
  shares the entries among workers; an entry a worker read but never acknowledged (it died)
  is claimed by another after `reclaim_idle` seconds (XAUTOCLAIM). Acknowledged entries are
  deleted, so the stream's length is the backlog.
* `InboxTransport` (embedded, worker/inbox.py): a SQLite file beside the database.
* `QueueTransport`: an in-process queue (tests and tools that feed a consumer directly).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ResponseError

from shorturl.analytics.events import ClickBatch, ClickEvent, decode_batch

__all__ = [
    "ClickTransport",
    "Delivery",
    "QueueTransport",
    "RedisStreamTransport",
    "TransportFull",
    "wait_until_empty",
]

log = logging.getLogger(__name__)

GROUP = "click-workers"
PUBLISH_TIMEOUT = 5.0  # seconds for Redis to answer an XADD


@dataclass(frozen=True, slots=True)
class Delivery:
    """One batch handed to a consumer; `ack` it once its clicks are stored."""

    id: str
    events: list[ClickEvent]


class TransportFull(Exception):
    """The embedded queue holds as many events as it may; the tracker keeps them meanwhile."""


class ClickTransport(Protocol):
    async def publish(self, batch: ClickBatch) -> None: ...

    async def receive(self, consumer: str, count: int, block: float) -> list[Delivery]:
        """Up to `count` batches for `consumer`, waiting at most `block` seconds for one."""
        ...

    async def ack(self, deliveries: Sequence[Delivery]) -> None: ...

    async def touch(self, consumer: str, deliveries: Sequence[Delivery]) -> None:
        """Keep these deliveries claimed by their consumer (still storing them): another
        consumer takes over a batch only after `reclaim_idle` seconds without a touch."""
        ...

    async def backlog(self) -> int:
        """Batches published and not yet acknowledged."""
        ...

    async def wait_empty(self, seconds: float) -> None:
        """Return once every published batch is acknowledged; TimeoutError after `seconds`."""
        ...

    async def close(self) -> None: ...


class QueueTransport:
    def __init__(self, max_events: int = 1_000_000) -> None:
        self.max_events = max_events
        self._ready: deque[Delivery] = deque()
        self._arrived = asyncio.Event()
        self._unacked: dict[str, int] = {}  # delivery id → events, published and not acked
        self._queued_events = 0
        self._ids = 0
        self._empty = asyncio.Event()
        self._empty.set()

    async def publish(self, batch: ClickBatch) -> None:
        if self._queued_events + len(batch) > self.max_events:
            raise TransportFull(f"{self._queued_events} click events are waiting")
        self._ids += 1
        delivery = Delivery(str(self._ids), batch.events())
        self._unacked[delivery.id] = len(batch)
        self._queued_events += len(batch)
        self._ready.append(delivery)
        self._empty.clear()
        self._arrived.set()

    async def receive(self, consumer: str, count: int, block: float) -> list[Delivery]:
        if not self._ready and block > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), block)
        taken: list[Delivery] = []
        while self._ready and len(taken) < count:
            taken.append(self._ready.popleft())
        return taken

    async def ack(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            self._queued_events -= self._unacked.pop(delivery.id, 0)
        if not self._unacked:
            self._empty.set()

    async def touch(self, consumer: str, deliveries: Sequence[Delivery]) -> None:
        return None  # nobody else consumes this queue

    def give_back(self, deliveries: Sequence[Delivery]) -> None:
        """Put deliveries a stopping consumer could not store back at the front."""
        self._ready.extendleft(reversed(deliveries))
        if deliveries:
            self._arrived.set()

    async def backlog(self) -> int:
        return len(self._unacked)

    async def wait_empty(self, seconds: float) -> None:
        await asyncio.wait_for(self._empty.wait(), seconds)

    async def close(self) -> None:
        return None


class RedisStreamTransport:
    def __init__(
        self,
        redis: Redis,
        stream: str,
        *,
        maxlen: int = 100_000,
        reclaim_idle: float = 60.0,
    ) -> None:
        self.redis = redis
        self.stream = stream
        self.maxlen = maxlen
        self.reclaim_idle_ms = int(reclaim_idle * 1000)
        self._group_ready = False
        self._next_reclaim = 0.0
        self._publisher: AbstractConnection | None = None
        self.publisher_name = f"{stream}:publisher"  # its name in Redis's CLIENT LIST
        self._publishing = asyncio.Lock()

    async def publish(self, batch: ClickBatch) -> None:
        """XADD the batch, on a connection of the transport's own rather than through the
        client and its pool: a web process publishes every 20 ms while it is busy, and
        redis-py's command layer costs about as much CPU again as the round trip itself
        (bench/tracker.py). A failed publish closes the connection (a reply may still be on
        its way); the next one opens it again."""
        await self.publish_encoded(batch.encode())

    async def publish_encoded(self, raw: bytes) -> None:
        """XADD one batch already in its wire form (`ClickBatch.encode()`)."""
        if self._publisher is None:
            pool = self.redis.connection_pool
            self._publisher = pool.connection_class(
                **{**pool.connection_kwargs, "client_name": self.publisher_name}
            )
        connection = self._publisher
        command = connection.pack_command(
            "XADD", self.stream, "MAXLEN", "~", self.maxlen, "*", "b", raw
        )
        async with self._publishing:
            try:
                await connection.send_packed_command(command, check_health=False)
                if await connection.read_response(timeout=PUBLISH_TIMEOUT) is None:
                    raise TimeoutError(f"no answer to XADD within {PUBLISH_TIMEOUT}s")
            except BaseException:
                await connection.disconnect(nowait=True)
                raise

    async def close(self) -> None:
        if self._publisher is not None:
            await self._publisher.disconnect()
            self._publisher = None

    async def ensure_group(self) -> None:
        """Create the consumer group (reading from the stream's start) unless it exists."""
        if self._group_ready:
            return
        try:
            await self.redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def receive(self, consumer: str, count: int, block: float) -> list[Delivery]:
        deliveries: list[Delivery] = []
        if time.monotonic() >= self._next_reclaim:
            deliveries = await self.reclaim(consumer, count)
            if not deliveries:  # nothing stuck: look again in a while, not every read
                self._next_reclaim = time.monotonic() + max(self.reclaim_idle_ms / 4000, 0.05)
        if deliveries:
            return deliveries
        answer = await self._with_group(
            lambda: self.redis.xreadgroup(
                GROUP, consumer, {self.stream: ">"}, count=count, block=max(int(block * 1000), 1)
            )
        )
        for _stream, entries in answer or ():
            deliveries.extend(_delivery(entry_id, fields) for entry_id, fields in entries)
        return deliveries

    async def reclaim(self, consumer: str, count: int) -> list[Delivery]:
        """Take over batches another consumer read but has not acknowledged for a while."""
        answer = await self._with_group(
            lambda: self.redis.xautoclaim(
                self.stream, GROUP, consumer, self.reclaim_idle_ms, start_id="0-0", count=count
            )
        )
        entries = answer[1] if answer else []
        claimed = [_delivery(entry_id, fields) for entry_id, fields in entries if fields]
        if claimed:
            log.warning("%s reclaimed %d unacknowledged click batches", consumer, len(claimed))
        return claimed

    async def _with_group(self, command: Callable[[], Awaitable[Any]]) -> Any:
        """Run a group command; when the stream or group vanished (deleted, Redis
        restarted), create them again and retry once."""
        await self.ensure_group()
        try:
            return await command()
        except ResponseError as exc:
            if "NOGROUP" not in str(exc) and "UNBLOCKED" not in str(exc):
                raise
        self._group_ready = False
        await self.ensure_group()
        return await command()

    async def touch(self, consumer: str, deliveries: Sequence[Delivery]) -> None:
        """XCLAIM them again for the consumer that holds them: resets their idle time."""
        if deliveries:
            ids: list[int | bytes | str | memoryview] = [d.id for d in deliveries]
            await self.redis.xclaim(self.stream, GROUP, consumer, 0, ids, justid=True)

    async def ack(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        ids = [delivery.id for delivery in deliveries]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, GROUP, *ids)
            pipe.xdel(self.stream, *ids)
            await pipe.execute()

    async def backlog(self) -> int:
        return int(await self.redis.xlen(self.stream))

    async def wait_empty(self, seconds: float) -> None:
        await wait_until_empty(self, seconds, f"click stream {self.stream}")


async def wait_until_empty(transport: ClickTransport, seconds: float, name: str) -> None:
    """Poll `transport.backlog()` until it is 0; TimeoutError after `seconds`."""
    deadline = time.monotonic() + seconds
    while await transport.backlog():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{name} still holds click batches")
        await asyncio.sleep(0.01)


def _delivery(entry_id: bytes | str, fields: dict) -> Delivery:
    key = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    raw = fields.get(b"b", fields.get("b", b"[]"))
    return Delivery(key, decode_batch(raw))
