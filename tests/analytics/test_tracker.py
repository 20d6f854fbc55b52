"""`ClickTracker`, the per-process buffer between the redirect and the transport: what it
reads off a request, its bound, and that a transport that refuses loses nothing.

Each test runs on the module as built (compiled by mypyc, `make install`) and on its source
run by the interpreter, as where it is not compiled: the two must behave the same."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from shorturl.analytics import tracker as built
from shorturl.analytics.events import (
    MAX_LANGUAGE,
    MAX_REFERRER,
    MAX_USER_AGENT,
    ClickBatch,
    ClickEvent,
    decode_batch,
)
from shorturl.analytics.tracker import MAX_TEXTS, ClickTracker, Publish
from shorturl.net.client_ip import ClientIpResolver

ROOT = Path(__file__).resolve().parents[2]
NewTracker = Callable[..., ClickTracker]


def interpreted() -> ModuleType:
    """tracker.py loaded from its source under a name of its own, whatever is built beside it."""
    path = ROOT / "shorturl" / "analytics" / "tracker.py"
    spec = importlib.util.spec_from_file_location("shorturl.analytics.tracker_source", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["compiled", "interpreted"])
def new_tracker(request: pytest.FixtureRequest) -> NewTracker:
    module = built if request.param == "compiled" else interpreted()

    def new(publish: Publish, *proxies: str, **options: Any) -> ClickTracker:
        tracker: ClickTracker = module.ClickTracker(publish, ClientIpResolver(proxies), **options)
        return tracker

    return new


def test_the_tracker_imported_is_compiled_from_the_current_source() -> None:
    assert built.__file__ is not None
    assert built.__file__.endswith(sysconfig.get_config_var("EXT_SUFFIX")), (
        "shorturl/analytics/tracker.py is not compiled: run `make install`"
    )
    check = [sys.executable, str(ROOT / "scripts" / "build_native.py"), "--check"]
    checked = subprocess.run(check, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + " (run `make install`)"


class Transport:
    """Takes published batches; refuses them while `down`."""

    def __init__(self) -> None:
        self.batches: list[list[ClickEvent]] = []
        self.down = False

    async def publish(self, batch: ClickBatch) -> None:
        if self.down:
            raise ConnectionError("transport away")
        events = batch.events()
        assert decode_batch(batch.encode()) == events  # as a worker reads it off Redis
        self.batches.append(events)

    @property
    def events(self) -> list[ClickEvent]:
        return [event for batch in self.batches for event in batch]


def scope(*headers: tuple[bytes, bytes], method: str = "GET") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "client": ("203.0.113.9", 51000),
        "headers": [(b"host", b"sho.rt"), *headers],
    }


async def test_headers_are_read_off_the_request_and_capped(new_tracker: NewTracker) -> None:
    transport = Transport()
    clicks = new_tracker(transport.publish)
    clicks.record(
        scope(
            (b"user-agent", b"A" * (MAX_USER_AGENT + 100)),
            (b"referer", b"https://t.co/" + b"r" * MAX_REFERRER),
            (b"accept-language", b"de-CH," + b"x" * MAX_LANGUAGE),
        ),
        7,
        use=3,
    )
    clicks.record(scope(method="HEAD"), 8)
    assert await clicks.flush()
    first, second = transport.events
    assert (first.link_id, first.method, first.ip, first.use) == (7, "GET", "203.0.113.9", 3)
    assert first.user_agent == "A" * MAX_USER_AGENT
    assert first.referrer is not None and len(first.referrer) == MAX_REFERRER
    assert first.referrer.startswith("https://t.co/rrr")
    assert first.language is not None and first.language.startswith("de-CH,")
    assert len(first.language) == MAX_LANGUAGE
    assert (second.method, second.user_agent, second.referrer, second.language) == (
        "HEAD",
        None,
        None,
        None,
    )
    assert first.event_id != second.event_id
    assert clicks.recorded == 2


async def test_headers_in_the_other_forms_asgi_allows_are_read_too(
    new_tracker: NewTracker,
) -> None:
    """Every server here sends a list of (bytes, bytes) tuples, the form the compiled loop
    reads in place; ASGI allows any iterable of pairs, and those clicks count the same."""
    transport = Transport()
    clicks = new_tracker(transport.publish)
    host, agent = (b"host", b"sho.rt"), (b"user-agent", b"Firefox/133.0")
    clicks.record({**scope(), "headers": [list(host), list(agent)]}, 1)
    clicks.record({**scope(), "headers": (host, agent)}, 2)
    clicks.record({**scope(), "headers": [host, agent]}, 3)
    assert await clicks.flush()
    agents = [(event.link_id, event.user_agent) for event in transport.events]
    assert agents == [(1, "Firefox/133.0"), (2, "Firefox/133.0"), (3, "Firefox/133.0")]
    assert (clicks.recorded, clicks.dropped) == (3, 0)


async def test_event_ids_are_unique_across_trackers(new_tracker: NewTracker) -> None:
    transport = Transport()
    one, other = new_tracker(transport.publish), new_tracker(transport.publish)
    for _ in range(100):
        one.record(scope(), 1)
        other.record(scope(), 1)
    assert await one.flush() and await other.flush()
    assert len({event.event_id for event in transport.events}) == 200


async def test_the_buffer_is_bounded_and_counts_what_it_drops(new_tracker: NewTracker) -> None:
    transport = Transport()
    clicks = new_tracker(transport.publish, max_buffered=3)
    for link in range(5):
        clicks.record(scope(), link)
    assert clicks.dropped == 2
    assert await clicks.flush()
    assert [event.link_id for event in transport.events] == [0, 1, 2]


async def test_a_refusing_transport_loses_and_duplicates_nothing(new_tracker: NewTracker) -> None:
    transport = Transport()
    clicks = new_tracker(transport.publish)
    transport.down = True
    for link in range(3):
        clicks.record(scope(), link)
    assert not await clicks.flush()  # kept for later
    clicks.record(scope(), 3)
    assert not await clicks.flush()
    assert transport.events == []
    transport.down = False
    assert await clicks.flush()
    assert [event.link_id for event in transport.events] == [0, 1, 2, 3]
    assert clicks.recorded == 4 and clicks.dropped == 0


async def test_a_batch_sent_again_keeps_its_ids(new_tracker: NewTracker) -> None:
    """A publish may reach Redis and still fail (its reply lost): the clicks sent again must
    carry the same ids, for the worker to store them once, and later clicks new ones."""
    transport, lost_replies = Transport(), 1
    publish = transport.publish

    async def publish_then_fail(batch: ClickBatch) -> None:
        nonlocal lost_replies
        await publish(batch)
        if lost_replies:
            lost_replies -= 1
            raise ConnectionError("reply lost")

    clicks = new_tracker(publish_then_fail)
    for link in range(3):
        clicks.record(scope(), link)
    assert not await clicks.flush()
    clicks.record(scope(), 3)
    assert await clicks.flush()
    clicks.record(scope(), 4)
    assert await clicks.flush()
    first, again, later = transport.batches
    assert [event.link_id for event in again] == [0, 1, 2, 3]
    assert [event.event_id for event in again[:3]] == [event.event_id for event in first]
    ids = [event.event_id for event in again + later]
    assert len(set(ids)) == 5


async def test_close_sends_what_is_buffered(new_tracker: NewTracker) -> None:
    transport = Transport()
    clicks = new_tracker(
        transport.publish, flush_interval=60
    )  # the background task would wait a minute
    await clicks.start()
    for link in range(5):
        clicks.record(scope(), link)
    await clicks.close()
    assert [event.link_id for event in transport.events] == [0, 1, 2, 3, 4]


class SwallowingTransport(Transport):
    """Its first publish carries on when cancelled, as a redis-py command does on Python 3.11
    when the cancellation meets the command's completion (`asyncio.wait_for`, gh-86296)."""

    def __init__(self) -> None:
        super().__init__()
        self.publishing = asyncio.Event()

    async def publish(self, batch: ClickBatch) -> None:
        if not self.publishing.is_set():
            self.publishing.set()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(60)
        await super().publish(batch)


