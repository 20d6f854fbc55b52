"""`ClickEvent`: what the redirect knows about one request; `ClickBatch`: events on their way
to the worker, and their compact wire form.

A web process sends its clicks in batches (a Redis Stream entry holds one batch), as an orjson
array `[id prefix, first number, [value, ...]]`, about 200 bytes an event: each click is
`WIDTH` values in a row of one flat list, a `ClickEvent`'s fields after its id, and its id is
the prefix followed by its number in hex, the batch's first number counting up. The tracker
appends a click's values to one list and numbers its clicks only when a batch leaves, so the
redirect makes no object of its own per click. Events made elsewhere (tests, tools) keep the
ids they have: with no first number (null), each click's values start with its whole id.
Since the query string and orphan visits (`extra`) and smart links' `destination` were added, a batch ends with its clicks' width
(`[id prefix, first number, [value, ...], width]`): a batch of the three-item form before
holds clicks of the eight values then. The forms before are still read: `[id prefix, [row, ...]]`, a row a tuple of the fields with
the id as a number or whole, and, before prefixes, a plain array of whole-id rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import orjson

__all__ = ["WIDTH", "ClickBatch", "ClickEvent", "decode_batch"]

log = logging.getLogger(__name__)

# Longer headers are cut: they are kept for reports, and a client must not be able to make
# every event it causes kilobytes long.
MAX_USER_AGENT = 512
MAX_REFERRER = 1024
MAX_LANGUAGE = 64
MAX_QUERY = 1024
MAX_PATH = 1024


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
    # One value, so a plain click carries one null more, not two: the request's query
    # string when it carries `utm_` values; for an orphan visit (a request that matched no
    # link; link_id 0) a list [type, path, 0, query], or for a web process's count of those
    # it left out over its per-minute cap [type, None, count, None].
    extra: str | list[Any] | None = None
    destination: str | None = None  # smart links: where it went (None: the link's long_url)

    @property
    def query(self) -> str | None:
        """The query string with `utm_` values, of a click or an orphan visit."""
        if isinstance(self.extra, list):
            query = self.extra[3]
            return query if isinstance(query, str) else None
        return self.extra

    @property
    def orphan(self) -> list[Any] | None:
        """[type, path or None (a count only), count] of an orphan visit; None for a click."""
        return self.extra[:3] if isinstance(self.extra, list) else None


WIDTH: Final = len(ClickEvent._fields) - 1  # values a click holds in a batch, after its id
_FIRST_WIDTH: Final = 8  # before `extra`: batches of three items


@dataclass(frozen=True, slots=True)
class ClickBatch:
    """Clicks numbered from `first_number` (ids: `id_prefix` + the number in hex), `WIDTH`
    values each in `values`; or, `first_number` None, each with its whole id first."""

    id_prefix: str
    first_number: int | None
    values: list[Any]
    width: int = WIDTH  # values a click (after its id): older batches lack the last ones

    @classmethod
    def of(cls, events: Iterable[ClickEvent]) -> ClickBatch:
        """A batch of events that carry their ids whole."""
        return cls("", None, [value for event in events for value in event], WIDTH)

    def __len__(self) -> int:
        return len(self.values) // _click_width(self.first_number, self.width)

    def events(self) -> list[ClickEvent]:
        """The batch's events, read as a worker reads them off the wire (`decode_batch`)."""
        return _flat_events(self.id_prefix, self.first_number, self.values, self.width)

    def encode(self) -> bytes:
        return orjson.dumps((self.id_prefix, self.first_number, self.values, self.width))


def decode_batch(raw: bytes | str) -> list[ClickEvent]:
    """The events of one wire batch; malformed events are logged and left out."""
    try:
        batch = orjson.loads(raw)
    except orjson.JSONDecodeError:
        log.error("dropping a click batch that is not JSON (%d bytes)", len(raw))
        return []
    if isinstance(batch, list) and batch and isinstance(batch[0], str):
        if len(batch) in (3, 4) and isinstance(batch[2], list):
            prefix, first, values = batch[:3]
            width = batch[3] if len(batch) == 4 else _FIRST_WIDTH
            valid_first = first is None or (type(first) is int and first >= 0)
            if valid_first and type(width) is int and _FIRST_WIDTH <= width <= WIDTH:
                return _flat_events(prefix, first, values, width)
        elif len(batch) == 2:
            return _row_events(*batch)
        log.error("dropping a click batch of an unknown form (%d bytes)", len(raw))
        return []
    return _row_events("", batch)  # the form before prefixes: whole-id rows only


def _click_width(first_number: int | None, width: int) -> int:
    """Values a click takes in a batch: with no first number, its whole id comes first."""
    return width if first_number is not None else width + 1


def _flat_events(prefix: str, first: int | None, values: list[Any], width: int) -> list[ClickEvent]:
    step = _click_width(first, width)
    if len(values) % step:
        log.error("dropping a click batch of %d values, not clicks of %d", len(values), step)
        return []
    events: list[ClickEvent] = []
    for index, start in enumerate(range(0, len(values), step)):
        if first is not None:
            event = _event(prefix, (first + index, *values[start : start + step]))
        else:
            event = _event(prefix, values[start : start + step])
        if event is None:
            log.error("dropping a malformed click event: %r", values[start : start + step])
        else:
            events.append(event)
    return events


def _row_events(prefix: str, rows: Any) -> list[ClickEvent]:
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
    if type(event.link_id) is not int or not isinstance(event.at, int | float):
        return None
    extra = event.extra
    if not (
        extra is None or isinstance(extra, str) or (isinstance(extra, list) and len(extra) == 4)
    ):
        return None
    return event


def _event_id(prefix: str, number_or_id: Any) -> str | None:
    """A row's event id: its number after the batch's prefix, or the id it gives whole."""
    if type(number_or_id) is int and number_or_id >= 0:
        return f"{prefix}{number_or_id:x}"
    if isinstance(number_or_id, str):
        return number_or_id
    return None
