"""Rows of a MySQL dump (`mysqldump` output) read without a MySQL server: the column names
of each `CREATE TABLE`, and the values of each `INSERT INTO … VALUES (…),(…);` as Python
strings, ints, floats or None."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from shorturl.imports.records import ImportProblem

__all__ = ["DumpRow", "dump_rows"]

DumpRow = dict[str, str | int | float | None]

_CREATE: Final = re.compile(r"CREATE TABLE\s+(?:IF NOT EXISTS\s+)?`?(\w+)`?\s*\(", re.IGNORECASE)
_COLUMN: Final = re.compile(r"^\s*`(\w+)`\s+\w", re.MULTILINE)
_INSERT: Final = re.compile(
    r"INSERT\s+(?:IGNORE\s+)?INTO\s+`?(\w+)`?\s*(\(([^)]*)\))?\s*VALUES\s*", re.IGNORECASE
)
_ESCAPES: Final = {"0": "\0", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "b": "\b"}
_NUMBER: Final = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def dump_rows(text: str, tables: set[str]) -> Iterator[tuple[str, DumpRow]]:
    """(table, row by column name) for every row inserted into one of `tables`, in order.
    Columns come from the INSERT's column list, else from the table's CREATE TABLE."""
    columns: dict[str, list[str]] = {}
    for create in _CREATE.finditer(text):
        body_end = text.find(";", create.end())
        body = text[create.end() : body_end if body_end >= 0 else len(text)]
        columns[create[1]] = _COLUMN.findall(body)
    position = 0
    while (match := _INSERT.search(text, position)) is not None:
        table = match[1]
        names = (
            [name.strip().strip("`") for name in match[3].split(",")]
            if match[3]
            else columns.get(table)
        )
        rows, position = _tuples(text, match.end())
        if table not in tables:
            continue
        if not names:
            raise ImportProblem(f"the dump inserts into {table} without naming its columns")
        for values in rows:
            if len(values) != len(names):
                raise ImportProblem(f"a row of {table} has {len(values)} values, not {len(names)}")
            yield table, dict(zip(names, values, strict=True))


def _tuples(text: str, position: int) -> tuple[list[list[str | int | float | None]], int]:
    """The `(…)` of one VALUES list from `position`, and the position of its `;`."""
    rows: list[list[str | int | float | None]] = []
    length = len(text)
    while position < length:
        char = text[position]
        if char in " \t\r\n,":
            position += 1
        elif char == ";":
            return rows, position
        elif char == "(":
            values, position = _tuple(text, position + 1)
            rows.append(values)
        else:
            raise ImportProblem(f"unexpected {char!r} in an INSERT at character {position}")
    return rows, position


def _tuple(text: str, position: int) -> tuple[list[str | int | float | None], int]:
    values: list[str | int | float | None] = []
    length = len(text)
    while position < length:
        char = text[position]
        if char in " \t\r\n,":
            position += 1
        elif char == ")":
            return values, position + 1
        elif char == "'":
            value, position = _string(text, position + 1)
            values.append(value)
        elif text.startswith(("NULL", "null"), position):
            values.append(None)
            position += 4
        else:
            number = _NUMBER.match(text, position)
            if number is None:
                raise ImportProblem(f"unreadable value in an INSERT at character {position}")
            values.append(float(number[0]) if number[1] or number[2] else int(number[0]))
            position = number.end()
    raise ImportProblem("the dump ends inside an INSERT")


def _string(text: str, position: int) -> tuple[str, int]:
    parts: list[str] = []
    length = len(text)
    start = position
    while position < length:
        char = text[position]
        if char == "\\" and position + 1 < length:
            parts.append(text[start:position])
            escaped = text[position + 1]
            parts.append(_ESCAPES.get(escaped, escaped))
            position += 2
            start = position
        elif char == "'":
            if text.startswith("''", position):  # a doubled quote is one quote
                parts.append(text[start : position + 1])
                position += 2
                start = position
                continue
            parts.append(text[start:position])
            return "".join(parts), position + 1
        else:
            position += 1
    raise ImportProblem("the dump ends inside a string")
