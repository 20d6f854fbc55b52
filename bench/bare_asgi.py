"""The floor under any Python redirect: an ASGI callable that answers every request with a
301, served by the same server and settings as `shorturl serve`.

`bench/redirect.py` runs it beside nginx, so a run on a slower machine shows how much of the gap
to nginx is the ASGI server itself:

    .venv/bin/python bench/bare_asgi.py --server uvicorn --workers 1 --port 8099
"""

from __future__ import annotations

import argparse
from typing import Any

TARGET = b"https://example.com/a/fairly/typical/landing-page?utm_source=bench&utm_medium=wrk"
HEADERS = [(b"location", TARGET), (b"content-length", b"0")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 301, "headers": HEADERS})
    await send({"type": "http.response.body", "body": b""})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    if args.server == "granian":
        from granian import Granian
        from granian.constants import Interfaces, Loops

        Granian(
            "bare_asgi:app",
            address=args.host,
            port=args.port,
            interface=Interfaces.ASGI,
            workers=args.workers,
            loop=Loops.uvloop,
            log_access=False,
        ).serve()
        return
    import uvicorn

    uvicorn.run(
        "bare_asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
        date_header=False,
    )


if __name__ == "__main__":
    main()