async def test_close_ends_the_task_even_when_a_publish_swallows_the_cancellation(
    new_tracker: NewTracker,
) -> None:
    transport = SwallowingTransport()
    clicks = new_tracker(transport.publish, flush_interval=0)
    await clicks.start()
    clicks.record(scope(), 1)
    await asyncio.wait_for(transport.publishing.wait(), 5)
    clicks.record(scope(), 2)  # waits for the next flush
    closing = asyncio.create_task(clicks.close())
    done, _ = await asyncio.wait({closing}, timeout=10)  # one cancel: the task never ended
    assert closing in done
    assert [event.link_id for event in transport.events] == [1, 2]


async def test_large_buffers_go_out_in_bounded_batches(new_tracker: NewTracker) -> None:
    transport = Transport()
    clicks = new_tracker(transport.publish)
    for _ in range(2500):
        clicks.record(scope(), 1)
    assert await clicks.flush()
    assert [len(batch) for batch in transport.batches] == [1000, 1000, 500]
    assert clicks.largest_flush == 1000


async def test_headers_are_taken_when_recorded_and_empty_ones_kept(new_tracker: NewTracker) -> None:
    transport = Transport()
    clicks = new_tracker(transport.publish)
    request = scope((b"user-agent", b""), (b"referer", b"https://news.example/"))
    clicks.record(request, 1)
    request["headers"].clear()  # the server may reuse or drop the request's objects at once
    assert await clicks.flush()
    (event,) = transport.events
    assert (event.user_agent, event.referrer, event.language) == ("", "https://news.example/", None)


