"""`shorturl links export` and `shorturl links import`: short URLs to and from CSV files.

An export has one row per link (the columns of `EXPORT_COLUMNS`; tags joined by commas) and
imports back as it is: each row keeps its code (as a custom alias), target, description,
tags, expiry, click limit and disabled state. An import needs only a `long_url` (or `url`)
column; `short_code` (or `custom_alias`, `alias`), `description`, `tags`,
`expiration_date` (or `expires_at`), `max_clicks` and `status` are used when present, other
columns ignored. A row that fails is reported with its line number and the others go on.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shorturl.client.errors import CustomAliasTaken, ShortURLError
from shorturl.console.exits import ExitCode, describe, fail, run
from shorturl.console.target import ApiKeyOption, ServerUrlOption, Target, open_urls

if TYPE_CHECKING:
    from shorturl.client.models import Link
    from shorturl.client.urls import AsyncUrls
    from shorturl.links.local_client import LocalUrls

__all__ = ["EXPORT_COLUMNS", "export_links", "import_links", "link_row", "read_rows"]

EXPORT_COLUMNS = (
    "short_code",
    "short_url",
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
_ALIASES = {
    "long_url": ("long_url", "url"),
    "custom_alias": ("short_code", "custom_alias", "alias"),
    "description": ("description",),
    "tags": ("tags",),
    "expiration_date": ("expiration_date", "expires_at"),
    "max_clicks": ("max_clicks",),
    "status": ("status",),
}
PAGE_SIZE = 100

FileArgument = Annotated[
    str, typer.Argument(help="CSV file, or - for standard output/input.", show_default=False)
]


def link_row(link: Link) -> dict[str, Any]:
    data = link.to_dict()
    row = {column: data.get(column) for column in EXPORT_COLUMNS}
    row["tags"] = ",".join(link.tags)
    row["owner"] = link.owner.username if link.owner else ""
    return {key: "" if value is None else value for key, value in row.items()}


@dataclass(frozen=True)
class ImportRow:
    line: int
    values: dict[str, Any]
    disabled: bool


def read_rows(source: IO[str]) -> list[ImportRow]:
    """The rows of an import file; a missing `long_url` column is a usage error."""
    reader = csv.DictReader(source)
    header = {name.strip().lower(): name for name in reader.fieldnames or []}
    if not any(name in header for name in _ALIASES["long_url"]):
        fail("the CSV file needs a long_url (or url) column", ExitCode.USAGE)
    rows = []
    for record in reader:
        values: dict[str, Any] = {}
        for field, names in _ALIASES.items():
            for name in names:
                cell = (record.get(header[name]) or "").strip() if name in header else ""
                if cell:
                    values[field] = cell
                    break
        if "tags" in values:
            values["tags"] = [tag.strip() for tag in values["tags"].split(",") if tag.strip()]
        if "max_clicks" in values:
            values["max_clicks"] = (
                int(values["max_clicks"])
                if values["max_clicks"].isdigit()
                else values["max_clicks"]
            )
        disabled = values.pop("status", "") == "disabled"
        rows.append(ImportRow(reader.line_num, values, disabled))
    return rows


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


@contextmanager
def _opened(path: str, mode: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout if "w" in mode else sys.stdin
        return
    try:
        with Path(path).open(mode, newline="", encoding="utf-8") as handle:
            yield handle
    except OSError as error:
        fail(f"cannot open {path}: {error.strerror}", ExitCode.FAILED)


def export_links(
    path: FileArgument,
    status: Annotated[
        str | None, typer.Option(help="Only links in this state (active, expired, disabled).")
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Only links with this tag.")] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Part of the code, URL or description.")
    ] = None,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Export short URLs to CSV (oldest first), with a progress bar."""
    filters: dict[str, Any] = {
        "status": status,
        "tag": tag,
        "q": search,
        "sort": "created_at",
        "order": "asc",
    }

    async def work(output: IO[str]) -> int:
        writer = csv.DictWriter(output, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        written = 0
        async with open_urls(Target(url, api_key)) as urls:
            with _progress() as progress:
                task = progress.add_task("exporting", total=None)
                while True:
                    page = await urls.list_page(limit=PAGE_SIZE, offset=written, **filters)
                    progress.update(task, total=page.pagination.total)
                    writer.writerows(link_row(link) for link in page.urls)
                    written += len(page.urls)
                    progress.update(task, completed=written)
                    if not page.pagination.has_more or not page.urls:
                        return written

    with _opened(path, "w") as output:
        count = run(work(output))
    typer.echo(f"exported {count} link{'s' if count != 1 else ''}", err=True)


def import_links(
    path: FileArgument,
    keep_codes: Annotated[
        bool,
        typer.Option(
            "--keep-codes/--new-codes",
            help="Give each link the code in its short_code column, or a new random one.",
        ),
    ] = True,
    skip_existing: Annotated[
        bool,
        typer.Option(
            "--skip-existing", help="A code that exists already is skipped, not an error."
        ),
    ] = False,
    owner: Annotated[
        str | None,
        typer.Option(help="Local database only: the user the links belong to.", show_default=False),
    ] = None,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Import short URLs from CSV (an export, or any file with a long_url column), with a
    progress bar. Failed rows are listed with their line; the exit code is then 1."""
    with _opened(path, "r") as source:
        rows = read_rows(source)

    async def work() -> tuple[int, int, list[str]]:
        created = skipped = 0
        problems: list[str] = []
        async with open_urls(Target(url, api_key), as_user=owner) as urls:
            with _progress() as progress:
                task = progress.add_task("importing", total=len(rows))
                for row in rows:
                    try:
                        await _import_row(urls, row, keep_codes)
                        created += 1
                    except CustomAliasTaken as error:
                        if skip_existing:
                            skipped += 1
                        else:
                            problems.append(f"line {row.line}: {describe(error)}")
                    except ShortURLError as error:
                        if error.status is None or error.status >= 500 or error.status == 429:
                            raise  # the server is gone or refusing: stop here
                        problems.append(f"line {row.line}: {describe(error)}")
                    progress.advance(task)
        return created, skipped, problems

    created, skipped, problems = run(work())
    for problem in problems:
        typer.secho(problem, err=True, fg="red")
    summary = f"imported {created}, skipped {skipped}, failed {len(problems)}"
    typer.echo(summary, err=True)
    if problems:
        raise typer.Exit(int(ExitCode.FAILED))


async def _import_row(urls: AsyncUrls | LocalUrls, row: ImportRow, keep_codes: bool) -> None:
    values = dict(row.values)
    if not keep_codes:
        values.pop("custom_alias", None)
    link = await urls.create(values.pop("long_url", ""), **values)
    if row.disabled:
        await urls.update(link.short_code, status="disabled")
