"""The loop `bench/tracker.py --instructions` runs under callgrind: `clicks` requests, each
with fresh objects as a server makes them, recorded by a `ClickTracker` that flushes every
`batch` clicks to a transport that only encodes (or, with `--untracked`, not recorded).
The tracker is the module as built (compiled by `make install`), or with `--interpreted` its
source run by the interpreter.

It imports no more than tracking needs: under valgrind every import costs seconds.

    python bench/click_loop.py wrk 4000 240 [--untracked] [--interpreted]
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shorturl.analytics import tracker as built  # noqa: E402
from shorturl.analytics.events import ClickBatch  # noqa: E402
from shorturl.net.client_ip import ClientIpResolver  # noqa: E402

CHROME: Final = (
    b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"Chrome/131.0.0.0 Safari/537.36"
)
HEADERS: Final[dict[str, list[tuple[bytes, bytes]]]] = {
    # what `wrk` sends in bench/redirect.py
    "wrk": [
        (b"host", b"127.0.0.1:8080"),
        (b"user-agent", CHROME),
    ],
    # a desktop Chrome following a link from a search page
    "browser": [
        (b"host", b"s.example"),
        (b"connection", b"keep-alive"),
        (b"sec-ch-ua", b'"Chromium";v="131", "Not_A Brand";v="24"'),
        (b"sec-ch-ua-mobile", b"?0"),
        (b"sec-ch-ua-platform", b'"Windows"'),
        (b"upgrade-insecure-requests", b"1"),
        (b"user-agent", CHROME),
        (
            b"accept",
            b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
            b"image/webp,*/*;q=0.8",
        ),
        (b"sec-fetch-site", b"cross-site"),
        (b"sec-fetch-mode", b"navigate"),
        (b"sec-fetch-dest", b"document"),
        (b"referer", b"https://www.google.com/"),
        (b"accept-encoding", b"gzip, deflate, br, zstd"),
        (b"accept-language", b"en-GB,en;q=0.9,de;q=0.8"),
    ],
}


def request_scope(headers: list[tuple[bytes, bytes]], number: int) -> dict[str, Any]:
    """The ASGI scope of request `number` as a server builds it: fresh header objects (so
    nothing a previous request hashed is reused) and a client address that varies."""
    return {
        "type": "http",
        "method": "GET",
        "path": "/abc123",
        "client": (f"10.0.{number // 250 % 250}.{number % 250 + 1}", 40000 + number % 20000),
        "headers": [(bytes(name), bytes(value)) for name, value in headers],
    }


def interpreted() -> Any:
    """tracker.py loaded from its source, whatever is built beside it."""
    path = Path(__file__).resolve().parent.parent / "shorturl" / "analytics" / "tracker.py"
    spec = importlib.util.spec_from_file_location("tracker_source", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def count_loop(
    headers: str, clicks: int, batch: int, track: bool, module: Any = built
) -> None:
    """What `--instructions` runs under callgrind: `clicks` requests, tracked or not."""

    async def encode(batch: ClickBatch) -> None:
        batch.encode()

    tracker = module.ClickTracker(encode, ClientIpResolver())
    for number in range(clicks):
        scope = request_scope(HEADERS[headers], number)
        if track:
            tracker.record(scope, 7)
            if number % batch == batch - 1:
                await tracker.flush()


if __name__ == "__main__":
    headers, clicks, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    track = "--untracked" not in sys.argv
    module = interpreted() if "--interpreted" in sys.argv else built
    asyncio.run(count_loop(headers, clicks, batch, track, module))
