"""Retries, timeouts and odd answers, against a small real HTTP server that answers a script.

(A shorturl server does not fail on demand; this one does, over real sockets.)
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import shorturl
from tests.live_server import free_port

LINK = {
    "short_url": "http://sho.rt/abc1234",
    "short_code": "abc1234",
    "long_url": "https://example.com/",
    "created_at": "2024-01-15T10:30:00Z",
    "click_count": 0,
    "status": "active",
    "tags": [],
}
OK = (200, {}, {"success": True, "data": LINK, "meta": {"request_id": "req_ok"}})


def failure(status: int, code: str, headers: dict[str, str] | None = None) -> tuple[Any, ...]:
    body = {
        "success": False,
        "error": {"code": code, "message": f"failed with {code}", "details": None},
        "meta": {"request_id": f"req_{status}"},
    }
    return status, headers or {}, body


class ScriptedServer:
    """Answers each request with the next scripted `(status, headers, body)`; the last one
    repeats. Records `(method, path)` of every request."""

    def __init__(self) -> None:
        self.script: list[tuple[Any, ...]] = [OK]
        self.requests: list[tuple[str, str]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                server.requests.append((self.command, self.path))
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                entry = server.script.pop(0) if len(server.script) > 1 else server.script[0]
                status, headers, body = entry
                if status == "sleep":
                    time.sleep(headers)
                    status, headers, body = OK
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError):  # a client that timed out has gone
                    self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = answer

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.close()


def test_idempotent_calls_retry_5xx_with_backoff(scripted: ScriptedServer) -> None:
    scripted.script = [failure(503, "UNAVAILABLE"), failure(502, "BAD_GATEWAY"), OK]
    with shorturl.Client(scripted.url) as client:
        link = client.urls.get("abc1234")
    assert link.short_code == "abc1234"
    assert scripted.requests == [("GET", "/api/v1/urls/abc1234")] * 3


def test_retries_stop_after_max_retries(scripted: ScriptedServer) -> None:
    scripted.script = [failure(500, "INTERNAL_ERROR")]
    with (
        shorturl.Client(scripted.url, max_retries=1) as client,
        pytest.raises(shorturl.InternalError) as failed,
    ):
        client.urls.delete("abc1234")
    assert failed.value.status == 500 and failed.value.request_id == "req_500"
    assert isinstance(failed.value, shorturl.ServerError)
    assert len(scripted.requests) == 2


def test_posts_are_never_retried(scripted: ScriptedServer) -> None:
    scripted.script = [failure(503, "UNAVAILABLE", {"Retry-After": "0"}), OK]
    with shorturl.Client(scripted.url) as client, pytest.raises(shorturl.ServerError) as failed:
        client.urls.create(long_url="https://example.com/")
    assert failed.value.code == "UNAVAILABLE"  # an unknown code is kept, classed by status
    assert scripted.requests == [("POST", "/api/v1/urls")]


def test_rate_limited_waits_for_retry_after_unless_too_long(scripted: ScriptedServer) -> None:
    scripted.script = [failure(429, "RATE_LIMITED", {"Retry-After": "0"}), OK]
    with shorturl.Client(scripted.url) as client:
        assert client.urls.get("abc1234").short_code == "abc1234"
    assert len(scripted.requests) == 2

    scripted.requests.clear()
    scripted.script = [failure(429, "RATE_LIMITED", {"Retry-After": "3600"})]
    with (
        shorturl.Client(scripted.url, max_retry_wait=60) as client,
        pytest.raises(shorturl.RateLimited) as limited,
    ):
        client.urls.get("abc1234")
    assert limited.value.retry_after == 3600 and limited.value.status == 429
    assert len(scripted.requests) == 1


def test_answers_that_are_not_the_api(scripted: ScriptedServer) -> None:
    scripted.script = [(502, {"Content-Type": "text/html"}, b"<h1>Bad gateway</h1>")]
    with shorturl.Client(scripted.url, max_retries=0) as client:
        with pytest.raises(shorturl.ServerError) as proxy:
            client.urls.get("abc1234")
        assert proxy.value.status == 502 and proxy.value.code == "SERVER_ERROR"

        scripted.script = [(200, {}, b"<html>not json</html>")]
        with pytest.raises(shorturl.UnexpectedResponse):
            client.urls.get("abc1234")
        scripted.script = [(200, {}, {"short_code": "no envelope"})]
        with pytest.raises(shorturl.UnexpectedResponse):
            client.urls.get("abc1234")
        scripted.script = [(404, {}, {"error": "Short URL not found"})]  # seed-001 errors
        with pytest.raises(shorturl.NotFound) as root_api:
            client.urls.get("abc1234")
        assert root_api.value.message == "Short URL not found"


def test_timeouts_and_unreachable_servers(scripted: ScriptedServer) -> None:
    scripted.script = [("sleep", 1.0, None)]
    with (
        shorturl.Client(scripted.url, timeout=0.2, max_retries=0) as client,
        pytest.raises(shorturl.RequestTimedOut),
    ):
        client.urls.get("abc1234")
    closed = f"http://127.0.0.1:{free_port()}"
    with (
        shorturl.Client(closed, max_retries=1) as client,
        pytest.raises(shorturl.ConnectionFailed) as unreachable,
    ):
        client.urls.get("abc1234")
    assert unreachable.value.status is None and unreachable.value.code == "CONNECTION_ERROR"


async def test_async_client_retries_the_same_way(scripted: ScriptedServer) -> None:
    scripted.script = [failure(429, "RATE_LIMITED", {"Retry-After": "0"}), failure(503, "X"), OK]
    async with shorturl.AsyncClient(scripted.url) as client:
        assert (await client.urls.get("abc1234")).short_code == "abc1234"
    assert len(scripted.requests) == 3
    scripted.requests.clear()
    scripted.script = [failure(503, "X")]
    async with shorturl.AsyncClient(scripted.url) as client:
        with pytest.raises(shorturl.ServerError):
            await client.urls.bulk(["https://example.com/"])
    assert scripted.requests == [("POST", "/api/v1/urls/bulk")]


def test_client_settings(monkeypatch: pytest.MonkeyPatch, scripted: ScriptedServer) -> None:
    monkeypatch.setenv("SHORTURL_URL", scripted.url + "/api/v1/")
    monkeypatch.setenv("SHORTURL_API_KEY", "sk_live_from_env")
    with shorturl.Client() as client:
        assert client.base_url == scripted.url
        assert client._http.headers["X-API-Key"] == "sk_live_from_env"
    with shorturl.Client(token="jwt") as client:
        assert "X-API-Key" not in client._http.headers
        assert client._http.headers["Authorization"] == "Bearer jwt"
    with pytest.raises(ValueError):
        shorturl.Client(api_key="a", token="b")
    with pytest.raises(ValueError):
        shorturl.Client("ftp://example.com")
