"""The live feeds (Redis stream, SQLite table, memory) and one process's hub over them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from shorturl.live.events import EventId, LiveClick
from shorturl.live.feeds import LiveFeed, MemoryFeed, RedisFeed, SqliteFeed
from shorturl.live.hub import LiveHub
from tests.conftest import new_namespace


def click(link_id: int, owner_id: int | None = 1, n: int = 0) -> dict[str, Any]:
    return LiveClick(
        link_id, owner_id, f"code{link_id}", f"2026-12-04T10:00:{n % 60:02d}Z",
        "DE", "mobile", "Safari", "iOS", "t.co", "human",
    ).to_json()  # fmt: skip


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def feed(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[LiveFeed, LiveFeed]]:
    """(publisher's feed, reader's feed): two handles, as a worker and a web process have."""
    if request.param == "memory":
        shared = MemoryFeed(history=5)
        yield shared, shared
        return
    if request.param == "sqlite":
        path = str(tmp_path / "inbox")
        writer, reader = SqliteFeed(path, history=5), SqliteFeed(path, history=5, poll=0.02)
        yield writer, reader
        await writer.close()
        await reader.close()
        return
    redis = Redis.from_url(request.getfixturevalue("redis_url"))
    key = f"{new_namespace()}:live-clicks"
    yield RedisFeed(redis, key, history=5), RedisFeed(redis, key, history=5)
    await redis.delete(key)
    await redis.aclose()


async def test_entries_are_read_after_and_from_an_id_and_history_is_capped(
    feed: tuple[LiveFeed, LiveFeed],
) -> None:
    writer, reader = feed
    start = await reader.tail()
    assert await reader.read_after(start, 10, 0.05) == []
    for n in range(8):
        await writer.publish([click(1, n=n), click(2, n=n)])
    entries = await reader.read_after(start, 100, 0.5)
    # capped near `history` (Redis trims approximately, whole nodes at a time)
    assert 5 <= len(entries) <= 8
    assert [clicks[0]["time"][-3:-1] for _, clicks in entries][-1] == "07"
    assert all(len(clicks) == 2 for _, clicks in entries)
    third, fourth = entries[-3][0], entries[-2][0]
    assert [entry for entry, _ in await reader.read_after(third, 10, 0)] == [
        fourth,
        entries[-1][0],
    ]
    assert [entry for entry, _ in await reader.read_from(fourth, 10)] == [fourth, entries[-1][0]]
    assert await reader.tail() == entries[-1][0]


async def test_a_waiting_reader_wakes_up_when_an_entry_is_published(
    feed: tuple[LiveFeed, LiveFeed],
) -> None:
    writer, reader = feed
    start = await reader.tail()
    waiting = asyncio.create_task(reader.read_after(start, 10, 3.0))
    await asyncio.sleep(0.1)
    await writer.publish([click(7)])
    entries = await asyncio.wait_for(waiting, 2.0)
    assert [clicks for _, clicks in entries] == [[click(7)]]


async def test_the_hub_filters_resumes_and_drops_for_a_slow_reader() -> None:
    feed = MemoryFeed()
    hub = LiveHub(feed, max_queued=3)
    try:
        async with (
            hub.subscribe(lambda c: c.link_id == 1) as slow,
            hub.subscribe(lambda c: c.owner_id == 9) as other,
        ):
            await feed.publish([click(1, n=n) for n in range(5)] + [click(2, owner_id=9)])
            await asyncio.sleep(0.05)  # the hub's reader fans the entry out
            queued = [slow.queue.get_nowait() for _ in range(slow.queue.qsize())]
            assert [str(event_id) for event_id, _ in queued] == ["1:0", "1:1", "1:2"]
            assert (slow.dropped, slow.unreported, hub.dropped) == (2, 2, 2)
            assert [c.code for _, c in [other.queue.get_nowait()]] == ["code2"]
            assert other.dropped == 0
        assert hub.listeners == 0
    finally:
        await hub.close()
    # another process's hub, resuming after 1:1: what is kept after it, in order, each once
    hub = LiveHub(feed)
    try:
        async with hub.subscribe(lambda c: c.link_id == 1, EventId.parse("1:1")) as resumed:
            await feed.publish([click(1, n=9)])
            await asyncio.sleep(0.05)
            replayed = [resumed.queue.get_nowait() for _ in range(resumed.queue.qsize())]
        assert [str(event_id) for event_id, _ in replayed] == ["1:2", "1:3", "1:4", "2:0"]
    finally:
        await hub.close()


async def test_closing_the_hub_ends_every_subscription() -> None:
    hub = LiveHub(MemoryFeed())
    async with hub.subscribe(lambda c: True) as subscription:
        await hub.close()
        assert await asyncio.wait_for(subscription.queue.get(), 1) is None
    async with hub.subscribe(lambda c: True) as late:  # after the close: ends at once
        assert late.queue.get_nowait() is None
