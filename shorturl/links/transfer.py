"""CSV import and export of a user's links: the service side of `/urls/import`,
`/urls/export` and the CLI's local `import`/`export` (formats in links/csv_format.py).

An import is a bulk create whose items come from CSV rows (at most `MAX_BULK_ITEMS` a
request; the SDK and CLI send big files in chunks). An export streams the links page by
page, each page read in a short session of its own, so a large export holds no transaction
open and little memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shorturl.errors import ValidationFailed
from shorturl.links.bulk import MAX_BULK_ITEMS, BulkEntry, entry_from
from shorturl.links.csv_format import CsvProblem, ImportRow, csv_lines, read_import_rows
from shorturl.links.presenter import link_out
from shorturl.links.repository import LinkFilter, LinkRepository

__all__ = ["MAX_IMPORT_BYTES", "export_csv", "export_total", "import_entries", "parse_import"]

MAX_IMPORT_BYTES: Final = 10 * 1024 * 1024
_EXPORT_PAGE: Final = 500


def parse_import(data: bytes, *, keep_codes: bool = True) -> list[ImportRow]:
    """The rows of an uploaded CSV file; ValidationFailed when it cannot be imported at all
    (not UTF-8, not CSV, no long_url column, more than 1,000 rows)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationFailed(f"The CSV file is over {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("The CSV file must be UTF-8 text") from None
    rows: list[ImportRow] = []
    try:
        for row in read_import_rows(text.splitlines(keepends=True), keep_codes=keep_codes):
            if len(rows) == MAX_BULK_ITEMS:
                raise ValidationFailed(
                    f"At most {MAX_BULK_ITEMS} rows per import; send a bigger file in parts",
                    details={"max_rows": MAX_BULK_ITEMS},
                )
            rows.append(row)
    except CsvProblem as problem:
        raise ValidationFailed(str(problem)) from None
    if not rows:
        raise ValidationFailed("The CSV file has no rows to import")
    return rows


def import_entries(rows: list[ImportRow]) -> list[BulkEntry]:
    """The bulk-create entries of these rows (a row marked disabled is created disabled)."""
    return [entry_from(index, row.values, disabled=row.disabled) for index, row in enumerate(rows)]


async def export_total(session: AsyncSession, spec: LinkFilter) -> int:
    """How many links an export of `spec` holds (for a progress bar)."""
    return await LinkRepository(session).count(spec)


async def export_csv(
    sessionmaker: async_sessionmaker[AsyncSession], spec: LinkFilter, base_url: str
) -> AsyncIterator[str]:
    """The CSV text of the links matching `spec`, oldest first, one chunk per page."""
    yield csv_lines([], header=True)
    after = 0
    while True:
        async with sessionmaker() as session:
            page = await LinkRepository(session).page_after(spec, after, _EXPORT_PAGE)
            chunk = csv_lines(
                (link_out(link, base_url).model_dump(mode="json") for link in page), header=False
            )
        if not page:
            return
        yield chunk
        after = page[-1].id
