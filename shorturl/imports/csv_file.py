"""shorturl's own CSV (an export of this or another shorturl, or any file in the import
format of links/csv_format.py) as an import source that keeps codes, creation dates and
click counts (`click_count`, dated on creation), resumable like the others."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from shorturl.imports.records import ImportedLink, ImportProblem, parse_time
from shorturl.imports.tables import FileLinks, count, decoded
from shorturl.links.csv_format import CsvProblem, read_import_rows

__all__ = ["ShorturlCsv"]


class ShorturlCsv(FileLinks):
    kind = "csv"

    def __init__(self, data: bytes) -> None:
        text = decoded(data, "CSV file")
        try:
            rows = list(read_import_rows(io.StringIO(text, newline="")))
        except CsvProblem as problem:
            raise ImportProblem(str(problem)) from None
        # The columns the import format leaves out, read from the same rows.
        extras = list(csv.DictReader(io.StringIO(text, newline="")))
        super().__init__(
            [
                _link(row.values, row.disabled, extra)
                for row, extra in zip(rows, extras, strict=True)
            ]
        )


def _link(values: Mapping[str, Any], disabled: bool, extra: Mapping[str, Any]) -> ImportedLink:
    max_clicks = values.get("max_clicks")
    return ImportedLink(
        code=str(values.get("custom_alias") or ""),
        long_url=str(values.get("long_url") or ""),
        created_at=parse_time(extra.get("created_at")),
        expires_at=parse_time(values.get("expiration_date")),
        max_clicks=max_clicks if isinstance(max_clicks, int) else None,
        description=values.get("description"),
        tags=list(values.get("tags") or []),
        disabled=disabled,
        total_clicks=count(extra.get("click_count")),
    )
