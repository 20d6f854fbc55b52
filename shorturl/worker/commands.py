"""`shorturl worker`: the click consumer and the periodic jobs as a process of their own."""

from __future__ import annotations

import asyncio
import logging
import logging.config
import os
import signal
from typing import Annotated

import typer

__all__ = ["worker"]

log = logging.getLogger(__name__)

# How often a server's own worker looks whether its server is still there.
_SERVER_CHECK: float = 0.2


def worker(
    jobs: Annotated[bool, typer.Option(help="Also run the periodic jobs.")] = True,
    for_server: Annotated[
        int | None,
        typer.Option(hidden=True, help="Run as this `serve` process's worker (process.py)."),
    ] = None,
) -> None:
    """Consume click events and run the periodic jobs, until SIGINT or SIGTERM.

    From the Redis stream, several side by side (one consumer group); without Redis, from the
    inbox beside the SQLite database, for `shorturl serve --no-worker` on the same files."""
    from shorturl.config import Settings
    from shorturl.logs import logging_config

    settings = Settings()
    logging.config.dictConfig(logging_config(settings.log_format))
    if not settings.clicks_leave_the_process:
        raise typer.BadParameter(
            "needs SHORTURL_REDIS_URL or a SQLite database file: the clicks of a database in"
            " memory or of PostgreSQL without Redis never leave their web process"
        )
    asyncio.run(_run(settings, jobs, for_server))


async def _run(settings, jobs: bool, for_server: int | None) -> None:  # type: ignore[no-untyped-def]
    from shorturl.background import cancel_and_wait
    from shorturl.runtime import Runtime
    from shorturl.worker.runner import Worker

    # A runtime without the web side: its pipeline does not start a worker of its own.
    runtime = Runtime(settings.model_copy(update={"worker_in_process": False}), role="worker")
    await runtime.start()
    runner = Worker(runtime, jobs=jobs)
    await runner.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # A server's worker outlasts its server's stop, to store the server's last clicks:
        # the server says when (SIGUSR1, worker/process.py).
        loop.add_signal_handler(signum, (lambda: None) if for_server else stopping.set)
    if for_server:
        loop.add_signal_handler(signal.SIGUSR1, stopping.set)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})  # held back until now
    watch = asyncio.create_task(_until_gone(for_server, stopping)) if for_server else None
    try:
        await stopping.wait()
    finally:
        if watch is not None:
            await cancel_and_wait(watch)
        # A server's worker also stores what is queued (nobody else may be there to).
        drain = for_server is not None
        log.info("stopping: %s", "storing what is queued" if drain else "finishing the batch")
        await runner.stop(finish_queued=drain)
        await runtime.close()


async def _until_gone(server: int, stopping: asyncio.Event) -> None:
    """Set `stopping` once process `server` has ended (this process then has another parent)."""
    while os.getppid() == server:  # noqa: ASYNC110 - no event to wait on: a parent's end is seen by polling
        await asyncio.sleep(_SERVER_CHECK)
    log.info("server %d has stopped", server)
    stopping.set()
