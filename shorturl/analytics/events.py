"""`ClickEvent`: what the redirect knows about one request; `ClickBatch`: events on their way
to the worker, and their compact wire form.

A web process sends its clicks in batches (a Redis Stream entry holds one batch), as an orjson
array `[id prefix, [row, ...]]`, about 200 bytes an event. A row is a `ClickEvent`'s fields in
order, its id given either as a number, which the batch's prefix turns into the id, or whole:
the tracker numbers its events (one counter, no string built per click in the web process);
events made elsewhere (tests, tools) keep the ids they have. A plain array of whole-id rows,
the form before prefixes, is still read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

__all__ = ["ClickBatch", "ClickEvent", "Row", "decode_batch"]

log = logging.getLogger(__name__)

# Longer headers are cut: they are kept for reports, and a client must not be able to make
# every event it causes kilobytes long.
MAX_USER_AGENT = 512
MAX_REFERRER = 1024
MAX_LANGUAGE = 64


class ClickEvent(NamedTuple):
    """One recorded request for a link, before enrichment."""

    event_id: str  # unique across processes: inserts are idempotent on it
    link_id: int
    at: float  # epoch seconds, UTC
    method: str  # GET, HEAD, or POST for seed-001 `POST /analytics/click`
    ip: str  # the client address (X-Forwarded-For only from trusted proxies)
    user_agent: str | None
    referrer: str | None
    language: str | None  # the raw Accept-Language header
    use: int = 0  # for links with max_clicks: this request's number among the link's uses


# A ClickEvent's fields as a plain tuple, the id as a number after the batch's prefix or whole.
Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class ClickBatch:
    id_prefix: str
    rows: list[Row]

    @classmethod
    def of(cls, events: Iterable[ClickEvent]) -> ClickBatch:
        """A batch of events that carry their ids whole."""
        return cls("", [tuple(event) for event in events])

    def __len__(self) -> int:
        return len(self.rows)

    def events(self) -> list[ClickEvent]:
        """The batch's events, read as a worker reads them off the wire (`decode_batch`)."""
        return [event for row in self.rows if (event := _event(self.id_prefix, row))]

    def encode(self) -> bytes:
        return orjson.dumps((self.id_prefix, self.rows))


def decode_batch(raw: bytes | str) -> list[ClickEvent]:
    """The events of one wire batch; malformed events are logged and left out."""
    try:
        batch = orjson.loads(raw)
    except orjson.JSONDecodeError:
        log.error("dropping a click batch that is not JSON (%d bytes)", len(raw))
        return []
    prefix, rows = "", batch  # the form before prefixes: whole-id rows only
    if isinstance(batch, list) and len(batch) == 2 and isinstance(batch[0], str):
        prefix, rows = batch
    events: list[ClickEvent] = []
    for row in rows if isinstance(rows, list) else ():
        event = _event(prefix, row)
        if event is None:
            log.error("dropping a malformed click event: %r", row)
        else:
            events.append(event)
    return events


def _event(prefix: str, row: Any) -> ClickEvent | None:
    if not isinstance(row, list | tuple) or not row:
        return None
    event_id = _event_id(prefix, row[0])
    if not event_id:
        return None
    try:
        event = ClickEvent(event_id, *row[1:])
    except TypeError:
        return None
    if type(event.link_id) is int and isinstance(event.at, int | float):
        return event
    return None


def _event_id(prefix: str, number_or_id: Any) -> str | None:
    """A row's event id: its number after the batch's prefix, or the id it gives whole."""
    if type(number_or_id) is int and number_or_id >= 0:
        return f"{prefix}{number_or_id:x}"
    if isinstance(number_or_id, str):
        return number_or_id
    return None