async def test_repeated_header_values_share_one_text_and_each_header_keeps_its_cap(
    new_tracker: NewTracker,
) -> None:
    transport = Transport()
    clicks = new_tracker(transport.publish)
    agent, language = b"Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", b"de-CH,de;q=0.9"
    long = b"M" * (MAX_USER_AGENT + 10)
    for _ in range(2):  # new bytes objects each time, as a server parses each request anew
        clicks.record(
            scope((b"user-agent", bytes(agent)), (b"accept-language", bytes(language))), 1
        )
        clicks.record(scope((b"user-agent", bytes(long)), (b"accept-language", bytes(long))), 2)
    assert await clicks.flush()
    first, long_first, second, long_second = transport.events
    assert (first.user_agent, first.language) == (agent.decode(), language.decode())
    assert second.user_agent is first.user_agent and second.language is first.language
    for event in (long_first, long_second):  # the same bytes, cut to each header's own cap
        assert (event.user_agent, event.language) == ("M" * MAX_USER_AGENT, "M" * MAX_LANGUAGE)


async def test_the_kept_header_texts_are_bounded(new_tracker: NewTracker) -> None:
    transport = Transport()
    clicks = new_tracker(transport.publish)
    for number in range(MAX_TEXTS * 2 + 5):
        clicks.record(scope((b"user-agent", f"bot/{number}".encode())), 1)
        assert len(clicks._agents) <= MAX_TEXTS
    assert await clicks.flush()
    agents = [event.user_agent for event in transport.events]
    assert agents == [f"bot/{number}" for number in range(MAX_TEXTS * 2 + 5)]


async def test_the_client_is_the_peer_unless_it_is_a_trusted_proxy(new_tracker: NewTracker) -> None:
    transport = Transport()
    direct = new_tracker(transport.publish)
    proxied = new_tracker(transport.publish, "203.0.113.9")
    forwarded = (b"x-forwarded-for", b"198.51.100.7")
    direct.record(scope(forwarded), 1)  # nobody trusted: the header is the client's word
    proxied.record(scope(forwarded), 2)
    proxied.record({**scope(forwarded), "client": None}, 3)  # no peer at all (not over TCP)
    direct.record({**scope(), "client": None}, 4)
    direct.record({key: value for key, value in scope().items() if key != "client"}, 5)
    direct.record({**scope(), "client": ("", 0)}, 6)
    direct.record({**scope(), "client": ()}, 7)
    assert await direct.flush() and await proxied.flush()
    ips = {event.link_id: event.ip for event in transport.events}
    assert ips == {1: "203.0.113.9", 2: "198.51.100.7", 3: "unknown"} | dict.fromkeys(
        (4, 5, 6, 7), "unknown"
    )


async def test_clicks_recorded_during_a_flush_go_out_with_the_next_one(
    new_tracker: NewTracker,
) -> None:
    transport = Transport()
    publish, gate = transport.publish, asyncio.Event()

    async def slow_publish(batch: ClickBatch) -> None:
        await gate.wait()
        await publish(batch)

    transport.publish = slow_publish  # type: ignore[method-assign]
    clicks = new_tracker(transport.publish, flush_interval=0.01)
    await clicks.start()
    clicks.record(scope(), 1)
    await asyncio.sleep(0.05)  # the background flush has taken click 1 and waits on the gate
    clicks.record(scope(), 2)
    clicks.record(scope(), 3)
    gate.set()
    for _ in range(100):  # nothing else is recorded: the task must come back on its own
        if len(transport.events) == 3:
            break
        await asyncio.sleep(0.01)
    assert [event.link_id for event in transport.events] == [1, 2, 3]
    assert [len(batch) for batch in transport.batches] == [1, 2]
    await clicks.close()
