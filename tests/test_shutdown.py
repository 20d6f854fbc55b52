"""Kubernetes-ready `shorturl serve` (uvicorn): probes, SIGTERM draining, JSON logs.

On SIGTERM uvicorn stops accepting connections, lets every request in flight finish (here one
whose body is still arriving when the signal comes), then runs the app's shutdown, which
sends the click buffer on; the worker stores it before the process ends.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

import httpx

from tests.test_serve import click, serve, stored_clicks


def test_sigterm_drains_the_request_in_flight_and_stores_every_click(tmp_path: Path) -> None:
    database = tmp_path / "shorturl.db"
    settings = {
        "SHORTURL_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "SHORTURL_LOG_FORMAT": "json",
        "SHORTURL_RATE_LIMIT_ENABLED": "false",
    }
    with serve(tmp_path, settings, ()) as (running,):
        live = httpx.get(f"{running.base_url}/health/live", timeout=5)
        assert live.status_code == 200 and live.json()["status"] == "alive"
        ready = httpx.get(f"{running.base_url}/health/ready", timeout=5)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"

        code = click(running, None, 25)
        body = json.dumps({"long_url": "https://example.com/in-flight"}).encode()
        with socket.create_connection(("127.0.0.1", running.port), timeout=15) as slow:
            slow.sendall(
                b"POST /api/v1/urls HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[:10]
            )
            time.sleep(0.3)  # the request is in the app, waiting for the rest of its body
            running.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert running.process.poll() is None, "stopped with a request in flight"
            slow.sendall(body[10:])
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = slow.recv(65536)
                assert chunk, "connection closed before the answer"
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
        assert running.process.wait(30) == -signal.SIGTERM
        assert "shorturl stopped" in running.output()

    assert stored_clicks(database) == 25  # the buffer was sent on and stored before the end
    lines = [line for line in running.output().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any(record["logger"].startswith("uvicorn") for record in records)
    assert any("shorturl stopped" in record["message"] for record in records)
    assert code
