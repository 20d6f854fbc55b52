"""Live clicks over SSE against a real `shorturl serve` in each mode: its worker is a process of
its own, so each click travels redirect → worker → feed → web process → client."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Backend, create_postgres_database, drop_postgres_database
from tests.live_server import LiveServer, start_server

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    """The session's server of this mode (shared with other tests: each makes its own users)."""
    return live_server


@dataclass
class Event:
    kind: str  # `click`, `dropped`, or `comment`
    id: str | None
    data: Any
    at: float


class EventReader:
    """Reads an SSE response in a task, as a browser's EventSource would."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.events: asyncio.Queue[Event | None] = asyncio.Queue()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            async for line in self.response.aiter_lines():
                if line.startswith(":"):
                    await self.events.put(
                        Event("comment", None, line[1:].strip(), time.monotonic())
                    )
                elif line == "":
                    if "data" in fields:
                        data = json.loads(fields["data"])
                        kind = fields.get("event", "message")
                        await self.events.put(Event(kind, fields.get("id"), data, time.monotonic()))
                    fields = {}
                else:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
        finally:
            await self.events.put(None)

    async def next(self, kind: str = "click", within: float = 5.0) -> Event:
        """The next event of this kind; TimeoutError when none comes `within` seconds."""
        async with asyncio.timeout(within):
            while True:
                event = await self.events.get()
                assert event is not None, "the stream ended"
                if event.kind == kind:
                    return event


@asynccontextmanager
async def stream(http: httpx.AsyncClient, path: str, **headers: str) -> AsyncIterator[EventReader]:
    async with http.stream(
        "GET", path, headers=headers, timeout=httpx.Timeout(10, read=30)
    ) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = EventReader(response)
        await reader.next("comment")  # the stream is open: what follows is live
        try:
            yield reader
        finally:
            reader.task.cancel()


async def _account(http: httpx.AsyncClient, name: str) -> dict[str, str]:
    email, password = f"{name}@example.com", f"pw-{name}-Secret!"
    signup = await http.post(
        "/api/v1/auth/signup", json={"email": email, "username": name, "password": password}
    )
    assert signup.status_code == 201, signup.text
    login = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    return {"Authorization": f"Bearer {login.json()['data']['access_token']}"}


async def _link(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    created = await http.post(
        "/api/v1/urls", json={"long_url": "https://example.com/live"}, headers=headers
    )
    assert created.status_code == 201, created.text
    return str(created.json()["data"]["short_code"])


def _unique(prefix: str) -> str:
    return f"{prefix}{time.monotonic_ns() % 10**9}"


async def test_a_click_arrives_within_a_second_on_both_streams(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        headers = await _account(http, _unique("live"))
        code = await _link(http, headers)
        other = await _link(http, headers)
        async with (
            stream(http, f"/api/v1/urls/{code}/clicks/stream", **headers) as link_events,
            stream(http, "/api/v1/analytics/stream", **headers) as account_events,
        ):
            started = time.monotonic()
            visit = await http.get(
                f"/{code}",
                headers={"User-Agent": BROWSER, "Referer": "https://news.ycombinator.com/item"},
            )
            assert visit.status_code == 301
            click = await link_events.next()
            assert click.at - started < 1.0, f"{click.at - started:.2f} s"
            assert click.data["code"] == code
            assert click.data["kind"] == "human"
            assert click.data["device"] == "desktop"
            assert click.data["browser"] == "Chrome"
            assert click.data["referrer"] == "news.ycombinator.com"
            assert click.data["time"].endswith("Z")
            assert set(click.data) == {
                "code",
                "time",
                "country",
                "device",
                "browser",
                "os",
                "referrer",
                "kind",
            }
            assert click.id and re.fullmatch(r"\d+(-\d+)?:\d+", click.id)
            mine = await account_events.next()
            assert (mine.id, mine.data) == (click.id, click.data)

            await http.get(f"/{other}", headers={"User-Agent": CRAWLER})
            robot = await account_events.next()
            assert (robot.data["code"], robot.data["kind"]) == (other, "bot")
            with pytest.raises(TimeoutError):  # not this link's: the link stream stays quiet
                await link_events.next(within=1.0)


async def test_last_event_id_resumes_after_the_last_click_seen(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        headers = await _account(http, _unique("resume"))
        code = await _link(http, headers)
        path = f"/api/v1/urls/{code}/clicks/stream"
        async with stream(http, path, **headers) as events:
            await http.get(f"/{code}", headers={"User-Agent": BROWSER})
            seen = await events.next()
        for agent in (BROWSER, CRAWLER):  # while nobody listens
            await http.get(f"/{code}", headers={"User-Agent": agent})
        await asyncio.sleep(1.5)  # stored and published meanwhile
        async with stream(http, path, **{**headers, "Last-Event-ID": seen.id or ""}) as events:
            missed = [await events.next(), await events.next()]
            assert [event.data["kind"] for event in missed] == ["human", "bot"]
            assert len({seen.id, *(event.id for event in missed)}) == 3
            with pytest.raises(TimeoutError):  # each once
                await events.next(within=1.0)


@pytest.mark.parametrize("bad", ["abc", "12", "1-2-3:4", "-1:0", "12:x", "9" * 30 + ":0"])
async def test_a_malformed_last_event_id_is_400(server: LiveServer, bad: str) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        headers = await _account(http, _unique("bad"))
        response = await http.get(
            "/api/v1/analytics/stream", headers={**headers, "Last-Event-ID": bad}
        )
        assert response.status_code == 400
        body = response.json()
        assert body["success"] is False
        assert body["error"]["code"] == "VALIDATION_ERROR"
        assert "Last-Event-ID" in body["error"]["message"]


async def test_streams_are_authenticated_like_the_api(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        owner = await _account(http, _unique("own"))
        stranger = await _account(http, _unique("str"))
        code = await _link(http, owner)
        path = f"/api/v1/urls/{code}/clicks/stream"
        assert (await http.get(path)).status_code == 401
        assert (await http.get(path, headers=stranger)).status_code == 403
        assert (await http.get("/api/v1/analytics/stream")).status_code == 401
        missing = await http.get("/api/v1/urls/nope-nope/clicks/stream", headers=owner)
        assert missing.status_code == 404
        bad = await http.get("/api/v1/analytics/stream", headers={"X-API-Key": "sk_live_wrong"})
        assert bad.status_code == 401


async def test_a_dashboard_session_cookie_opens_the_stream(server: LiveServer) -> None:
    name = _unique("cookie")
    async with httpx.AsyncClient(base_url=server.url) as http:
        headers = await _account(http, name)
        code = await _link(http, headers)
    async with httpx.AsyncClient(base_url=server.url) as browser:
        page = await browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        login = await browser.post(
            "/login",
            data={"csrf_token": token.group(1), "login": name, "password": f"pw-{name}-Secret!"},
        )
        assert login.status_code == 303
        async with stream(browser, f"/api/v1/urls/{code}/clicks/stream") as events:
            await browser.get(f"/{code}", headers={"User-Agent": BROWSER})
            assert (await events.next()).data["code"] == code
    async with httpx.AsyncClient(
        base_url=server.url, cookies={"shorturl_session": "forged"}
    ) as forged:
        assert (await forged.get(f"/api/v1/urls/{code}/clicks/stream")).status_code == 401


@pytest.fixture
def stoppable(backend: Backend, tmp_path: Path) -> Iterator[LiveServer]:
    """A server for one test to stop."""
    with _server(backend, tmp_path, live_heartbeat="0.5") as running:
        yield running


async def test_heartbeats_then_a_clean_end_when_the_server_stops(stoppable: LiveServer) -> None:
    process = stoppable.process
    assert process is not None
    async with httpx.AsyncClient(base_url=stoppable.url) as http:
        headers = await _account(http, _unique("stop"))
        async with stream(http, "/api/v1/analytics/stream", **headers) as events:
            for _ in range(2):  # an idle stream is kept open by comments
                assert (await events.next("comment", within=2)).data == "heartbeat"
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            while (event := await asyncio.wait_for(events.events.get(), 10)) is not None:
                assert event.kind == "comment"
            await events.task  # the body ended as a complete chunked response, no error
            assert time.monotonic() - started < 5
        assert await asyncio.to_thread(process.wait, 15) == -signal.SIGTERM


@contextmanager
def _server(backend: Backend, workdir: Path, **settings: str) -> Iterator[LiveServer]:
    database_url = (
        f"sqlite+aiosqlite:///{workdir}/live.db"
        if backend.redis_url is None
        else create_postgres_database()
    )
    try:
        with start_server(database_url, backend.redis_url, workdir, **settings) as running:
            yield running
    finally:
        if backend.redis_url is not None:
            drop_postgres_database(database_url)
