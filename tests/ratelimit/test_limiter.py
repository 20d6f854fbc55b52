"""The moving-window limiter on its own: counts, peeks, clears, and fails open."""

from __future__ import annotations

import logging

import pytest
from redis.asyncio import Redis

from shorturl.ratelimit.limiter import RateLimiter


async def test_a_moving_window_in_memory() -> None:
    limiter = RateLimiter.create(None, "unused")
    states = [await limiter.hit("test", "ip:1", 3, 60) for _ in range(4)]
    assert [state.allowed for state in states] == [True, True, True, False]
    assert [state.remaining for state in states] == [2, 1, 0, 0]
    assert 1 <= states[-1].retry_after() <= 60
    assert not (await limiter.peek("test", "ip:1", 3, 60)).allowed
    assert (await limiter.peek("test", "ip:2", 3, 60)).remaining == 3
    await limiter.clear("test", "ip:1", 3, 60)
    assert (await limiter.hit("test", "ip:1", 3, 60)).remaining == 2


async def test_an_unreachable_redis_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = RateLimiter.create(dead, "t:rl")
    with caplog.at_level(logging.WARNING):
        states = [await limiter.hit("test", "ip:1", 1, 60) for _ in range(3)]
    assert all(state.allowed for state in states)
    assert caplog.text.count("rate limiter unavailable") == 1  # once, not per request
    await dead.aclose()
