"""`shorturl worker`: the click consumer and the periodic jobs as a process of their own."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

__all__ = ["worker"]

log = logging.getLogger(__name__)


def worker(
    jobs: Annotated[bool, typer.Option(help="Also run the periodic jobs.")] = True,
) -> None:
    """Consume click events and run the periodic jobs, until SIGINT or SIGTERM.

    From the Redis stream, several side by side (one consumer group); without Redis, from the
    inbox beside the SQLite database, for `shorturl serve --no-worker` on the same files."""
    from shorturl.config import Settings

    settings = Settings()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not settings.clicks_leave_the_process:
        raise typer.BadParameter(
            "needs SHORTURL_REDIS_URL or a SQLite database file: the clicks of a database in"
            " memory or of PostgreSQL without Redis never leave their web process"
        )
    asyncio.run(_run(settings.model_copy(update={"worker_in_process": True}), jobs))


async def _run(settings, jobs: bool) -> None:  # type: ignore[no-untyped-def]
    from shorturl.runtime import Runtime
    from shorturl.worker.runner import Worker

    # A runtime without the web side: its pipeline does not start a worker of its own.
    runtime = Runtime(settings.model_copy(update={"worker_in_process": False}))
    await runtime.start()
    runner = Worker(runtime, jobs=jobs)
    await runner.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await stopping.wait()
    finally:
        log.info("stopping: finishing the batch in hand")
        await runner.stop(finish_queued=False)
        await runtime.close()
