"""`BackgroundTasks`: work a process does off the request path, owned by the `Runtime`.

Two kinds: one-off jobs submitted after a commit (fetch a new link's page metadata, deliver
its webhooks now) run by a few tasks from a bounded queue, and periodic jobs (re-check links
against the block list, retry due webhook deliveries). A full queue drops the job: everything
submitted here is also picked up later by a periodic sweep, so it is a shortcut, never the
only road. With Redis, a periodic job runs in one process at a time (a lock per run).

`close()` lets running jobs finish for a few seconds, then cancels the rest.
`cancel_and_wait` ends any of the process's tasks for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from redis.asyncio import Redis

from shorturl.storage.outage import is_outage

__all__ = ["BackgroundTasks", "Job", "cancel_and_wait"]

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]
_STOP: Final = object()
# How long a cancelled task may take to end before it is cancelled again.
_CANCEL_AGAIN_AFTER: Final = 1.0


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and return once it has ended (its exception, if any, raised here).

    A single `cancel()` is not enough on Python 3.11: `asyncio.wait_for` drops a cancellation
    that arrives just as what it awaits completes (CPython gh-86296, fixed in 3.12), and
    redis-py sends commands through it, so a task cancelled at that moment carries on to its
    next await as if nothing had happened (seen: an app's shutdown waiting 30 s on its click
    tracker). The cancellation is repeated until the task has ended."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=_CANCEL_AGAIN_AFTER)
    with contextlib.suppress(asyncio.CancelledError):
        await task


@dataclass(frozen=True, slots=True)
class _Periodic:
    name: str
    seconds: float
    job: Job


class BackgroundTasks:
    def __init__(
        self,
        *,
        workers: int = 8,
        max_queued: int = 10_000,
        redis: Redis | None = None,
        lock_prefix: str = "lock",
        on_outage: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._queue: asyncio.Queue[tuple[str, Job] | object] = asyncio.Queue(max_queued)
        self._workers = workers
        self._redis = redis
        self._lock_prefix = lock_prefix
        self._on_outage = on_outage
        self._periodic: list[_Periodic] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self.dropped = 0  # jobs refused because the queue was full

    def submit(self, name: str, job: Job) -> bool:
        """Queue `job`; False (and a warning) when the queue is full or closing."""
        if self._stopping.is_set():
            return False
        try:
            self._queue.put_nowait((name, job))
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("background queue full: %s dropped (a sweep will catch up)", name)
            return False
        return True

    def every(self, name: str, seconds: float, job: Job) -> None:
        """Run `job` every `seconds` (first run after one interval) once started."""
        self._periodic.append(_Periodic(name, seconds, job))

    async def start(self) -> None:
        self._stopping.clear()
        self._tasks = [
            asyncio.create_task(self._work(), name=f"background-{i}") for i in range(self._workers)
        ]
        self._tasks += [
            asyncio.create_task(self._repeat(periodic), name=f"every-{periodic.name}")
            for periodic in self._periodic
        ]

    async def drain(self) -> None:
        """Wait until every job queued so far has run (tests, and the CLI before exiting)."""
        await self._queue.join()

    async def run_now(self, name: str) -> None:
        """Run the periodic job `name` once, here and now (CLI, tests)."""
        for periodic in self._periodic:
            if periodic.name == name:
                await periodic.job()
                return
        raise KeyError(name)

    async def close(self, grace: float = 5.0) -> None:
        self._stopping.set()
        for _ in range(self._workers):
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(_STOP)
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=grace)
            for task in pending:
                task.cancel()
            for task in pending:
                await cancel_and_wait(task)
        self._tasks = []

    async def _work(self) -> None:
        while True:
            item = await self._queue.get()
            try:
                if item is _STOP:
                    return
                assert isinstance(item, tuple)
                name, job = item
                try:
                    await job()
                except Exception as exc:  # a failed job must not kill the worker task
                    self._failed(f"background job {name}", exc)
            finally:
                self._queue.task_done()

    async def _repeat(self, periodic: _Periodic) -> None:
        while not self._stopping.is_set():
            # A little jitter, so processes started together do not all wake at once.
            wait = periodic.seconds * random.uniform(0.9, 1.1)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)
            if self._stopping.is_set():
                return
            try:
                if await self._acquire(periodic):
                    await periodic.job()
            except Exception as exc:
                self._failed(f"periodic job {periodic.name}", exc)

    def _failed(self, what: str, exc: Exception) -> None:
        if self._on_outage is not None and is_outage(exc):
            self._on_outage(exc)  # said once per outage; a sweep catches up afterwards
        else:
            log.error("%s failed", what, exc_info=exc)

    async def _acquire(self, periodic: _Periodic) -> bool:
        """With Redis, one process per interval runs the job; embedded, always this one."""
        if self._redis is None:
            return True
        key = f"{self._lock_prefix}:{periodic.name}"
        ttl = max(int(periodic.seconds * 900), 1000)  # ms, a bit under one interval
        return bool(await self._redis.set(key, secrets.token_hex(8), nx=True, px=ttl))
