"""`ClickTracker`: the per-process click buffer between the redirect and the event transport.

The redirect calls `record` just before answering: it appends the click's values of the wire form
(`ClickBatch`: the link, the time, method, client address, and the three headers a report
needs, cut and decoded) to one bounded flat list, with no I/O and no await. A click is
numbered by its place in that list (a batch carries the number of its first click), so
`record` makes no object of its own but the time: no row tuple for the garbage collector to
count and walk, about 90 bytes held a click until the flush instead of 180. The values are
strings and numbers, no reference to the request's objects. All the per-click work is done
there, once: a flush only slices the list into batches and hands each to the transport in
one call (orjson writes the values as they are; one XADD a batch with Redis, one row in
the inbox embedded), so no Python code runs a second time for each click.
`record` runs on every redirect, so it is written for its instructions (counted with
callgrind in bench/tracker.py) and compiled by mypyc at `make install`
(scripts/build_native.py): typed as the servers make them, the headers (a browser sends a
dozen and more) are read in place and each name is compared with the three wanted ones,
lengths first, with no hashing and no call into the interpreter; a header value seen before
(most traffic comes from a few hundred user agents and languages) gives the text made the
first time, so the click shares it and nothing is sliced, decoded or allocated for it;
without trusted proxies the client is the peer, read off the scope without a call. The
source runs interpreted where it is not compiled, a browser's click costing nearly three
times the instructions.

A background task wakes when the buffer stops being empty, waits `flush_interval` (20 ms)
for more to arrive, then flushes. The XADD costs the same whatever it carries, so the
interval sets its share of a click under load.

What can be lost, stated: a graceful stop flushes everything (`close`). A process killed
outright loses nothing it recorded when it has a spool (analytics/spool.py): each click is
also copied into a memory-mapped file of the process's own, and another process sends what
a dead one left unsent, with the same event ids. Without one, a hard crash loses what is
buffered, at most one flush interval of clicks plus whatever waits for a transport that is
down. The buffer holds at most `max_buffered` events, and events past that are dropped and
counted (`dropped`) rather than letting memory grow while Redis is away.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

from shorturl.analytics.events import (
    MAX_LANGUAGE,
    MAX_QUERY,
    MAX_REFERRER,
    MAX_USER_AGENT,
    WIDTH,
    ClickBatch,
)
from shorturl.analytics.spool import ClickSpool, Orphaned, orphaned_spools
from shorturl.background import cancel_and_wait
from shorturl.net.client_ip import UNKNOWN_CLIENT, ClientIpResolver

__all__ = ["ClickTracker"]

log = logging.getLogger(__name__)

Publish = Callable[[ClickBatch], Awaitable[None]]

MAX_EVENTS_PER_BATCH: Final = 1000
# Distinct values of each header whose text is kept (a few hundred user agents and languages
# make most of a site's traffic); emptied when full, so odd values cannot grow it.
MAX_TEXTS: Final = 2048
_RETRY_PAUSE: Final = 0.5
ADOPT_EVERY: Final = 2.0  # seconds between looks for the spools of dead processes
_now = time.time


class ClickTracker:
    def __init__(
        self,
        publish: Publish,
        client_ip: ClientIpResolver,
        *,
        max_buffered: int = 100_000,
        flush_interval: float = 0.02,
        spool_directory: Path | None = None,
        spool_size: int = 0,
    ) -> None:
        self._publish = publish
        self._client_ip = client_ip
        self.flush_interval = flush_interval
        # the clicks recorded and not yet accepted by the transport, WIDTH values each
        self._values: list[Any] = []
        self._capacity = max_buffered * WIDTH
        self._peer_is_client = not client_ip.trusts_proxies
        # header value → its text (cut to its cap), shared by the clicks that carry it
        self._agents: dict[bytes, str] = {}
        self._referrers: dict[bytes, str] = {}
        self._languages: dict[bytes, str] = {}
        self._wakeup = asyncio.Event()
        self._lock = asyncio.Lock()
        # one adoption at a time: a call waits for the background look to finish, so the
        # clicks of every spool orphaned before it are sent once it returns
        self._adoption = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._adopting: asyncio.Task[None] | None = None
        # Event ids: a random per-process prefix and a number, unique without a syscall.
        self._id_prefix = secrets.token_hex(8)
        self._spool_directory = spool_directory if spool_size else None
        self._spool_size = spool_size
        self._spool: ClickSpool | None = None
        self._first_number = 1  # the number of the first click in `_values`
        # called before each flush: may record (the orphan-visit gate's count, orphans.py)
        self.before_flush: Callable[[], None] | None = None
        self.recorded = 0
        self.dropped = 0
        self.largest_flush = 0  # most events in one batch sent

    # the hot path

    def record(
        self,
        scope: dict[str, Any],
        link_id: int,
        use: int = 0,
        client_ip: str | None = None,
        destination: str | None = None,
        orphan: list[Any] | None = None,
    ) -> None:
        """Queue a click on `link_id` from this ASGI request. O(1); never awaits.

        `client_ip`: the request's client address when the caller has found it already;
        `destination`: where a smart link sent it (None: the link's long_url); `orphan`: see
        `record_orphan`."""
        values = self._values
        if len(values) >= self._capacity:
            self.dropped += 1
            return
        if not values:
            self._wakeup.set()
        user_agent = referrer = language = None
        try:
            # typed as every server here makes them, for the compiled loop to read the pairs
            # in place; three comparisons (a length check each, mostly) cost less than the
            # hash a set lookup needs, compiled (not interpreted: bench/tracker.py)
            headers: list[tuple[bytes, bytes]] = scope["headers"]
            for name, value in headers:
                if name == b"user-agent":
                    user_agent = self._agents.get(value) or _text(
                        self._agents, value, MAX_USER_AGENT
                    )
                elif name == b"referer":
                    referrer = self._referrers.get(value) or _text(
                        self._referrers, value, MAX_REFERRER
                    )
                elif name == b"accept-language":
                    language = self._languages.get(value) or _text(
                        self._languages, value, MAX_LANGUAGE
                    )
        except TypeError:  # another form ASGI allows (pairs as lists, a tuple of pairs): made so
            pairs = [(bytes(name), bytes(value)) for name, value in scope["headers"]]
            scope = {**scope, "headers": pairs}
            return self.record(scope, link_id, use, client_ip, destination, orphan)
        if client_ip is None:
            # ClientIpResolver.from_scope's rule for a resolver that trusts no proxy, inline:
            # the call is ~10% of a click's instructions (bench/tracker.py --instructions).
            if self._peer_is_client:
                try:
                    client_ip = scope["client"][0] or UNKNOWN_CLIENT
                except (KeyError, TypeError, IndexError):  # no peer (a Unix socket)
                    client_ip = UNKNOWN_CLIENT
            else:
                client_ip = self._client_ip.from_scope(scope)
        # Only a query string with UTM values is kept: the rest may hold anything (tokens).
        query = None
        raw_query = scope.get("query_string")
        if raw_query and b"utm_" in raw_query:
            query = raw_query[:MAX_QUERY].decode("latin-1")
        click = (
            link_id,
            _now(),
            scope["method"],
            client_ip,
            user_agent,
            referrer,
            language,
            use,
            query if orphan is None else [*orphan, query],  # `extra`
            destination,
        )
        values += click
        spool = self._spool
        if spool is not None:
            spool.write(self._first_number + len(values) // WIDTH - 1, click)

    def record_orphan(self, scope: dict[str, Any], orphan: list[Any]) -> None:
        """Queue an orphan visit (a request that matched no link, analytics/orphans.py):
        recorded as a click on link 0 whose `extra` is `orphan` and its query. Not the hot path."""
        self.record(scope, 0, orphan=orphan)

    # the background side

    async def start(self) -> None:
        if self._spool_directory is not None and self._spool is None:
            try:
                self._spool = ClickSpool(self._spool_directory, self._id_prefix, self._spool_size)
            except OSError as exc:
                log.warning("no click spool in %s (%s): a killed process loses its last clicks",
                            self._spool_directory, exc)  # fmt: skip
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="click-tracker")
        if self._spool is not None and self._adopting is None:
            self._adopting = asyncio.create_task(self._adopt_forever(), name="click-spools")

    async def close(self) -> None:
        """Stop the background task and send what is buffered (graceful stop: nothing lost)."""
        for task in (self._adopting, self._task):
            if task is not None:
                await cancel_and_wait(task)
        self._task = self._adopting = None
        for _ in range(3):
            if await self.flush():
                break
            await asyncio.sleep(_RETRY_PAUSE)
        if self._values:
            log.error("shutting down with %d click events unsent", len(self._values) // WIDTH)
        if self._spool is not None:  # kept, for another process to send, if anything is left
            self._spool.close(everything_sent=not self._values)
            self._spool = None

    async def adopt(self) -> int:
        """Send the clicks that dead processes left in their spools; how many."""
        if self._spool_directory is None:
            return 0
        async with self._adoption:
            return await self._adopt(self._spool_directory)

    async def _adopt(self, directory: Path) -> int:
        sent = 0
        found = await asyncio.to_thread(orphaned_spools, directory)
        try:
            while found:
                sent += await self._send_orphaned(found.pop(0))
        finally:  # cancelled (a stop): the files not sent yet are left for another
            for orphaned in found:
                orphaned.release()
        return sent

    async def _send_orphaned(self, orphaned: Orphaned) -> int:
        sent = False
        try:
            batch = await asyncio.to_thread(orphaned.batch)
            if len(batch):
                await self._publish(batch)
            sent = True
        except Exception as exc:  # noqa: BLE001 - kept, and tried again
            log.warning("clicks of %s not sent yet: %s", orphaned.path.name, exc)
            return 0
        finally:  # a stop (cancelled) in the middle: not sent
            if sent:
                orphaned.done()
            else:
                orphaned.release()
        if len(batch):
            log.warning("sent %d clicks a stopped process left in %s", len(batch),
                        orphaned.path.name)  # fmt: skip
        return len(batch)

    async def _adopt_forever(self) -> None:
        while True:
            try:
                await self.adopt()
            except Exception:  # pragma: no cover - adopt handles the transport's errors
                log.exception("sending the clicks of stopped processes failed")
            await asyncio.sleep(ADOPT_EVERY)

    async def flush(self) -> bool:
        """Send what is buffered now. False when the transport refused (kept for later).

        Clicks recorded while a batch is on its way join the buffer's end, for the next flush."""
        if self.before_flush is not None:
            self.before_flush()
        async with self._lock:
            values = self._values
            left = len(values) // WIDTH
            spool = self._spool
            head = spool.head if spool is not None else 0  # where the clicks in `left` end
            while left:
                count = min(left, MAX_EVENTS_PER_BATCH)
                end = count * WIDTH
                batch = ClickBatch(self._id_prefix, self._first_number, values[:end])
                try:
                    await self._publish(batch)
                except Exception as exc:  # noqa: BLE001 - kept and retried, never lost here
                    waiting = len(values) // WIDTH
                    log.warning("click events not sent (%d waiting): %s", waiting, exc)
                    return False
                # only now: a refused batch stays first in line, and keeps its numbers (ids)
                del values[:end]
                self._first_number += count
                left -= count
                self.recorded += count
                self.largest_flush = max(self.largest_flush, count)
            if spool is not None:
                spool.sent(head, self._first_number)
            return True

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            await asyncio.sleep(self.flush_interval)
            self._wakeup.clear()
            try:
                sent = await self.flush()
            except Exception:  # pragma: no cover - flush handles transport errors itself
                log.exception("click flush failed")
                sent = False
            if not sent:
                await asyncio.sleep(_RETRY_PAUSE)
            if self._values:  # refused, or recorded during the flush: `record` saw no empty buffer
                self._wakeup.set()


def _text(texts: dict[bytes, str], value: bytes, cap: int) -> str:
    """A header value as text, cut to `cap` characters, and kept in `texts` for the next
    request that sends the same bytes (unless longer than the cap: the keys stay small)."""
    text = value[:cap].decode("latin-1")
    if len(value) <= cap:
        if len(texts) >= MAX_TEXTS:
            texts.clear()
        texts[value] = text
    return text
