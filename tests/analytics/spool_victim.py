"""A web process's click tracker that records clicks and is then killed outright (SIGKILL):
`python tests/analytics/spool_victim.py DIRECTORY LINK_ID SENT UNSENT`.

Its transport accepts the first `SENT` clicks (written to DIRECTORY/sent.json as the
worker would get them) and then hangs; `UNSENT` more are recorded before the kill. Prints
the tracker's id prefix first, so the test knows which event ids to expect."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shorturl.analytics.events import ClickBatch  # noqa: E402
from shorturl.analytics.tracker import ClickTracker  # noqa: E402
from shorturl.net.client_ip import ClientIpResolver  # noqa: E402


def scope(number: int) -> dict[str, object]:
    return {
        "type": "http",
        "method": "GET",
        "path": "/victim",
        "query_string": b"utm_source=victim" if number % 2 else b"",
        "headers": [(b"user-agent", f"Victim/{number}".encode()), (b"referer", b"https://ref/")],
        "client": ("203.0.113.9", 5000 + number),
    }


async def main(directory: Path, link_id: int, sent: int, unsent: int) -> None:
    accepted: list[bytes] = []

    async def publish(batch: ClickBatch) -> None:
        if accepted:
            await asyncio.Event().wait()  # the transport hangs: nothing more is accepted
        accepted.append(batch.encode())
        (directory / "sent.json").write_bytes(batch.encode())

    tracker = ClickTracker(
        publish, ClientIpResolver(), spool_directory=directory, spool_size=1 << 20
    )
    await tracker.start()
    print(tracker._id_prefix, flush=True)
    for number in range(sent):
        tracker.record(scope(number), link_id)
    assert await tracker.flush()
    for number in range(sent, sent + unsent):
        tracker.record(scope(number), link_id)
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    directory, link_id, sent, unsent = sys.argv[1:]
    asyncio.run(main(Path(directory), int(link_id), int(sent), int(unsent)))
