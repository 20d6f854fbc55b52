"""The CSV form of links, shared by the API (`/urls/export`, `/urls/import`), the SDK and the
CLI: the export's columns, one link as a row, and an import file read into rows.

An export has one row per link, with the columns of the v1 link object in `EXPORT_COLUMNS`
(tags joined by commas, the owner by username), and imports back as it is. An import needs
only a `long_url` (or `url`) column; `short_code` (or `custom_alias`, `alias`),
`description`, `tags`, `expiration_date` (or `expires_at`), `max_clicks` and `status` are
used when present, other columns ignored. Rows are numbered from 1, the first after the
header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "EXPORT_COLUMNS",
    "CsvProblem",
    "ImportRow",
    "csv_lines",
    "csv_row",
    "read_import_rows",
]

EXPORT_COLUMNS: Final = (
    "short_code",
    "short_url",
    "domain",  # empty for the default domain
    "long_url",
    "description",
    "tags",
    "expiration_date",
    "max_clicks",
    "status",
    "click_count",
    "last_clicked_at",
    "created_at",
    "updated_at",
    "owner",
)
_ALIASES: Final = {
    "long_url": ("long_url", "url"),
    "custom_alias": ("short_code", "custom_alias", "alias"),
    "domain": ("domain",),
    "description": ("description",),
    "tags": ("tags",),
    "expiration_date": ("expiration_date", "expires_at"),
    "max_clicks": ("max_clicks",),
    "status": ("status",),
}


class CsvProblem(ValueError):
    """The file as a whole cannot be imported (no long_url column, not CSV)."""


@dataclass(frozen=True, slots=True)
class ImportRow:
    row: int  # 1 = the first row after the header
    values: dict[str, Any]  # what `POST /urls` takes
    disabled: bool  # status "disabled" in the file


def csv_row(link: Mapping[str, Any]) -> dict[str, Any]:
    """One link (the v1 link object as JSON) as a row of `EXPORT_COLUMNS`."""
    row = {column: link.get(column) for column in EXPORT_COLUMNS}
    row["tags"] = ",".join(link.get("tags") or [])
    owner = link.get("owner")
    row["owner"] = (owner.get("username") if isinstance(owner, Mapping) else owner) or ""
    return {key: "" if value is None else value for key, value in row.items()}


def csv_lines(links: Iterable[Mapping[str, Any]], *, header: bool) -> str:
    """CSV text of these links (with the header line first when `header`)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    if header:
        writer.writeheader()
    writer.writerows(csv_row(link) for link in links)
    return buffer.getvalue()


def read_import_rows(lines: Iterable[str], *, keep_codes: bool = True) -> Iterator[ImportRow]:
    """The rows of an import file, as they are read. CsvProblem when there is no long_url
    column. With `keep_codes=False`, the short_code column is ignored (new random codes)."""
    reader = csv.DictReader(lines)
    try:
        names = reader.fieldnames or []
    except csv.Error as exc:
        raise CsvProblem(f"not a CSV file: {exc}") from None
    header = {name.strip().lower(): name for name in names if name}
    if not any(name in header for name in _ALIASES["long_url"]):
        raise CsvProblem("the CSV file needs a long_url (or url) column")
    try:
        for number, record in enumerate(reader, start=1):
            yield _import_row(number, record, header, keep_codes)
    except csv.Error as exc:
        raise CsvProblem(f"CSV error after row {reader.line_num}: {exc}") from None


def _import_row(
    number: int, record: Mapping[str, Any], header: Mapping[str, str], keep_codes: bool
) -> ImportRow:
    values: dict[str, Any] = {}
    for field, names in _ALIASES.items():
        for name in names:
            cell = record.get(header[name]) if name in header else None
            cell = cell.strip() if isinstance(cell, str) else ""
            if cell:
                values[field] = cell
                break
    if not keep_codes:
        values.pop("custom_alias", None)
    if "tags" in values:
        values["tags"] = [tag.strip() for tag in values["tags"].split(",") if tag.strip()]
    if "max_clicks" in values and values["max_clicks"].isdigit():
        values["max_clicks"] = int(values["max_clicks"])
    disabled = values.pop("status", "") == "disabled"
    values.setdefault("long_url", "")
    return ImportRow(number, values, disabled)
