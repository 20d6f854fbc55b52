"""Exported files: `TableFile` reads a CSV into rows by normalised column name, and
`FileLinks` hands a file's links out in batches from a cursor (the index of the next link),
the same on every run of one file."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final

from shorturl.imports.records import Batch, ImportedLink, ImportProblem

__all__ = ["BATCH_SIZE", "FileLinks", "TableFile", "count", "decoded", "normalised", "pick"]

BATCH_SIZE: Final = 200


def normalised(name: str) -> str:
    """`Short Code`, `short_code`, `shortCode` → `shortcode`."""
    return "".join(char for char in name.lower() if char.isalnum())


def decoded(data: bytes, what: str = "file") -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportProblem(f"the {what} is not UTF-8 text") from None


def count(text: str | None) -> int | None:
    """A click count cell (`1,234` too); None when empty or not a number."""
    cleaned = (text or "").replace(",", "").replace(" ", "")
    return int(cleaned) if cleaned.isdigit() else None


class TableFile:
    """The rows of a CSV file, each a dict of normalised column name → stripped cell."""

    def __init__(self, data: bytes, *, required: tuple[str, ...], any_of: tuple[str, ...] = ()):
        reader = csv.reader(io.StringIO(decoded(data, "CSV file"), newline=""))
        try:
            header = [normalised(name) for name in next(reader, [])]
            self.rows = [
                {name: cell.strip() for name, cell in zip(header, record, strict=False) if name}
                for record in reader
                if any(cell.strip() for cell in record)
            ]
        except csv.Error as error:
            raise ImportProblem(f"not a CSV file: {error}") from None
        missing = [name for name in required if normalised(name) not in header]
        if any_of and not any(normalised(name) in header for name in any_of):
            missing.append(" or ".join(any_of))
        if missing:
            raise ImportProblem(f"the CSV file has no {', '.join(missing)} column")
        self.header = header


class FileLinks:
    """A file's links, read whole, handed out in batches from the cursor `{"next": i}`."""

    def __init__(self, links: list[ImportedLink]) -> None:
        self.links = links

    async def batches(self, cursor: Mapping[str, Any]) -> AsyncIterator[Batch]:
        start = int(cursor.get("next", 0))
        for begin in range(start, len(self.links), BATCH_SIZE):
            chunk = self.links[begin : begin + BATCH_SIZE]
            yield Batch(chunk, {"next": begin + len(chunk)}, len(self.links), len(chunk))


def pick(row: Mapping[str, str], *names: str) -> str:
    """The first non-empty cell among these column names (normalised)."""
    for name in names:
        value = row.get(normalised(name))
        if value:
            return value
    return ""
