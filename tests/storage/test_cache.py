"""The link cache: LRU bounds, TTL, and invalidation across processes through Redis."""

from __future__ import annotations

import asyncio
import time

import pytest

from shorturl.storage.cache import NOT_FOUND, CachedLink, LinkCache, LocalLRU

LINK = CachedLink(
    id=1, long_url="https://example.com/", status="active", expires_at=None, max_clicks=None
)


def test_lru_evicts_the_least_recently_used() -> None:
    lru = LocalLRU(maxsize=2, ttl=60)
    lru.set("a", LINK)
    lru.set("b", LINK)
    assert lru.get("a") is LINK  # a is now most recent
    lru.set("c", LINK)
    assert lru.get("b") is None
    assert lru.get("a") is LINK and lru.get("c") is LINK
    assert len(lru) == 2


def test_lru_entries_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    lru = LocalLRU(maxsize=10, ttl=5)
    lru.set("a", LINK)
    lru.set("missing", NOT_FOUND, ttl=1)
    now[0] += 2
    assert lru.get("a") is LINK
    assert lru.get("missing") is None
    now[0] += 4
    assert lru.get("a") is None


async def test_invalidation_reaches_another_process_through_redis(redis_url: str) -> None:
    from redis.asyncio import Redis

    namespace = "tcache" + str(time.time_ns())
    first = LinkCache(
        local_size=10, local_ttl=60, redis=Redis.from_url(redis_url), namespace=namespace
    )
    second = LinkCache(
        local_size=10, local_ttl=60, redis=Redis.from_url(redis_url), namespace=namespace
    )
    await first.start()
    await second.start()
    try:
        await first.put("code", LINK)
        assert await second.get_shared("code") == LINK  # read from Redis, now in second's LRU
        assert second.get_local("code") == LINK
        await first.invalidate("code")
        for _ in range(100):
            if second.get_local("code") is None:
                break
            await asyncio.sleep(0.01)
        assert second.get_local("code") is None
        assert await second.get_shared("code") is None
    finally:
        for cache in (first, second):
            await cache.close()
            assert cache.redis is not None
            await cache.redis.aclose()
