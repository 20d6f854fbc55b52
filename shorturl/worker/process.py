"""`WorkerProcess`: the click worker that `shorturl serve` runs as a process of its own.

Where clicks can leave the web process (the inbox file embedded, the Redis stream scaled),
`serve` stores them in a child process instead of inside the web process: at full load
storing a click costs the CPU of two or three redirects, which another core then pays
(bench/README.md: a third fewer redirects a second inside, 8–9% fewer beside).

The child is `shorturl worker --for-server <pid>`, in the server's process group, so that a
supervisor killing the group kills it too. It stops when its server has gone, after storing
what is queued: the server's last clicks, sent as it stopped. It ignores SIGINT and SIGTERM
meanwhile (Ctrl-C in a terminal, or a supervisor stopping the group, reach it at the same
time as the server, which must stop first). A child that dies is started again.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from typing import Final

__all__ = ["WorkerProcess"]

log = logging.getLogger(__name__)

_FIRST_PAUSE: Final = 1.0  # before starting a worker again; doubled while they keep dying
_LONGEST_PAUSE: Final = 30.0
_HEALTHY_RUN: Final = 60.0  # a worker that lived this long starts the pauses over


class WorkerProcess:
    def start(self) -> None:
        """Start the worker and a thread that starts it again whenever it ends."""
        threading.Thread(target=self._supervise, name="click-worker", daemon=True).start()

    def _supervise(self) -> None:
        pause = _FIRST_PAUSE
        while True:
            began = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-m", "shorturl", "worker", "--for-server", str(os.getpid())]
            )
            status = process.wait()
            if time.monotonic() - began >= _HEALTHY_RUN:
                pause = _FIRST_PAUSE
            log.error("the click worker process ended (%s); starting another in %gs", status, pause)
            time.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE)
