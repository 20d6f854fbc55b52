"""`ClickEvent`: what the redirect knows about one request, and its compact wire form.

Events travel from the web processes to the worker in batches (a Redis Stream entry holds
one batch); the wire form is an orjson array of arrays, about 200 bytes an event.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import NamedTuple

import orjson

__all__ = ["ClickEvent", "decode_batch", "encode_batch"]

log = logging.getLogger(__name__)

# Longer headers are cut: they are kept for reports, and a client must not be able to make
# every event it causes kilobytes long.
MAX_USER_AGENT = 512
MAX_REFERRER = 1024
MAX_LANGUAGE = 64


class ClickEvent(NamedTuple):
    """One recorded request for a link, before enrichment.

    A tuple, not a dataclass: the web process builds one per redirect, and a frozen dataclass
    costs several times as much to make and to serialise."""

    event_id: str  # unique across processes: inserts are idempotent on it
    link_id: int
    at: float  # epoch seconds, UTC
    method: str  # GET, HEAD, or POST for seed-001 `POST /analytics/click`
    ip: str  # the client address (X-Forwarded-For only from trusted proxies)
    user_agent: str | None
    referrer: str | None
    language: str | None  # the raw Accept-Language header
    use: int = 0  # for links with max_clicks: this request's number among the link's uses


def encode_batch(events: Sequence[ClickEvent]) -> bytes:
    return orjson.dumps([tuple(event) for event in events])


def decode_batch(raw: bytes | str) -> list[ClickEvent]:
    """The events of one wire batch; malformed events are logged and left out."""
    events: list[ClickEvent] = []
    try:
        rows = orjson.loads(raw)
    except orjson.JSONDecodeError:
        log.error("dropping a click batch that is not JSON (%d bytes)", len(raw))
        return events
    for row in rows if isinstance(rows, list) else ():
        try:
            event = ClickEvent(*row)
        except TypeError:
            log.error("dropping a malformed click event: %r", row)
            continue
        if isinstance(event.link_id, int) and isinstance(event.at, int | float):
            events.append(event)
        else:
            log.error("dropping a malformed click event: %r", row)
    return events
