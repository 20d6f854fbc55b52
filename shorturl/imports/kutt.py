"""Kutt: its API v2 (`GET /api/v2/links?limit=&skip=`, key in `X-API-KEY`). Each link keeps
its address, target, description, expiry (`expire_in`), ban (imported disabled) and
`visit_count` (dated on its creation: Kutt's API has no per-visit history)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Final

from shorturl.imports.records import Batch, ImportedLink, ImportProblem, parse_time
from shorturl.imports.remote import RemoteApi

__all__ = ["KuttApi"]

PAGE_SIZE: Final = 50


class KuttApi:
    kind = "kutt"

    def __init__(self, api: RemoteApi) -> None:
        self.api = api

    async def batches(self, cursor: Mapping[str, Any]) -> AsyncIterator[Batch]:
        skip = int(cursor.get("skip", 0))
        while True:
            body = await self.api.get("/api/v2/links", {"limit": PAGE_SIZE, "skip": skip})
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise ImportProblem("not a Kutt links answer (no data)")
            items = body["data"]
            total = body.get("total")
            skip += len(items)
            links = [_link(item) for item in items if isinstance(item, dict)]
            yield Batch(
                links, {"skip": skip}, int(total) if total is not None else None, len(items)
            )
            if not items or len(items) < PAGE_SIZE or (total is not None and skip >= int(total)):
                return


def _link(item: Mapping[str, Any]) -> ImportedLink:
    visits = item.get("visit_count")
    return ImportedLink(
        code=str(item.get("address") or ""),
        long_url=str(item.get("target") or ""),
        created_at=parse_time(item.get("created_at")),
        expires_at=parse_time(item.get("expire_in")),
        description=item.get("description") or None,
        tags=[
            str(tag.get("name", tag)) if isinstance(tag, dict) else str(tag)
            for tag in item.get("tags") or []
        ],
        disabled=bool(item.get("banned")),
        total_clicks=int(visits) if isinstance(visits, int) else None,
    )
