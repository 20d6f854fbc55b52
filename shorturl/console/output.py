"""How commands print: JSON for scripts (`--json`), rich tables and panels for people."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from shorturl.client.objects import ApiObject

__all__ = ["SPARK_LEVELS", "console", "print_json", "short_time", "sparkline", "table"]

console = Console()
errors = Console(stderr=True)
SPARK_LEVELS = "▁▂▃▄▅▆▇█"


def print_json(value: Any) -> None:
    """`value` (results, lists of them, plain data) as indented JSON on stdout."""
    print(json.dumps(_plain(value), indent=2, ensure_ascii=False))


def _plain(value: Any) -> Any:
    if isinstance(value, ApiObject):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def short_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    whole: Sequence[str] = (),
) -> Table:
    """A table of `rows`; cells too wide fold, except in the `whole` columns (ids, hosts)."""
    grid = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold", no_wrap=column in whole)
    for row in rows:
        grid.add_row(*("" if cell is None else str(cell) for cell in row))
    return grid


def sparkline(values: Sequence[int]) -> str:
    """`▁▃█▅`: one block per value, scaled to the largest (all zero: a flat line)."""
    top = max(values, default=0)
    if top <= 0:
        return SPARK_LEVELS[0] * len(values)
    last = len(SPARK_LEVELS) - 1
    return "".join(
        SPARK_LEVELS[0] if value <= 0 else SPARK_LEVELS[max(1, round(value / top * last))]
        for value in values
    )
