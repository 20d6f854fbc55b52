"""A served app keeps its start-up heap out of garbage collections (`freeze_startup_heap`).

Run in a child process: freezing is for a server's whole life, not for the test process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHILD = """
import asyncio, gc
from shorturl.app import build_app, create_app

async def start_and_stop(app):
    inbox = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    frozen = []

    async def send(message):
        if message["type"] == "lifespan.startup.complete":
            frozen.append(gc.get_freeze_count())
            await inbox.put({"type": "lifespan.shutdown"})
        elif message["type"].endswith("failed"):
            raise SystemExit(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, send)
    return frozen[0]

print(asyncio.run(start_and_stop(create_app())), asyncio.run(start_and_stop(build_app())))
"""


def test_only_the_served_app_freezes_its_start_up_heap(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SHORTURL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'heap.db'}",
        "SHORTURL_REDIS_URL": "",
    }
    subprocess.run(
        [sys.executable, "-m", "shorturl", "db", "upgrade"], env=env, check=True, cwd=tmp_path
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    plain, served = map(int, done.stdout.split())
    assert plain == 0  # create_app(): tests build many apps, nothing is frozen for good
    assert served > 50_000  # build_app(): what `shorturl serve` runs
