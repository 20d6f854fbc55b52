"""The crash spool (analytics/spool.py): the clicks a process killed outright had not sent
are sent by another, with their own event ids, and only those."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
from sqlalchemy import select

from shorturl.analytics.events import ClickBatch, ClickEvent, decode_batch
from shorturl.analytics.models import Click
from shorturl.analytics.spool import ClickSpool, orphaned_spools
from shorturl.analytics.tracker import ClickTracker
from shorturl.net.client_ip import ClientIpResolver
from shorturl.runtime import Runtime

VICTIM = Path(__file__).with_name("spool_victim.py")


def killed_process(directory: Path, link_id: int, sent: int, unsent: int) -> str:
    """Run a tracker that records `sent + unsent` clicks, has the first `sent` accepted, and is
    SIGKILLed; its event id prefix."""
    done = subprocess.run(
        [sys.executable, str(VICTIM), str(directory), str(link_id), str(sent), str(unsent)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == -9, done.stderr
    return done.stdout.strip()


def _names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


class Collected:
    def __init__(self) -> None:
        self.events: list[ClickEvent] = []

    async def publish(self, batch: ClickBatch) -> None:
        self.events += decode_batch(batch.encode())  # as the worker reads it off the wire


def tracker(directory: Path, collected: Collected) -> ClickTracker:
    return ClickTracker(
        collected.publish, ClientIpResolver(), spool_directory=directory, spool_size=1 << 20
    )


async def test_a_killed_process_unsent_clicks_are_sent_by_another_with_their_ids(
    tmp_path: Path,
) -> None:
    prefix = killed_process(tmp_path, 42, sent=30, unsent=20)
    sent = decode_batch((tmp_path / "sent.json").read_bytes())
    assert [event.event_id for event in sent] == [f"{prefix}{n:x}" for n in range(1, 31)]

    collected = Collected()
    survivor = tracker(tmp_path, collected)
    assert await survivor.adopt() == 20
    events = collected.events
    # the 20 it had not sent, and none of the 30 it had: no click twice, none lost
    assert [event.event_id for event in events] == [f"{prefix}{n:x}" for n in range(31, 51)]
    assert {event.link_id for event in events} == {42}
    first = events[0]
    assert (first.method, first.ip, first.user_agent, first.referrer) == (
        "GET",
        "203.0.113.9",
        "Victim/30",
        "https://ref/",
    )
    assert [event.query for event in events[:2]] == [None, "utm_source=victim"]
    assert _names(tmp_path) == ["sent.json"]  # the spool is gone
    assert await survivor.adopt() == 0


async def test_a_living_process_spool_is_left_alone(tmp_path: Path) -> None:
    living = tracker(tmp_path, Collected())
    await living.start()
    try:
        living.record({"method": "GET", "headers": [], "client": ("198.51.100.1", 1)}, 5)
        other = Collected()
        assert await tracker(tmp_path, other).adopt() == 0
        assert other.events == []
        assert living._spool is not None and living._spool.path.exists()
    finally:
        await living.close()
    assert _names(tmp_path) == []  # a graceful stop that sent everything removes it


async def test_a_process_stopping_with_clicks_unsent_leaves_them_to_another(
    tmp_path: Path,
) -> None:
    async def refused(_batch: ClickBatch) -> None:
        raise ConnectionError("transport away")

    stopping = ClickTracker(
        refused, ClientIpResolver(), spool_directory=tmp_path, spool_size=1 << 20
    )
    await stopping.start()
    for port in range(3):
        stopping.record({"method": "GET", "headers": [], "client": ("198.51.100.1", port)}, 9)
    await stopping.close()
    collected = Collected()
    assert await tracker(tmp_path, collected).adopt() == 3
    assert [event.link_id for event in collected.events] == [9, 9, 9]


def _clicks(spool_path: Path) -> list[int]:
    """The numbers of the clicks an orphaned spool gives (the event ids are `p` + hex)."""
    (orphaned,) = orphaned_spools(spool_path.parent)
    batch = orphaned.batch()
    orphaned.release()
    return [int(event.event_id[1:], 16) for event in batch.events()]


def test_the_ring_goes_round_many_times_and_keeps_only_what_is_unsent(tmp_path: Path) -> None:
    spool = ClickSpool(tmp_path, "p", 4096)
    click = (3, 1.5, "GET", "192.0.2.1", "UA", None, None, 0, None, None)
    for number in range(1, 1001):  # ~50 bytes a record: about a dozen laps
        spool.write(number, click)
        if number % 7 == 0:
            spool.sent(spool.head, number + 1)
    assert spool.unspooled == 0
    spool.close(everything_sent=False)  # as a killed process leaves it
    assert _clicks(spool.path) == list(range(995, 1001))  # 994 was the last one sent


def test_a_full_ring_keeps_what_fits_and_counts_the_rest(tmp_path: Path) -> None:
    spool = ClickSpool(tmp_path, "p", 1024)
    click = (3, 1.5, "GET", "192.0.2.1", "UA", None, None, 0, None, None)
    for number in range(1, 101):
        spool.write(number, click)
    kept = 100 - spool.unspooled
    assert 0 < kept < 100
    spool.close(everything_sent=False)
    assert _clicks(spool.path) == list(range(1, kept + 1))


def test_a_record_torn_by_the_kill_ends_what_is_read(tmp_path: Path) -> None:
    spool = ClickSpool(tmp_path, "p", 4096)
    third = 0
    for number in range(1, 4):
        third = spool.head
        spool.write(number, (3, 1.5, "GET", "192.0.2.1", f"UA{number}", None, None, 0, None, None))
    spool.close(everything_sent=False)
    body = bytearray(spool.path.read_bytes())
    body[128 + third + 16 + 3] ^= 0xFF  # a byte of the last record's values, as if half written
    spool.path.write_bytes(bytes(body))
    assert _clicks(spool.path) == [1, 2]


async def test_a_killed_web_process_clicks_are_stored(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Both modes: the app's tracker sends what a killed process left in the shared spool
    directory, and the worker stores those clicks, with the dead process's ids."""
    created = await client.post("/api/v1/urls", json={"long_url": "https://example.com/spool"})
    code = created.json()["data"]["short_code"]
    directory = runtime.settings.click_spool_directory
    assert directory is not None
    tracker = runtime.clicks.tracker
    assert tracker is not None and tracker._spool is not None
    assert tracker._spool.path.parent == directory
    link = await runtime.resolver.resolve(code)
    assert link is not None
    prefix = killed_process(directory, link.id, sent=0, unsent=25)

    await tracker.adopt()  # or the tracker's own look, every ADOPT_EVERY seconds, did
    await runtime.clicks.drain()
    async with runtime.database.sessionmaker() as session:
        stored = await session.scalars(select(Click.event_id).where(Click.link_id == link.id))
        assert sorted(stored) == sorted(f"{prefix}{n:x}" for n in range(1, 26))
    details = (await client.get(f"/api/v1/urls/{code}")).json()["data"]
    assert details["click_count"] == 25
    assert [name for name in _names(directory) if name.startswith(prefix)] == []


