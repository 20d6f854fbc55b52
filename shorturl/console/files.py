"""What the CLI's transfer commands share: a file argument or `-`, and a progress bar."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shorturl.console.exits import ExitCode, fail

__all__ = ["opened", "progress_bar"]


def progress_bar() -> Progress:
    """A bar with done/total and the time left, on standard error (the data may be on stdout)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


@contextmanager
def opened(path: str, mode: str) -> Iterator[IO[str]]:
    """The file at `path` (`-`: standard output or input); a clear failure if it cannot be."""
    if path == "-":
        yield sys.stdout if "w" in mode else sys.stdin
        return
    try:
        with Path(path).open(mode, newline="", encoding="utf-8") as handle:
            yield handle
    except OSError as error:
        fail(f"cannot open {path}: {error.strerror}", ExitCode.FAILED)
