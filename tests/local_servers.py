"""Real HTTP servers on 127.0.0.x, in this suite's port range (18300-18399), standing in for
the web pages and webhook receivers the service talks to."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

__all__ = ["PORTS", "LocalServer", "serving", "serving_on_one_port"]

PORTS = range(18300, 18400)
_next_port = itertools.cycle(PORTS)


def _bind(host: str, port: int | None) -> socket.socket:
    # Lazily, so each call moves the cycle on by the ports it tried, not by the whole range.
    candidates = [port] if port is not None else (next(_next_port) for _ in PORTS)
    for candidate in candidates:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError:
            sock.close()
            continue
        sock.listen(128)
        sock.setblocking(False)
        return sock
    raise RuntimeError(f"no free port on {host} in {PORTS}")


class LocalServer:
    """An ASGI app served by uvicorn in this event loop; stop and start it again on the same
    port to play a receiver that goes down for a while."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    async def start(self) -> None:
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, lifespan="off", log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None


@asynccontextmanager
async def serving(
    app: Any, host: str = "127.0.0.1", port: int | None = None
) -> AsyncIterator[LocalServer]:
    server = LocalServer(app, host, port)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def serving_on_one_port(
    first: tuple[Any, str], second: tuple[Any, str]
) -> AsyncIterator[tuple[LocalServer, LocalServer]]:
    """Two servers, each `(app, host)`, on the same port of two loopback addresses. Another
    test run may hold that port on one host only, so pick again until both are free."""
    for _ in PORTS:
        async with serving(*first) as one:
            try:
                two = LocalServer(second[0], second[1], one.port)
                await two.start()
            except RuntimeError:
                continue
            try:
                yield one, two
            finally:
                await two.stop()
            return
    raise RuntimeError(f"no port in {PORTS} free on both {first[1]} and {second[1]}")
