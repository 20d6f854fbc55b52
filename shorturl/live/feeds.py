"""Where the worker publishes live clicks and web processes read them: a capped Redis stream
(scaled), a capped table in the click inbox's SQLite file (embedded, whose worker is a process
of its own), or process memory (when the worker can only run in the web process).

Each feed keeps the last `history` entries (one entry per stored batch, its clicks in order),
so a client that reconnects with `Last-Event-ID` gets what it missed while that is still kept.
Entry ids only grow: a Redis stream id, an AUTOINCREMENT row id, a counter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any, Final, Protocol

from redis.asyncio import Redis

from shorturl.storage.db import sqlite_pragmas

__all__ = ["Entry", "LiveFeed", "MemoryFeed", "RedisFeed", "SqliteFeed"]

HISTORY: Final = 10_000  # entries (stored batches) kept for resuming
Entry = tuple[str, list[dict[str, Any]]]  # (entry id, clicks)


class LiveFeed(Protocol):
    async def publish(self, clicks: Sequence[dict[str, Any]]) -> None:
        """Append one entry holding these clicks."""
        ...

    async def tail(self) -> str:
        """The id of the newest entry (a start for `read_after`), a zero id when empty."""
        ...

    async def read_after(self, entry: str, count: int, block: float) -> list[Entry]:
        """Up to `count` entries after `entry`, oldest first, waiting up to `block` seconds."""
        ...

    async def read_from(self, entry: str, count: int) -> list[Entry]:
        """Up to `count` kept entries from `entry` on (itself included), oldest first."""
        ...

    async def close(self) -> None: ...


class RedisFeed:
    """A stream capped near `history` entries (MAXLEN ~); every web process reads it once
    (XREAD) for all its clients, so Redis sees one reader a process, not one a client."""

    def __init__(self, redis: Redis, key: str, *, history: int = HISTORY) -> None:
        self.redis = redis
        self.key = key
        self.history = history

    async def publish(self, clicks: Sequence[dict[str, Any]]) -> None:
        await self.redis.xadd(
            self.key, {"c": json.dumps(list(clicks))}, maxlen=self.history, approximate=True
        )

    async def tail(self) -> str:
        entries: Any = await self.redis.xrevrange(self.key, count=1)
        return _text(entries[0][0]) if entries else "0-0"

    async def read_after(self, entry: str, count: int, block: float) -> list[Entry]:
        reply: Any = await self.redis.xread(
            {self.key: entry}, count=count, block=max(int(block * 1000), 1)
        )
        return [_decoded(item) for _, items in reply or () for item in items]

    async def read_from(self, entry: str, count: int) -> list[Entry]:
        items: Any = await self.redis.xrange(self.key, entry, count=count)
        return [_decoded(item) for item in items or ()]

    async def close(self) -> None:
        return None  # the runtime owns the client


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decoded(item: tuple[Any, dict[Any, Any]]) -> Entry:
    entry, fields = item
    raw = fields.get(b"c", fields.get("c", b"[]"))
    return _text(entry), json.loads(raw)


class SqliteFeed:
    """A table `live_clicks` in the click inbox's file, shared by every process of one
    embedded server (the worker process writes, the web processes poll every `poll` s while
    someone listens). Plain `sqlite3` in a thread: a few statements, no engine needed."""

    def __init__(self, path: str, *, history: int = HISTORY, poll: float = 0.1) -> None:
        self.path = path
        self.history = history
        self.poll = poll
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one statement at a time on the connection

    def _run(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._connection is None:
                connection = sqlite3.connect(
                    self.path, timeout=10, isolation_level=None, check_same_thread=False
                )
                sqlite_pragmas(connection)
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS live_clicks"
                    " (id INTEGER PRIMARY KEY AUTOINCREMENT, clicks TEXT NOT NULL)"
                )
                self._connection = connection
            return self._connection.execute(sql, parameters).fetchall()

    async def publish(self, clicks: Sequence[dict[str, Any]]) -> None:
        await asyncio.to_thread(self._insert, json.dumps(list(clicks)))

    def _insert(self, raw: str) -> None:
        rows = self._run("INSERT INTO live_clicks (clicks) VALUES (?) RETURNING id", (raw,))
        self._run("DELETE FROM live_clicks WHERE id <= ?", (rows[0][0] - self.history,))

    async def tail(self) -> str:
        rows = await asyncio.to_thread(self._run, "SELECT max(id) FROM live_clicks")
        return str(rows[0][0] or 0)

    async def read_after(self, entry: str, count: int, block: float) -> list[Entry]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + block
        while True:
            entries = await self._select("id > ?", entry, count)
            left = deadline - loop.time()
            if entries or left <= 0:
                return entries
            await asyncio.sleep(min(self.poll, left))

    async def read_from(self, entry: str, count: int) -> list[Entry]:
        return await self._select("id >= ?", entry, count)

    async def _select(self, condition: str, entry: str, count: int) -> list[Entry]:
        rows = await asyncio.to_thread(
            self._run,
            f"SELECT id, clicks FROM live_clicks WHERE {condition} ORDER BY id LIMIT ?",
            (int(entry.partition("-")[0]), count),
        )
        return [(str(row_id), json.loads(raw)) for row_id, raw in rows]

    async def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class MemoryFeed:
    """The last `history` entries in this process (its worker runs here: nobody else can)."""

    def __init__(self, *, history: int = HISTORY) -> None:
        self._entries: deque[tuple[int, list[dict[str, Any]]]] = deque(maxlen=history)
        self._last = 0
        self._arrived = asyncio.Event()

    async def publish(self, clicks: Sequence[dict[str, Any]]) -> None:
        self._last += 1
        self._entries.append((self._last, list(clicks)))
        self._arrived.set()
        self._arrived = asyncio.Event()  # those waiting woke up; the next wait is for the next

    async def tail(self) -> str:
        return str(self._last)

    async def read_after(self, entry: str, count: int, block: float) -> list[Entry]:
        after = int(entry.partition("-")[0])
        if self._last <= after and block > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), block)
        return self._select(lambda number: number > after, count)

    async def read_from(self, entry: str, count: int) -> list[Entry]:
        start = int(entry.partition("-")[0])
        return self._select(lambda number: number >= start, count)

    def _select(self, wanted: Any, count: int) -> list[Entry]:
        found = [(str(number), clicks) for number, clicks in self._entries if wanted(number)]
        return found[:count]

    async def close(self) -> None:
        return None
