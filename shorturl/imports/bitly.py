"""Bitly: its v4 API (`GET /v4/groups/{guid}/bitlinks`, page by page through
`pagination.next`, and each bitlink's daily clicks from `/v4/bitlinks/{id}/clicks?unit=day
&units=-1`, bearer token) or the CSV its dashboard exports.

A bitlink's code is its back-half (`bit.ly/3xYzAbc` → `3xYzAbc`); each of its custom
back-halves (`custom_bitlinks`) becomes a link of its own to the same target, so every
address people have keeps working. Archived bitlinks are imported disabled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from shorturl.imports.records import (
    Batch,
    ImportedClicks,
    ImportedLink,
    ImportProblem,
    parse_time,
)
from shorturl.imports.remote import RemoteApi
from shorturl.imports.tables import FileLinks, TableFile, count, normalised, pick

__all__ = ["DEFAULT_API", "BitlyApi", "BitlyCsv"]

DEFAULT_API: Final = "https://api-ssl.bitly.com"
PAGE_SIZE: Final = 100
# Column names of Bitly's exports (normalised: case, spaces and `_` do not matter).
_CODE_COLUMNS: Final = ("bitlink", "link", "short link", "short url", "shortlink", "id")
_TARGET_COLUMNS: Final = ("long url", "long_url", "destination", "original url")


def back_half(bitlink: str) -> str:
    """`https://bit.ly/3xYz`, `bit.ly/3xYz` → `3xYz`."""
    return bitlink.strip().rstrip("/").rsplit("/", 1)[-1]


class BitlyApi:
    kind = "bitly"

    def __init__(self, api: RemoteApi, group: str | None = None, *, clicks: bool = True) -> None:
        self.api = api
        self.group = group
        self.clicks = clicks

    async def batches(self, cursor: Mapping[str, Any]) -> AsyncIterator[Batch]:
        url = cursor.get("next") or self.api.url(
            f"/v4/groups/{quote(await self._group(), safe='')}/bitlinks", {"size": PAGE_SIZE}
        )
        while url:
            body = await self.api.get_url(str(url))
            if not isinstance(body, dict) or not isinstance(body.get("links"), list):
                raise ImportProblem("not a Bitly bitlinks answer (no links)")
            pagination = body.get("pagination") or {}
            url = pagination.get("next") or ""
            links: list[ImportedLink] = []
            for item in body["links"]:
                links += await self._links(item)
            total = pagination.get("total")
            yield Batch(
                links, {"next": url}, int(total) if total is not None else None, len(body["links"])
            )

    async def _group(self) -> str:
        if self.group:
            return self.group
        user = await self.api.get("/v4/user")
        group = user.get("default_group_guid") if isinstance(user, dict) else None
        if not group:
            raise ImportProblem("Bitly did not say the account's default group: give --group")
        return str(group)

    async def _links(self, item: Mapping[str, Any]) -> list[ImportedLink]:
        bitlink = str(item.get("id") or item.get("link") or "")
        main = ImportedLink(
            code=back_half(bitlink),
            long_url=str(item.get("long_url") or ""),
            created_at=parse_time(item.get("created_at")),
            expires_at=parse_time(item.get("expiration_at")),
            description=item.get("title") or None,
            tags=[str(tag) for tag in item.get("tags") or []],
            disabled=bool(item.get("archived")),
        )
        if self.clicks and bitlink:
            main.history = await self._daily_clicks(bitlink)
        extras = [
            ImportedLink(
                code=back_half(str(custom)),
                long_url=main.long_url,
                created_at=main.created_at,
                expires_at=main.expires_at,
                description=main.description,
                tags=main.tags,
                disabled=main.disabled,
            )
            for custom in item.get("custom_bitlinks") or []
            if back_half(str(custom)) != main.code
        ]
        return [main, *extras]

    async def _daily_clicks(self, bitlink: str) -> list[ImportedClicks]:
        body = await self.api.get(
            f"/v4/bitlinks/{quote(bitlink, safe='/')}/clicks", {"unit": "day", "units": -1}
        )
        found = []
        for entry in (body or {}).get("link_clicks") or []:
            at: datetime | None = parse_time(entry.get("date"))
            clicks = entry.get("clicks")
            if at is not None and isinstance(clicks, int) and clicks > 0:
                found.append(ImportedClicks(at, clicks))
        return found


class BitlyCsv(FileLinks):
    """A Bitly CSV export: bitlink, long URL, title, created, tags, clicks (dated on
    creation: the export has totals only)."""

    kind = "bitly"

    def __init__(self, data: bytes) -> None:
        table = TableFile(data, required=(), any_of=_CODE_COLUMNS)
        if not any(normalised(name) in table.header for name in _TARGET_COLUMNS):
            raise ImportProblem("the CSV file has no long URL column")
        super().__init__([_csv_link(row) for row in table.rows])


def _csv_link(row: Mapping[str, str]) -> ImportedLink:
    tags = pick(row, "tags")
    return ImportedLink(
        code=back_half(pick(row, *_CODE_COLUMNS)),
        long_url=pick(row, *_TARGET_COLUMNS),
        created_at=parse_time(pick(row, "created", "created at", "date created")),
        description=pick(row, "title") or None,
        tags=[tag.strip() for tag in tags.replace("|", ",").split(",") if tag.strip()],
        disabled=pick(row, "archived").lower() in ("true", "yes", "1"),
        total_clicks=count(pick(row, "clicks", "total clicks", "engagements")),
    )
