"""CSV import and export for `client.urls.import_csv()` / `export_csv()`.

An import file of any size is sent in parts of at most 1,000 rows (the server's limit per
request), each with the header line, and the answers are put together as one `BulkResult`
whose `index` and `row` count from the start of the whole file. An export is streamed
from `GET /urls/export` into a file (or returned as text), reporting progress as it goes.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from shorturl.client.models import BulkResult

__all__ = [
    "IMPORT_CHUNK",
    "CsvPart",
    "CsvSource",
    "Progress",
    "count_rows",
    "export_params",
    "merge_results",
    "read_source",
    "split_csv",
]

IMPORT_CHUNK: Final = 1000
CsvSource = str | os.PathLike[str] | IO[str] | IO[bytes]
# Called with (rows done, rows in all, when known) after each part.
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class CsvPart:
    offset: int  # rows of the file before this part
    rows: int
    text: str  # the header line, then this part's rows


def read_source(source: CsvSource) -> str:
    """The text of a CSV file given as a path or an open file (text or binary)."""
    if isinstance(source, str | os.PathLike):
        return Path(source).read_text(encoding="utf-8-sig")
    data = source.read()
    return data.decode("utf-8-sig") if isinstance(data, bytes) else data


def split_csv(text: str, chunk: int = IMPORT_CHUNK) -> list[CsvPart]:
    """The file in parts of at most `chunk` rows, each a CSV file of its own."""
    records = csv.reader(io.StringIO(text, newline=""))
    header = next(records, None)
    if header is None:
        return []
    parts: list[CsvPart] = []
    offset = 0
    for rows in _batches(records, chunk):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        parts.append(CsvPart(offset, len(rows), buffer.getvalue()))
        offset += len(rows)
    if not parts:  # header only: let the server say what it thinks of it
        parts.append(CsvPart(0, 0, text))
    return parts


def merge_results(parts: list[tuple[int, BulkResult]]) -> BulkResult:
    """One result out of the results of each part (`offset`, result)."""
    created: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for offset, result in parts:
        for target, items in ((created, result.raw["created"]), (failed, result.raw["failed"])):
            for item in items:
                moved = dict(item, index=item["index"] + offset)
                if item.get("row") is not None:
                    moved["row"] = item["row"] + offset
                target.append(moved)
    summary = {"total": len(created) + len(failed), "created": len(created), "failed": len(failed)}
    return BulkResult.from_data({"created": created, "failed": failed, "summary": summary})


def export_params(status: str | None, tag: str | None, q: str | None) -> dict[str, str]:
    given = {"status": status, "tag": tag, "q": q}
    return {name: value for name, value in given.items() if value is not None}


def count_rows(chunk: str) -> int:
    """Rows ended in this piece of an export (the server ends each with CRLF); an estimate
    when a value itself holds a CRLF, which is good enough for a progress bar."""
    return chunk.count("\r\n")


def _batches(records: Iterator[list[str]], size: int) -> Iterator[list[list[str]]]:
    batch: list[list[str]] = []
    for record in records:
        if not any(cell.strip() for cell in record):
            continue  # blank line
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
