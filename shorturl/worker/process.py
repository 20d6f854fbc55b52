"""`WorkerProcess`: the click worker that `shorturl serve` runs as a process of its own.

Where clicks can leave the web process (the inbox file embedded, the Redis stream scaled),
`serve` stores them in a child process instead of inside the web process: at full load
storing a click costs the CPU of two or three redirects, which another core then pays
(bench/README.md: 18–30% fewer redirects a second inside, 8–13% beside).

The child is `shorturl worker --for-server <pid>`, in the server's process group, so that a
supervisor killing the group kills it too. It ignores SIGINT and SIGTERM (Ctrl-C in a
terminal, or a supervisor stopping the group, reach it at the same time as the server, whose
web processes must send their last clicks first). Once the web server has stopped, `serve`
sends it SIGUSR1: it stores what is queued, the server's last clicks included, and ends, and
`serve` waits for that before it ends itself (a container ends with its first process). It
also stops by itself when its server has gone another way (SIGKILL). A child that dies is
started again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Final

__all__ = ["WorkerProcess"]

log = logging.getLogger(__name__)

_FIRST_PAUSE: Final = 1.0  # before starting a worker again; doubled while they keep dying
_LONGEST_PAUSE: Final = 30.0
_HEALTHY_RUN: Final = 60.0  # a worker that lived this long starts the pauses over
_LAST_CLICKS_WAIT: Final = 60.0  # what `serve` gives its worker to store the last clicks


class _Terminated(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class WorkerProcess:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = False

    @contextlib.contextmanager
    def beside(self) -> Iterator[None]:
        """The worker runs while the block (the web server) does; then it stores the last
        clicks and ends, and only then does this process end, by the signal that stopped it
        if one did (as a supervisor expects: uvicorn raises it again once shut down)."""

        def terminated(signum: int, _frame: FrameType | None) -> None:
            raise _Terminated(signum)

        previous = signal.signal(signal.SIGTERM, terminated)
        self._start()
        stopped_by = None
        try:
            yield
        except _Terminated as exc:
            stopped_by = exc.signum
        finally:
            signal.signal(signal.SIGTERM, previous)  # another SIGTERM now: end at once
            self._stop()
        if stopped_by is not None:
            signal.raise_signal(stopped_by)

    def _start(self) -> None:
        """Start the worker and a thread that starts it again whenever it dies."""
        threading.Thread(target=self._supervise, name="click-worker", daemon=True).start()

    def _stop(self, seconds: float = _LAST_CLICKS_WAIT) -> None:
        """Have the worker store what is queued and end; wait for it up to `seconds`."""
        with self._lock:
            self._stopping = True
            process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGUSR1)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            log.warning("the click worker is still storing after %gs; it goes on alone", seconds)

    def _supervise(self) -> None:
        # The children inherit this thread's signal mask: SIGUSR1 held back until a child
        # has its handler (a child still importing would otherwise die of it, storing nothing).
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
        pause = _FIRST_PAUSE
        while True:
            with self._lock:
                if self._stopping:
                    return
                began = time.monotonic()
                self._process = process = subprocess.Popen(
                    [sys.executable, "-m", "shorturl", "worker", "--for-server", str(os.getpid())]
                )
            status = process.wait()
            if self._stopping:
                return
            if time.monotonic() - began >= _HEALTHY_RUN:
                pause = _FIRST_PAUSE
            log.error("the click worker process ended (%s); starting another in %gs", status, pause)
            time.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE)
