"""Taking over a dead worker's batches: after `WORKER_RECLAIM_IDLE` without a heartbeat, never
while the worker holding them still touches them."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from shorturl.analytics.events import ClickBatch
from shorturl.config import Settings
from shorturl.worker.transports import RedisStreamTransport
from tests.conftest import Backend, new_namespace
from tests.worker.test_delivery import event


def test_a_killed_workers_batches_are_taken_over_within_ten_seconds_by_default() -> None:
    idle = Settings(_env_file=None).worker_reclaim_idle  # type: ignore[call-arg]
    # a batch idle for `idle` is found by the next reclaim check, made every idle / 4
    assert idle + idle / 4 <= 10


async def test_touched_batches_stay_with_their_worker_and_untouched_ones_move(
    scaled: Backend,
) -> None:
    assert scaled.redis_url is not None
    redis = Redis.from_url(scaled.redis_url)
    stream = f"{new_namespace()}:clicks"
    transport = RedisStreamTransport(redis, stream, reclaim_idle=0.6)
    try:
        await transport.publish(ClickBatch.of([event(1, 1), event(2, 1)]))
        held = await transport.receive("alive", 10, 0.1)
        assert len(held) == 1
        for _ in range(4):  # 1.2 s in all: twice the idle time, touched every 0.3 s
            await asyncio.sleep(0.3)
            await transport.touch("alive", held)
            assert await transport.reclaim("other", 10) == []
        await asyncio.sleep(0.8)  # "alive" died: no more touches
        taken = await transport.reclaim("other", 10)
        assert [delivery.id for delivery in taken] == [held[0].id]
        assert [e.event_id for e in taken[0].events] == ["test-1", "test-2"]  # same ids
    finally:
        await redis.delete(stream)
        await redis.aclose()