def test_a_file_left_half_made_is_removed_once_old(tmp_path: Path) -> None:
    """A process that died between creating its file and naming it leaves `….making`."""
    making = tmp_path / "dead.making"
    making.write_bytes(b"")
    assert orphaned_spools(tmp_path) == []
    assert making.exists()  # it may be one being made now
    os.utime(making, (time.time() - 120, time.time() - 120))
    assert orphaned_spools(tmp_path) == []
    assert not making.exists()


async def test_a_stop_while_sending_leaves_the_dead_process_clicks_for_another(
    tmp_path: Path,
) -> None:
    killed_process(tmp_path, 7, sent=0, unsent=4)
    hanging = asyncio.Event()

    async def never(_batch: ClickBatch) -> None:
        hanging.set()
        await asyncio.Event().wait()

    stopping = ClickTracker(never, ClientIpResolver(), spool_directory=tmp_path, spool_size=1 << 20)
    adopting = asyncio.create_task(stopping.adopt())
    await asyncio.wait_for(hanging.wait(), 10)
    adopting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await adopting
    collected = Collected()
    assert await tracker(tmp_path, collected).adopt() == 4  # its lock was let go


async def test_an_adoption_called_while_another_sends_returns_once_that_one_has_sent(
    tmp_path: Path,
) -> None:
    """The background look may have taken a spool when `adopt` is called: the call waits for
    it, so what was orphaned before the call is with the transport when it returns."""
    killed_process(tmp_path, 7, sent=0, unsent=4)
    sending, let_go = asyncio.Event(), asyncio.Event()
    collected = Collected()

    async def slow(batch: ClickBatch) -> None:
        sending.set()
        await let_go.wait()
        await collected.publish(batch)

    survivor = ClickTracker(slow, ClientIpResolver(), spool_directory=tmp_path, spool_size=1 << 20)
    first = asyncio.create_task(survivor.adopt())
    await asyncio.wait_for(sending.wait(), 10)
    second = asyncio.create_task(survivor.adopt())
    await asyncio.sleep(0.05)
    assert not second.done()  # it waits for the one sending
    let_go.set()
    assert await asyncio.wait_for(second, 10) == 0  # nothing left for it
    assert len(collected.events) == 4
    assert await first == 4


def test_a_full_ring_that_must_go_round_overwrites_nothing_unsent(tmp_path: Path) -> None:
    """The "go round" mark at a lap's end must not land on the oldest unsent record."""
    spool = ClickSpool(tmp_path, "p", 128 + 896)  # a lap of 896 bytes

    def click(record_length: int) -> tuple[object, ...]:
        empty = len(orjson.dumps((3, 1.5, "GET", "192.0.2.1", "", None, None, 0, None, None)))
        agent = "A" * (record_length - 16 - empty)
        return (3, 1.5, "GET", "192.0.2.1", agent, None, None, 0, None, None)

    spool.write(1, click(830))  # 0-830
    spool.sent(spool.head, 2)  # sent: the oldest unsent record starts at 830
    spool.write(2, click(60))  # 830-890
    spool.write(3, click(70))  # no room before the end (6 bytes): 0-70 of the next lap
    spool.write(4, click(754))  # 70-824
    assert spool.unspooled == 0
    spool.write(5, click(100))  # no room before the end (72), and the ring is full
    assert spool.unspooled == 1
    spool.close(everything_sent=False)
    assert _clicks(spool.path) == [2, 3, 4]
