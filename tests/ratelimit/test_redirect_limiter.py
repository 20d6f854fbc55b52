"""The per-IP redirect limit: exact in one process, shared through Redis in batches."""

from __future__ import annotations

import logging
import secrets

import pytest
from redis.asyncio import Redis

from shorturl.ratelimit.redirects import RedirectLimiter

HOUR = 3600


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def allowed(limiter: RedirectLimiter, ip: str, times: int) -> int:
    return sum(limiter.allow(ip) for _ in range(times))


async def test_one_process_lets_exactly_the_limit_through() -> None:
    clock = Clock(100 * HOUR)  # the start of a slot
    limiter = RedirectLimiter(5, HOUR, clock=clock)
    assert allowed(limiter, "203.0.113.1", 8) == 5
    assert allowed(limiter, "203.0.113.2", 8) == 5  # another IP has its own count
    await limiter.flush()  # counts survive a flush
    assert allowed(limiter, "203.0.113.1", 3) == 0
    assert limiter.retry_after("203.0.113.1") > 0


async def test_the_window_slides() -> None:
    """A refused request looks again at the window: no flush is needed to be let back in."""
    clock = Clock(100 * HOUR)
    limiter = RedirectLimiter(5, HOUR, clock=clock)
    assert allowed(limiter, "ip", 5) == 5
    await limiter.flush()
    clock.now += 1.5 * HOUR  # half-way through the next slot: 5 × 0.5 = 2.5 still count
    assert allowed(limiter, "ip", 10) == 3
    await limiter.flush()  # the background loop does this every 0.5 s
    clock.now += HOUR  # the previous slot (3 hits) now weighs half: 1.5
    assert allowed(limiter, "ip", 10) == 4
    await limiter.flush()
    clock.now += 2 * HOUR
    assert allowed(limiter, "ip", 10) == 5


async def test_retry_after_is_when_a_redirect_frees_up() -> None:
    clock = Clock(100 * HOUR + 600)  # ten minutes into a slot
    limiter = RedirectLimiter(4, HOUR, clock=clock)
    assert allowed(limiter, "ip", 4) == 4
    await limiter.flush()
    wait = limiter.retry_after("ip")
    assert wait == 3000  # the rest of this slot: then the 4 hits weigh 4 × 1.0 - ε
    clock.now += wait + 1
    assert allowed(limiter, "ip", 1) == 1


async def test_memory_is_bounded() -> None:
    limiter = RedirectLimiter(5, HOUR, max_tracked=10, clock=Clock(100 * HOUR))
    assert allowed(limiter, "a", 1) == 1
    for i in range(30):
        assert limiter.allow(f"198.51.100.{i}")  # past the cap: let through, uncounted
    await limiter.flush()
    assert len(limiter._known) <= 10


@pytest.fixture
async def shared_redis(redis_url: str):  # type: ignore[no-untyped-def]
    redis = Redis.from_url(redis_url)
    prefix = "t" + secrets.token_hex(4) + ":rl:redirect"
    yield redis, prefix
    keys = [key async for key in redis.scan_iter(match=prefix + "*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_processes_share_counts_through_redis(shared_redis) -> None:  # type: ignore[no-untyped-def]
    redis, prefix = shared_redis
    clock = Clock(100 * HOUR)
    first = RedirectLimiter(10, HOUR, redis=redis, key_prefix=prefix, clock=clock)
    second = RedirectLimiter(10, HOUR, redis=redis, key_prefix=prefix, clock=clock)
    assert allowed(first, "ip", 7) == 7
    await first.flush()
    # The second process has not heard of this IP yet: it lets hits through until its flush…
    assert allowed(second, "ip", 4) == 4
    await second.flush()
    # …and then knows every process's count (11) and refuses, as does the first after its own.
    assert allowed(second, "ip", 5) == 0
    assert allowed(first, "ip", 1) == 1  # one more: the first still believes 7
    await first.flush()
    assert allowed(first, "ip", 5) == 0
    assert int(await redis.get(f"{prefix}:100:ip")) == 12  # limit 10, 2 over: one batch each
    # A third process starting now refuses after its first flush.
    third = RedirectLimiter(10, HOUR, redis=redis, key_prefix=prefix, clock=clock)
    assert third.allow("ip")
    await third.flush()
    assert not third.allow("ip")


async def test_without_redis_it_keeps_counting_locally(caplog: pytest.LogCaptureFixture) -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = RedirectLimiter(3, HOUR, redis=dead, key_prefix="x", clock=Clock(100 * HOUR))
    assert allowed(limiter, "ip", 3) == 3
    with caplog.at_level(logging.WARNING):
        await limiter.flush()
    assert "counting locally" in caplog.text
    assert allowed(limiter, "ip", 3) == 0
    await dead.aclose()


async def test_the_flush_task_runs_and_stops() -> None:
    limiter = RedirectLimiter(3, HOUR, flush_interval=0.01)
    await limiter.start()
    assert allowed(limiter, "ip", 2) == 2
    await limiter.close()
    assert limiter._pending == {}
    assert allowed(limiter, "ip", 3) == 1
