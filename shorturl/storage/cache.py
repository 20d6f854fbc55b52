"""The code → link cache in front of the database.

Two tiers: every process keeps hot links in a small LRU with a short TTL (a Redis GET per
redirect would halve throughput); with Redis configured, a shared tier sits behind it and an
invalidation published on a channel evicts the code from every process's LRU at once.
Unknown codes are cached too (briefly), so a scan of random codes cannot hammer the database.

Redis is optional at run time: while it is unreachable (`Availability`) the shared tier is
skipped (a miss goes to the database), nothing local is dropped, and the invalidations that
could not be sent are sent once it is back; meanwhile an edit reaches the other processes
within `LOCAL_CACHE_TTL`, as embedded with several workers. An entry past its TTL stays in
the LRU until pushed out, so that a lookup that fails (database and Redis down) can still be
answered from it (`get_stale`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from typing import Any, Final

import orjson
from redis.asyncio import Redis

from shorturl.background import cancel_and_wait
from shorturl.links.routing import LinkRouting
from shorturl.storage.outage import Availability

__all__ = ["NOT_FOUND", "CachedLink", "LinkCache", "LocalLRU", "Missing"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CachedLink:
    """What the redirect needs to know about a link, and nothing more.

    A smart link (password, rules, variants, expired_redirect) carries them compiled in
    `routing`, built once here when the link enters the cache; a plain link has None."""

    id: int
    long_url: str
    status: str
    expires_at: float | None  # epoch seconds
    max_clicks: int | None
    password_hash: str | None = None
    rules: list[dict[str, Any]] | None = None
    variants: list[dict[str, Any]] | None = None
    expired_redirect: str | None = None
    routing: LinkRouting | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        routing = LinkRouting.compile(
            self.long_url,
            password_hash=self.password_hash,
            rules=self.rules,
            variants=self.variants,
            expired_redirect=self.expired_redirect,
        )
        object.__setattr__(self, "routing", routing)


class Missing:
    """Marker cached for a code that does not exist."""

    __slots__ = ()


NOT_FOUND: Final = Missing()
Entry = CachedLink | Missing
NOT_FOUND_TTL: Final = 30.0


class LocalLRU:
    """A bounded in-process LRU whose entries expire after `ttl` seconds."""

    def __init__(self, maxsize: int, ttl: float) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self._data: OrderedDict[str, tuple[float, Entry]] = OrderedDict()

    def get(self, code: str) -> Entry | None:
        item = self._data.get(code)
        if item is None:
            return None
        if item[0] < time.monotonic():
            return None  # kept for `get_stale` until fresher entries push it out
        self._data.move_to_end(code)
        return item[1]

    def get_stale(self, code: str) -> Entry | None:
        """The entry for `code` even past its TTL: for when the sources cannot be asked."""
        item = self._data.get(code)
        return None if item is None else item[1]

    def set(self, code: str, entry: Entry, ttl: float | None = None) -> None:
        if self.maxsize <= 0:
            return
        lifetime = self.ttl if ttl is None else min(ttl, self.ttl)
        self._data[code] = (time.monotonic() + lifetime, entry)
        self._data.move_to_end(code)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def discard(self, code: str) -> None:
        self._data.pop(code, None)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class LinkCache:
    """The cache the resolver reads: the local LRU, then (when configured) Redis.

    `get_local` is synchronous on purpose: the redirect's hit path never awaits.
    """

    def __init__(
        self,
        *,
        local_size: int,
        local_ttl: float,
        redis: Redis | None = None,
        namespace: str = "shorturl",
        redis_ttl: int = 3600,
        availability: Availability | None = None,
    ) -> None:
        self.local = LocalLRU(local_size, local_ttl)
        self.redis = redis
        self.availability = availability
        self._unsent_invalidations: set[str] = set()
        if availability is not None:
            availability.on_recovery.append(self._send_unsent_invalidations)
        self.redis_ttl = redis_ttl
        self._key_prefix = f"{namespace}:link:"
        self._channel = f"{namespace}:link-invalidations"
        self._listener: asyncio.Task[None] | None = None

    @property
    def backend(self) -> str:
        return "redis" if self.redis is not None else "memory"

    def get_local(self, code: str) -> Entry | None:
        return self.local.get(code)

    async def get_shared(self, code: str) -> Entry | None:
        """Look in Redis; fills the local LRU on a hit. None when absent or embedded."""
        if not self._redis_usable():
            return None
        try:
            raw = await self.redis.get(self._key_prefix + code)  # type: ignore[union-attr]
        except Exception as exc:
            self._redis_failed(exc)
            return None
        if raw is None:
            return None
        entry = _decode(raw)
        self.local.set(code, entry, NOT_FOUND_TTL if entry is NOT_FOUND else None)
        return entry

    async def put(self, code: str, entry: Entry) -> None:
        ttl = NOT_FOUND_TTL if entry is NOT_FOUND else None
        self.local.set(code, entry, ttl)
        if self._redis_usable():
            try:
                await self.redis.set(  # type: ignore[union-attr]
                    self._key_prefix + code,
                    _encode(entry),
                    ex=int(NOT_FOUND_TTL) if ttl else self.redis_ttl,
                )
            except Exception as exc:
                self._redis_failed(exc)

    async def invalidate(self, *codes: str) -> None:
        """Forget `codes` here, in Redis and (through pub/sub) in every other process."""
        for code in codes:
            self.local.discard(code)
        if self.redis is None or not codes:
            return
        if not self._redis_usable():
            self._unsent_invalidations.update(codes)
            return
        try:
            await self._send_invalidations(codes)
        except Exception as exc:
            self._unsent_invalidations.update(codes)
            self._redis_failed(exc)

    async def _send_invalidations(self, codes: tuple[str, ...] | list[str]) -> None:
        assert self.redis is not None
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.delete(*(self._key_prefix + code for code in codes))
            for code in codes:
                pipe.publish(self._channel, code)
            await pipe.execute()

    async def _send_unsent_invalidations(self) -> None:
        """Redis is back: the shared tier and the other processes forget what changed meanwhile."""
        codes, self._unsent_invalidations = list(self._unsent_invalidations), set()
        if codes:
            try:
                await self._send_invalidations(codes)
            except Exception:
                self._unsent_invalidations.update(codes)
                raise

    def _redis_usable(self) -> bool:
        return self.redis is not None and (self.availability is None or self.availability.available)

    def _redis_failed(self, exc: Exception) -> None:
        if self.availability is None:
            raise exc
        self.availability.failed(exc)

    async def start(self) -> None:
        """Subscribe to invalidations from other processes (Redis mode only); a Redis that is
        not there yet is subscribed to once it is."""
        if self.redis is not None and self._listener is None:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
            except Exception as exc:
                self._redis_failed(exc)
            self._listener = asyncio.create_task(self._listen(pubsub), name="cache-invalidations")

    async def close(self) -> None:
        if self._listener is not None:
            await cancel_and_wait(self._listener)
            self._listener = None

    async def _listen(self, pubsub) -> None:  # type: ignore[no-untyped-def]
        try:
            while True:
                try:
                    if not pubsub.subscribed:
                        await pubsub.subscribe(self._channel)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            data = message["data"]
                            self.local.discard(data.decode() if isinstance(data, bytes) else data)
                except Exception as exc:  # noqa: BLE001
                    # Lost the subscription. The local entries stay: they are what keeps the
                    # redirects answering while Redis is away, and their TTL bounds how long
                    # one can miss an invalidation. Subscribe again after a pause.
                    if self.availability is not None:
                        self.availability.failed(exc)
                    else:
                        log.warning("cache invalidation channel lost: %s", exc)
                    await asyncio.sleep(1)
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()


_STORED: Final = tuple(f.name for f in fields(CachedLink) if f.init)


def _encode(entry: Entry) -> bytes:
    if isinstance(entry, Missing):
        return b"-"
    return orjson.dumps({name: getattr(entry, name) for name in _STORED})


def _decode(raw: bytes | str) -> Entry:
    if raw in (b"-", "-"):
        return NOT_FOUND
    return CachedLink(**orjson.loads(raw))
