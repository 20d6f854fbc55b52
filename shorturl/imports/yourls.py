"""YOURLS: a MySQL dump of its tables (`yourls_url` for the links, `yourls_log` for every
click), read without a MySQL server, or its API (`action=stats&filter=last`, page by page).

A dump gives each link its logged clicks (time, referrer, agent, country); clicks its
`clicks` column counts beyond the log (a pruned log, or one turned off) are dated on the
link's creation. The API gives counts only. YOURLS has no tags nor expiry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any, Final

from shorturl.imports.records import (
    Batch,
    ImportedClicks,
    ImportedLink,
    ImportProblem,
    parse_time,
    visit,
)
from shorturl.imports.remote import RemoteApi
from shorturl.imports.sql_dump import DumpRow, dump_rows
from shorturl.imports.tables import FileLinks, decoded

__all__ = ["YourlsApi", "YourlsDump"]

PAGE_SIZE: Final = 100
_HistoryKey = tuple[str, Any, bool, tuple[tuple[str, str | None], ...]]


class YourlsDump(FileLinks):
    """The links of `<prefix>url` with the clicks of `<prefix>log`, in the dump's order."""

    kind = "yourls"

    def __init__(self, data: bytes, *, prefix: str = "yourls_") -> None:
        url_table, log_table = f"{prefix}url", f"{prefix}log"
        links: list[ImportedLink] = []
        grouped: dict[_HistoryKey, list[Any]] = {}
        for table, row in dump_rows(decoded(data, "dump"), {url_table, log_table}):
            if table == url_table:
                links.append(_dump_link(row))
            else:
                _add_click(grouped, row)
        if not links:
            raise ImportProblem(f"the dump has no rows of {url_table}")
        history: dict[str, list[ImportedClicks]] = defaultdict(list)
        for (keyword, _, is_bot, values), (clicks, latest) in grouped.items():
            history[keyword].append(ImportedClicks(latest, clicks, is_bot, dict(values)))
        for link in links:
            link.history = history.get(link.code, [])
        super().__init__(links)


def _text(row: DumpRow, name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value)


def _dump_link(row: DumpRow) -> ImportedLink:
    clicks = row.get("clicks")
    return ImportedLink(
        code=_text(row, "keyword"),
        long_url=_text(row, "url"),
        created_at=parse_time(_text(row, "timestamp")),
        description=_text(row, "title") or None,
        total_clicks=int(clicks) if isinstance(clicks, int | float) else None,
        total_has_robots=True,
    )


def _add_click(grouped: dict[_HistoryKey, list[Any]], row: DumpRow) -> None:
    """Count one logged click in its link's day and dimension values (a big log becomes a
    few groups a day, each dated by its latest click)."""
    at = parse_time(_text(row, "click_time"))
    if at is None:
        return
    referrer = _text(row, "referrer")
    one = visit(
        at,
        user_agent=_text(row, "user_agent") or None,
        referrer=None if referrer in ("", "direct") else referrer,
        country=_text(row, "country_code") or None,
    )
    key = (_text(row, "shorturl"), at.date(), one.is_bot, tuple(sorted(one.values.items())))
    entry = grouped.setdefault(key, [0, at])
    entry[0] += 1
    if at > entry[1]:
        entry[1] = at


class YourlsApi:
    """`yourls-api.php?action=stats&filter=last` (newest first) from the cursor's offset."""

    kind = "yourls"

    def __init__(self, api: RemoteApi, signature: str) -> None:
        self.api = api
        self.signature = signature

    async def batches(self, cursor: Mapping[str, Any]) -> AsyncIterator[Batch]:
        start = int(cursor.get("start", 0))
        while True:
            body = await self.api.get(
                "",
                {
                    "action": "stats",
                    "filter": "last",
                    "limit": PAGE_SIZE,
                    "start": start,
                    "format": "json",
                    "signature": self.signature,
                },
            )
            if not isinstance(body, dict) or "stats" not in body:
                raise ImportProblem("not a YOURLS stats answer (no stats)")
            entries = list((body.get("links") or {}).values())
            total = int((body.get("stats") or {}).get("total_links") or 0)
            links = [_api_link(entry) for entry in entries if isinstance(entry, dict)]
            start += len(entries)
            yield Batch(links, {"start": start}, total, len(entries))
            if len(entries) < PAGE_SIZE or start >= total:
                return


def _api_link(entry: Mapping[str, Any]) -> ImportedLink:
    clicks = str(entry.get("clicks") or "0")
    created: datetime | None = parse_time(entry.get("timestamp"))
    return ImportedLink(
        code=str(entry.get("shorturl") or "").rstrip("/").rsplit("/", 1)[-1],
        long_url=str(entry.get("url") or ""),
        created_at=created,
        description=entry.get("title") or None,
        total_clicks=int(clicks) if clicks.isdigit() else None,
        total_has_robots=True,
    )
