"""The `urls` resource: create, read, change, delete and list short URLs, and what they report.

Each function here describes one API call; `Urls` (sync) and `AsyncUrls` expose them as
methods of `client.urls`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any, Literal

import httpx

from shorturl.client._binding import (
    AsyncResource,
    SyncResource,
    async_call,
    async_pages,
    sync_call,
    sync_pages,
)
from shorturl.client._http import NOT_GIVEN, Call, NotGiven, error_from, path_segment
from shorturl.client.csv_transfer import (
    IMPORT_CHUNK,
    CsvSource,
    Progress,
    count_rows,
    export_params,
    merge_results,
    read_source,
    split_csv,
)
from shorturl.client.models import (
    BulkResult,
    DeletedLink,
    Link,
    LinkAnalytics,
    LinkInfo,
    LinkPage,
    LinkStats,
    QrCodeLinks,
)

__all__ = ["AsyncUrls", "Urls"]

Status = Literal["active", "expired", "disabled", "deleted"]
Sort = Literal["created_at", "updated_at", "click_count", "last_clicked_at"]
Order = Literal["asc", "desc"]
Period = Literal["1h", "24h", "7d", "30d", "90d", "1y", "all"]
Granularity = Literal["hour", "day", "week", "month"]


def create(
    long_url: str,
    *,
    custom_alias: str | None = None,
    expiration_date: datetime | str | None = None,
    max_clicks: int | None = None,
    description: str | None = None,
    tags: Sequence[str] | None = None,
    password: str | None = None,
    rules: Sequence[Mapping[str, Any]] | None = None,
    variants: Sequence[Mapping[str, Any]] | None = None,
    expired_redirect: str | None = None,
    domain: str | None = None,
) -> Call[Link]:
    """Create a short URL (`POST /urls`); random code unless `custom_alias` is given, on
    `domain` (one of the server's short domains) or the default one.

    Smart links (signed in): `password` (visitors enter it first), `rules`
    (`[{"conditions": {"os": "ios"}, "long_url": …}]`, first match wins), `variants`
    (`[{"long_url": …, "weight": 70}, …]`, sticky per daily visitor), `expired_redirect`.

    Raises InvalidUrl, CustomAliasTaken, ValidationError, QuotaExceeded, RateLimited.
    """
    body = {
        "long_url": long_url,
        "custom_alias": custom_alias,
        "expiration_date": expiration_date,
        "max_clicks": max_clicks,
        "description": description,
        "tags": _tag_list(tags) if tags is not None else None,
        "password": password,
        "rules": _plain_list(rules),
        "variants": _plain_list(variants),
        "expired_redirect": expired_redirect,
        "domain": domain,
    }
    return Call(
        "POST", "/urls", Link.from_data, json={k: v for k, v in body.items() if v is not None}
    )


def _plain_list(items: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]] | None:
    return None if items is None else [dict(item) for item in items]


def get(code: str, *, domain: str | None = None) -> Call[Link]:
    """Details of a short URL, with its click count and owner (`GET /urls/{code}`); `domain`
    picks the link of that code on another short domain."""
    return Call("GET", f"/urls/{path_segment(code)}", Link.from_data, params=_on(domain))


def _on(domain: str | None) -> dict[str, str] | None:
    return None if domain is None else {"domain": domain}


def update(
    code: str,
    *,
    long_url: str | NotGiven = NOT_GIVEN,
    expiration_date: datetime | str | None | NotGiven = NOT_GIVEN,
    max_clicks: int | None | NotGiven = NOT_GIVEN,
    description: str | None | NotGiven = NOT_GIVEN,
    tags: Sequence[str] | None | NotGiven = NOT_GIVEN,
    status: Literal["active", "disabled"] | NotGiven = NOT_GIVEN,
    password: str | None | NotGiven = NOT_GIVEN,
    rules: Sequence[Mapping[str, Any]] | None | NotGiven = NOT_GIVEN,
    variants: Sequence[Mapping[str, Any]] | None | NotGiven = NOT_GIVEN,
    expired_redirect: str | None | NotGiven = NOT_GIVEN,
    domain: str | None = None,
) -> Call[Link]:
    """Change a short URL (`PATCH /urls/{code}`): only the arguments given change, and
    `None` clears a field (no expiry, no click limit, no description, no password, no
    rules, no variants, no expired_redirect)."""
    body = {
        "long_url": long_url,
        "expiration_date": expiration_date,
        "max_clicks": max_clicks,
        "description": description,
        "tags": _tag_list(tags) if tags is not None and not isinstance(tags, NotGiven) else tags,
        "status": status,
        "password": password,
        "rules": rules if isinstance(rules, NotGiven) else _plain_list(rules),
        "variants": variants if isinstance(variants, NotGiven) else _plain_list(variants),
        "expired_redirect": expired_redirect,
    }
    given = {k: v for k, v in body.items() if not isinstance(v, NotGiven)}
    # Setting fields to given values is idempotent, so a PATCH here may be retried.
    return Call(
        "PATCH",
        f"/urls/{path_segment(code)}",
        Link.from_data,
        params=_on(domain),
        json=given,
        idempotent=True,
    )


def delete(code: str, *, domain: str | None = None) -> Call[DeletedLink]:
    """Delete a short URL (`DELETE /urls/{code}`); its code is never handed out again."""
    return Call("DELETE", f"/urls/{path_segment(code)}", DeletedLink.from_data, params=_on(domain))


def list_page(
    *,
    limit: int = 20,
    offset: int = 0,
    status: Status | None = None,
    tag: str | None = None,
    q: str | None = None,
    sort: Sort | None = None,
    order: Order | None = None,
) -> Call[LinkPage]:
    """One page of your short URLs (`GET /urls`): `limit` ≤ 100 from `offset`, filtered by
    `status` and `tag`, searched with `q` (code, URL, description), sorted by `sort`/`order`."""
    params = {
        "limit": limit,
        "offset": offset,
        "status": status,
        "tag": tag,
        "q": q,
        "sort": sort,
        "order": order,
    }
    return Call("GET", "/urls", LinkPage.from_data, params=params)


def list_all(
    *,
    status: Status | None = None,
    tag: str | None = None,
    q: str | None = None,
    sort: Sort | None = None,
    order: Order | None = None,
    page_size: int = 100,
) -> Call[LinkPage]:
    """Every one of your short URLs that matches, fetched `page_size` at a time as you go."""
    return list_page(limit=page_size, offset=0, status=status, tag=tag, q=q, sort=sort, order=order)


def bulk(urls: Iterable[Mapping[str, Any] | str]) -> Call[BulkResult]:
    """Create up to 1,000 short URLs at once (`POST /urls/bulk`). Each item is a long URL or
    a dict like `create`'s arguments; failures are reported per item, not raised."""
    items = [{"long_url": item} if isinstance(item, str) else dict(item) for item in urls]
    return Call("POST", "/urls/bulk", BulkResult.from_data, json={"urls": items})


def import_part(text: str, *, keep_codes: bool = True) -> Call[BulkResult]:
    """Import one CSV file of at most 1,000 rows (`POST /urls/import`)."""
    return Call(
        "POST",
        "/urls/import",
        BulkResult.from_data,
        params={"keep_codes": "true" if keep_codes else "false"},
        content=text.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
    )


def analytics(
    code: str,
    *,
    period: Period = "7d",
    granularity: Granularity = "day",
    include_bots: bool = False,
) -> Call[LinkAnalytics]:
    """Clicks of a short URL over `period`: totals, a time series per `granularity`,
    countries, referrers, devices, browsers, OS (`GET /urls/{code}/analytics`).
    Robots and link-preview fetchers count only with `include_bots`."""
    return Call(
        "GET",
        f"/urls/{path_segment(code)}/analytics",
        LinkAnalytics.from_data,
        params={
            "period": period,
            "granularity": granularity,
            "include_bots": "true" if include_bots else None,
        },
    )


def stats(
    code: str, *, limit: int = 20, offset: int = 0, include_bots: bool = False
) -> Call[LinkStats]:
    """Visit count, unique visitors and one page of visits, newest first
    (`GET /urls/{code}/stats`)."""
    return Call(
        "GET",
        f"/urls/{path_segment(code)}/stats",
        LinkStats.from_data,
        params={
            "limit": limit,
            "offset": offset,
            "include_bots": "true" if include_bots else None,
        },
    )


def all_visits(code: str, *, include_bots: bool = False, page_size: int = 100) -> Call[LinkStats]:
    """Every visit of a short URL, newest first, fetched `page_size` at a time as you go."""
    return stats(code, limit=page_size, offset=0, include_bots=include_bots)


def qr(
    code: str,
    *,
    size: int | None = None,
    format: Literal["png", "svg", "jpg"] | None = None,
    color: str | None = None,
    background: str | None = None,
) -> Call[bytes]:
    """The QR code image of a short URL, as bytes (`GET /qr/{code}`)."""
    return Call(
        "GET",
        f"/qr/{path_segment(code)}",
        bytes,
        params={"size": size, "format": format, "color": color, "background": background},
        expect="bytes",
    )


def qr_links(code: str) -> Call[QrCodeLinks]:
    """Where the QR images of a short URL can be downloaded (`GET /urls/{code}/qr`)."""
    return Call("GET", f"/urls/{path_segment(code)}/qr", QrCodeLinks.from_data)


def info(code: str) -> Call[LinkInfo]:
    """Where a short URL goes, without following it (`GET /{code}/info`, public)."""
    return Call("GET", f"/{path_segment(code)}/info", LinkInfo.from_data, root=True)


EXPORT_PATH = "/api/v1/urls/export"


@contextmanager
def _export_target(file: str | os.PathLike[str] | IO[str] | None) -> Iterator[IO[str]]:
    if file is None:
        yield io.StringIO()
    elif isinstance(file, str | os.PathLike):
        with open(file, "w", encoding="utf-8", newline="") as handle:
            yield handle
    else:
        yield file


ClickFormat = Literal["csv", "ndjson"]


def _clicks_path(code: str) -> str:
    return f"/api/v1/urls/{path_segment(code)}/clicks"


def _clicks_params(
    format: str, start: datetime | str | None, end: datetime | str | None
) -> dict[str, str]:
    params = {"format": format}
    for name, value in (("from", start), ("to", end)):
        if value is not None:
            params[name] = value.isoformat() if isinstance(value, datetime) else value
    return params


class _RowCounter:
    """Rows of a click export seen so far (one a line; CSV's first is its header)."""

    def __init__(self, format: str, total: int | None) -> None:
        self.header = format == "csv"
        self.total = total
        self.lines = 0

    @property
    def done(self) -> int:
        return max(self.lines - 1, 0) if self.header else self.lines

    def add(self, chunk: str, on_progress: Progress | None) -> None:
        self.lines += chunk.count("\n")
        if on_progress is not None:
            on_progress(min(self.done, self.total or self.done), self.total)


def _total(response: httpx.Response) -> int | None:
    value = response.headers.get("x-total-count", "")
    return int(value) if value.isdigit() else None


def _tag_list(tags: Sequence[str]) -> list[str]:
    if isinstance(tags, str):
        raise TypeError("tags must be a list of strings, not one string")
    return list(tags)


class Urls(SyncResource):
    """`client.urls`: short URLs."""

    create = sync_call(create)
    get = sync_call(get)
    update = sync_call(update)
    delete = sync_call(delete)
    list_page = sync_call(list_page)
    list = sync_pages(list_all)
    bulk = sync_call(bulk)
    analytics = sync_call(analytics)
    stats = sync_call(stats)
    visits = sync_pages(all_visits)
    qr = sync_call(qr)
    qr_links = sync_call(qr_links)
    info = sync_call(info)

    def import_csv(
        self,
        source: CsvSource,
        *,
        keep_codes: bool = True,
        on_progress: Progress | None = None,
        rows_per_request: int = IMPORT_CHUNK,
    ) -> BulkResult:
        """Import links from a CSV file (a path or an open file: an export, or any file with
        a `long_url` column), 1,000 rows per request. Each row is created or fails on its
        own, as with `bulk`; `row` numbers count from the first row after the header.
        `keep_codes=False` gives every link a new random code instead of its short_code.
        `on_progress(rows done, rows in all)` is called after each request."""
        parts = split_csv(read_source(source), min(rows_per_request, IMPORT_CHUNK))
        total = sum(part.rows for part in parts)
        results = []
        for part in parts:
            call = import_part(part.text, keep_codes=keep_codes)
            results.append((part.offset, self._client._send(call)))
            if on_progress is not None:
                on_progress(part.offset + part.rows, total)
        return merge_results(results)

    def export_csv(
        self,
        file: str | os.PathLike[str] | IO[str] | None = None,
        *,
        status: Status | None = None,
        tag: str | None = None,
        q: str | None = None,
        on_progress: Progress | None = None,
    ) -> str | int:
        """Your links as CSV (`GET /urls/export`, streamed): written to `file` (a path or an
        open text file), returning how many rows; without `file`, the CSV text."""
        http = self._client._http  # type: ignore[attr-defined]
        params = export_params(status, tag, q)
        with (
            _export_target(file) as output,
            http.stream("GET", EXPORT_PATH, params=params) as response,
        ):
            if response.is_error:
                response.read()
                raise error_from(response)
            total = _total(response)
            done = 0
            for chunk in response.iter_text():
                output.write(chunk)
                done += count_rows(chunk)
                if on_progress is not None:
                    on_progress(min(max(done - 1, 0), total or done), total)
            if file is None:
                assert isinstance(output, io.StringIO)
                return output.getvalue()
            return total if total is not None else max(done - 1, 0)

    def export_clicks(
        self,
        code: str,
        file: str | os.PathLike[str] | IO[str] | None = None,
        *,
        format: ClickFormat = "csv",
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        on_progress: Progress | None = None,
    ) -> str | int:
        """The raw clicks of one short URL in [start, end) (default: the last 30 days; at
        most 366), as CSV or NDJSON (`GET /urls/{code}/clicks`, streamed): written to `file`
        (a path or an open text file), returning how many rows; without `file`, the text."""
        http = self._client._http  # type: ignore[attr-defined]
        with (
            _export_target(file) as output,
            http.stream(
                "GET", _clicks_path(code), params=_clicks_params(format, start, end)
            ) as response,
        ):
            if response.is_error:
                response.read()
                raise error_from(response)
            total = _total(response)
            rows = _RowCounter(format, total)
            for chunk in response.iter_text():
                output.write(chunk)
                rows.add(chunk, on_progress)
            if file is None:
                assert isinstance(output, io.StringIO)
                return output.getvalue()
            return rows.done if total is None else total


class AsyncUrls(AsyncResource):
    """`client.urls` of the AsyncClient: short URLs."""

    create = async_call(create)
    get = async_call(get)
    update = async_call(update)
    delete = async_call(delete)
    list_page = async_call(list_page)
    list = async_pages(list_all)
    bulk = async_call(bulk)
    analytics = async_call(analytics)
    stats = async_call(stats)
    visits = async_pages(all_visits)
    qr = async_call(qr)
    qr_links = async_call(qr_links)
    info = async_call(info)

    async def import_csv(
        self,
        source: CsvSource,
        *,
        keep_codes: bool = True,
        on_progress: Progress | None = None,
        rows_per_request: int = IMPORT_CHUNK,
    ) -> BulkResult:
        """Import links from a CSV file, 1,000 rows per request (see `Urls.import_csv`)."""
        parts = split_csv(read_source(source), min(rows_per_request, IMPORT_CHUNK))
        total = sum(part.rows for part in parts)
        results = []
        for part in parts:
            call = import_part(part.text, keep_codes=keep_codes)
            results.append((part.offset, await self._client._send(call)))
            if on_progress is not None:
                on_progress(part.offset + part.rows, total)
        return merge_results(results)

    async def export_csv(
        self,
        file: str | os.PathLike[str] | IO[str] | None = None,
        *,
        status: Status | None = None,
        tag: str | None = None,
        q: str | None = None,
        on_progress: Progress | None = None,
    ) -> str | int:
        """Your links as CSV, streamed (see `Urls.export_csv`)."""
        http = self._client._http  # type: ignore[attr-defined]
        params = export_params(status, tag, q)
        with _export_target(file) as output:
            async with http.stream("GET", EXPORT_PATH, params=params) as response:
                if response.is_error:
                    await response.aread()
                    raise error_from(response)
                total = _total(response)
                done = 0
                async for chunk in response.aiter_text():
                    output.write(chunk)
                    done += count_rows(chunk)
                    if on_progress is not None:
                        on_progress(min(max(done - 1, 0), total or done), total)
            if file is None:
                assert isinstance(output, io.StringIO)
                return output.getvalue()
            return total if total is not None else max(done - 1, 0)

    async def export_clicks(
        self,
        code: str,
        file: str | os.PathLike[str] | IO[str] | None = None,
        *,
        format: ClickFormat = "csv",
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        on_progress: Progress | None = None,
    ) -> str | int:
        """The raw clicks of one short URL, streamed (see `Urls.export_clicks`)."""
        http = self._client._http  # type: ignore[attr-defined]
        params = _clicks_params(format, start, end)
        with _export_target(file) as output:
            async with http.stream("GET", _clicks_path(code), params=params) as response:
                if response.is_error:
                    await response.aread()
                    raise error_from(response)
                total = _total(response)
                rows = _RowCounter(format, total)
                async for chunk in response.aiter_text():
                    output.write(chunk)
                    rows.add(chunk, on_progress)
            if file is None:
                assert isinstance(output, io.StringIO)
                return output.getvalue()
            return rows.done if total is None else total
