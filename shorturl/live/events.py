"""`LiveClick` and `EventId`: one click as a live event, and the resumable id it goes out with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from shorturl.errors import ValidationFailed

__all__ = ["EventId", "LiveClick", "clicks_of_rows", "entry_key"]

# `<entry>:<index>`: the feed entry (one stored batch) and the click's place in it; an entry
# is a Redis stream id (`1733300000000-0`) or a row number (`42`).
_EVENT_ID: Final = re.compile(r"(\d{1,20})(?:-(\d{1,20}))?:(\d{1,9})")


@dataclass(frozen=True, slots=True)
class EventId:
    """Where a click sits in the feed: its entry (as the feed names it) and its index."""

    entry: str
    index: int

    @classmethod
    def parse(cls, text: str) -> EventId:
        """A `Last-Event-ID`; ValidationFailed (400) when it is not one this server sent."""
        match = _EVENT_ID.fullmatch(text.strip())
        if match is None:
            raise ValidationFailed(
                "Last-Event-ID must be the id of an event this stream sent, like '12:0'",
                details={"field": "Last-Event-ID"},
            )
        number, sequence, index = match.groups()
        entry = number if sequence is None else f"{number}-{sequence}"
        return cls(entry, int(index))

    @property
    def key(self) -> tuple[int, int, int]:
        """Orders ids as the feed does."""
        return (*entry_key(self.entry), self.index)

    def __str__(self) -> str:
        return f"{self.entry}:{self.index}"


def entry_key(entry: str) -> tuple[int, int]:
    """An entry id as numbers: `ms-seq` (Redis) or a row id."""
    number, _, sequence = entry.partition("-")
    return int(number), int(sequence or 0)


@dataclass(frozen=True, slots=True)
class LiveClick:
    """What a `click` event carries. `kind` is open-ended: `human`, `bot`, others later."""

    link_id: int
    owner_id: int | None
    code: str
    time: str
    country: str | None
    device: str | None
    browser: str | None
    os: str | None
    referrer: str | None
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {
            "link_id": self.link_id,
            "owner_id": self.owner_id,
            "code": self.code,
            "time": self.time,
            "country": self.country,
            "device": self.device,
            "browser": self.browser,
            "os": self.os,
            "referrer": self.referrer,
            "kind": self.kind,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LiveClick:
        return cls(**{name: data.get(name) for name in cls.__slots__})  # type: ignore[arg-type]

    def public(self) -> dict[str, Any]:
        """The event's data as clients get it (no internal ids)."""
        return {
            "code": self.code,
            "time": self.time,
            "country": self.country,
            "device": self.device,
            "browser": self.browser,
            "os": self.os,
            "referrer": self.referrer,
            "kind": self.kind,
        }


def clicks_of_rows(
    rows: list[dict[str, Any]], links: dict[int, tuple[str, int | None]]
) -> list[LiveClick]:
    """The live events of a batch of stored click rows (HEAD probes are no clicks)."""
    clicks = []
    for row in rows:
        link = links.get(row["link_id"])
        if link is None or row.get("method") == "HEAD":
            continue
        at: datetime = row["clicked_at"]
        clicks.append(
            LiveClick(
                link_id=row["link_id"],
                owner_id=link[1],
                code=link[0],
                time=at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                country=row.get("country"),
                device=row.get("device"),
                browser=row.get("browser"),
                os=row.get("os"),
                referrer=row.get("referrer_host"),
                kind=str(row.get("kind") or ("bot" if row.get("is_bot") else "human")),
            )
        )
    return clicks
