"""Shlink: its REST API v3 (short URLs with tags and meta, then each one's visits) or the
CSV the Shlink web client exports (`createdAt,domain,shortCode,shortUrl,longUrl,title,tags,
visits`, tags joined by `|`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Final
from urllib.parse import quote

from shorturl.imports.records import (
    Batch,
    ImportedClicks,
    ImportedLink,
    ImportProblem,
    parse_time,
    visit,
)
from shorturl.imports.remote import RemoteApi
from shorturl.imports.tables import FileLinks, TableFile, count, pick

__all__ = ["ShlinkApi", "ShlinkCsv"]

PAGE_SIZE: Final = 100
VISITS_PAGE_SIZE: Final = 1000


class ShlinkApi:
    """`GET /rest/v3/short-urls` page by page (the cursor is the next page), and for each
    short URL with visits, `GET /rest/v3/short-urls/{shortCode}/visits` (every page)."""

    kind = "shlink"

    def __init__(self, api: RemoteApi, *, visits: bool = True) -> None:
        self.api = api
        self.visits = visits

    async def batches(self, cursor: Mapping[str, Any]) -> AsyncIterator[Batch]:
        page = int(cursor.get("page", 1))
        while True:
            body = await self.api.get(
                "/rest/v3/short-urls",
                {"page": page, "itemsPerPage": PAGE_SIZE, "orderBy": "dateCreated-ASC"},
            )
            try:
                listing = body["shortUrls"]
                items: list[dict[str, Any]] = listing["data"]
                pagination = listing.get("pagination") or {}
            except (KeyError, TypeError):
                raise ImportProblem("not a Shlink short-urls answer (no shortUrls.data)") from None
            links = [await self._link(item) for item in items]
            pages = int(pagination.get("pagesCount") or page)
            total = pagination.get("totalItems")
            yield Batch(links, {"page": page + 1}, int(total) if total is not None else None)
            if page >= pages or not items:
                return
            page += 1

    async def _link(self, item: Mapping[str, Any]) -> ImportedLink:
        link = _shlink_link(item)
        total = link.total_clicks or 0
        if self.visits and total > 0:
            link.history = await self._visits(item)
        return link

    async def _visits(self, item: Mapping[str, Any]) -> list[ImportedClicks]:
        path = f"/rest/v3/short-urls/{quote(str(item['shortCode']), safe='')}/visits"
        domain = item.get("domain")
        found: list[ImportedClicks] = []
        page = 1
        while True:
            body = await self.api.get(
                path, {"page": page, "itemsPerPage": VISITS_PAGE_SIZE, "domain": domain}
            )
            try:
                data = body["visits"]["data"]
                pages = int((body["visits"].get("pagination") or {}).get("pagesCount") or page)
            except (KeyError, TypeError):
                raise ImportProblem("not a Shlink visits answer (no visits.data)") from None
            for entry in data:
                at = parse_time(entry.get("date"))
                if at is None:
                    continue
                location = entry.get("visitLocation") or {}
                found.append(
                    visit(
                        at,
                        user_agent=entry.get("userAgent") or None,
                        referrer=entry.get("referer") or None,
                        country=location.get("countryCode") or None,
                        is_bot=bool(entry.get("potentialBot")),
                    )
                )
            if page >= pages or not data:
                return found
            page += 1


def _shlink_link(item: Mapping[str, Any]) -> ImportedLink:
    meta = item.get("meta") or {}
    summary = item.get("visitsSummary") or {}
    humans = summary.get("nonBots", summary.get("total", item.get("visitsCount")))
    return ImportedLink(
        code=str(item.get("shortCode") or ""),
        long_url=str(item.get("longUrl") or ""),
        created_at=parse_time(item.get("dateCreated")),
        expires_at=parse_time(meta.get("validUntil")),
        max_clicks=meta.get("maxVisits") if isinstance(meta.get("maxVisits"), int) else None,
        description=item.get("title") or None,
        tags=[str(tag) for tag in item.get("tags") or []],
        total_clicks=int(humans) if humans is not None else None,
    )


class ShlinkCsv(FileLinks):
    """The web client's CSV export: links, tags and visit counts (dated on creation)."""

    kind = "shlink"

    def __init__(self, data: bytes) -> None:
        table = TableFile(data, required=("shortCode", "longUrl"))
        super().__init__([_csv_link(row) for row in table.rows])


def _csv_link(row: Mapping[str, str]) -> ImportedLink:
    tags = pick(row, "tags")
    separator = "|" if "|" in tags else ","
    return ImportedLink(
        code=pick(row, "shortCode"),
        long_url=pick(row, "longUrl"),
        created_at=parse_time(pick(row, "createdAt", "dateCreated")),
        description=pick(row, "title") or None,
        tags=[tag.strip() for tag in tags.split(separator) if tag.strip()],
        total_clicks=count(pick(row, "visits", "visitsCount")),
    )
