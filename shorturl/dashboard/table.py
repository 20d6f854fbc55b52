"""The links table's view in the query string: search, filters, sort, page — bookmarkable.

Values that make no sense fall back to the defaults instead of failing: an old bookmark
should still open.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlencode

from shorturl.links.models import LinkStatus
from shorturl.links.repository import LinkFilter

__all__ = ["SORTS", "LinkTableQuery", "Page", "page_of"]

SORTS: Final = {"created": "created_at", "clicks": "click_count", "last_click": "last_clicked_at"}
PAGE_SIZES: Final = (20, 50, 100)
STATUSES: Final = tuple(status for status in LinkStatus.ALL if status != LinkStatus.DELETED)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _number(text: str | None, default: int, highest: int) -> int:
    if not text or not text.isdigit() or len(text) > 9:
        return default
    return max(1, min(int(text), highest))


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LinkTableQuery:
    q: str = ""
    status: str = ""
    tag: str = ""
    created_from: date | None = None
    created_to: date | None = None
    sort: str = "created"
    order: str = "desc"
    page: int = 1
    per_page: int = 20
    owner: int | None = None  # admins only: one user's links

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> LinkTableQuery:
        sort = params.get("sort", "created")
        owner = params.get("owner", "")
        per_page = _number(params.get("per_page"), 20, 100)
        return cls(
            q=params.get("q", "").strip()[:200],
            status=params.get("status", "") if params.get("status") in STATUSES else "",
            tag=params.get("tag", "").strip()[:64],
            created_from=_date(params.get("created_from")),
            created_to=_date(params.get("created_to")),
            sort=sort if sort in SORTS else "created",
            order="asc" if params.get("order") == "asc" else "desc",
            page=_number(params.get("page"), 1, 10**6),
            per_page=per_page if per_page in PAGE_SIZES else 20,
            owner=int(owner) if owner.isdigit() and len(owner) < 10 else None,
        )

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.status or self.tag or self.created_from or self.created_to)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def link_filter(self, *, as_admin: bool) -> LinkFilter:
        """The selection for the links service (which keeps non-admins to their own links)."""
        by_owner = as_admin and self.owner is not None
        return LinkFilter(
            owner_id=self.owner if by_owner else None,
            all_owners=not by_owner,
            status=self.status or None,
            tag=self.tag or None,
            query=self.q or None,
            created_from=_midnight(self.created_from) if self.created_from else None,
            created_to=_midnight(self.created_to) + timedelta(days=1) if self.created_to else None,
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The query-string values that differ from the defaults."""
        values = asdict(replace(self, **changes))
        default = LinkTableQuery()
        shown: dict[str, str] = {}
        for item in fields(self):
            value = values[item.name]
            if value != getattr(default, item.name) and value not in (None, ""):
                shown[item.name] = value.isoformat() if isinstance(value, date) else str(value)
        return shown

    def url(self, base: str, **changes: Any) -> str:
        encoded = urlencode(self.params(**changes))
        return f"{base}?{encoded}" if encoded else base

    def canonical_url(self, base: str, params: Mapping[str, str]) -> str | None:
        """Where to send a browser whose query string has empty, default or invalid table
        values (a GET form sends every field): the same view with a tidy, bookmarkable URL.
        None when the URL is already tidy. Other parameters are kept."""
        names = {item.name for item in fields(self)}
        given = {key: value for key, value in params.items() if key in names}
        if given == self.params():
            return None
        others = [(key, value) for key, value in params.items() if key not in names]
        tidy = self.url(base)
        if others:
            tidy += ("&" if "?" in tidy else "?") + urlencode(others)
        return tidy

    def sort_url(self, base: str, key: str) -> str:
        """Sort by `key`, newest/largest first; clicking the current column flips the order."""
        order = "asc" if self.sort == key and self.order == "desc" else "desc"
        return self.url(base, sort=key, order=order, page=1)

    def sort_state(self, key: str) -> str | None:
        """`aria-sort` of a column header."""
        if self.sort != key:
            return None
        return "descending" if self.order == "desc" else "ascending"


@dataclass(frozen=True, slots=True)
class Page:
    number: int
    pages: int
    total: int
    first_shown: int
    last_shown: int
    previous_url: str | None
    next_url: str | None


def page_of(query: LinkTableQuery, base: str, total: int, shown: int) -> Page:
    pages = max(1, math.ceil(total / query.per_page))
    return Page(
        number=query.page,
        pages=pages,
        total=total,
        first_shown=query.offset + 1 if shown else 0,
        last_shown=query.offset + shown,
        previous_url=query.url(base, page=query.page - 1) if query.page > 1 else None,
        next_url=query.url(base, page=query.page + 1) if query.page < pages else None,
    )
