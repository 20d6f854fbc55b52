"""`shorturl links export` and `shorturl links import`: short URLs to and from CSV files.

The formats are those of the API (`shorturl/links/csv_format.py`): an export imports back as
it is, each row keeping its code (as a custom alias), target, description, tags, expiry,
click limit and disabled state. Both run on the bulk paths — locally through the link
service, remotely through `client.urls.import_csv()`/`export_csv()` (1,000 rows a
request) — with a progress bar. A row that fails is reported with its number (1 = the first
row after the header) and the others go on.
"""

from __future__ import annotations

import io
from typing import IO, TYPE_CHECKING, Annotated

import typer

from shorturl.console.exits import ExitCode, fail, run
from shorturl.console.files import opened, progress_bar
from shorturl.console.target import ApiKeyOption, ServerUrlOption, Target, open_urls
from shorturl.links.csv_format import CsvProblem, read_import_rows

if TYPE_CHECKING:
    from shorturl.client.models import BulkResult

__all__ = ["export_links", "import_links"]

FileArgument = Annotated[
    str, typer.Argument(help="CSV file, or - for standard output/input.", show_default=False)
]


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
    """Export short URLs to CSV (oldest first), with a progress bar: locally every link,
    remotely the API key's own."""

    async def work(output: IO[str]) -> int:
        async with open_urls(Target(url, api_key)) as urls:
            with progress_bar() as progress:
                task = progress.add_task("exporting", total=None)

                def advance(done: int, total: int | None) -> None:
                    progress.update(task, completed=done, total=total)

                count = await urls.export_csv(
                    output,
                    status=status,  # type: ignore[arg-type]  # the server checks it
                    tag=tag,
                    q=search,
                    on_progress=advance,
                )
                return int(count)

    with opened(path, "w") as output:
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
    progress bar. Failed rows are listed with their number; the exit code is then 1."""
    with opened(path, "r") as source:
        text = source.read()
    try:
        total = sum(1 for _ in read_import_rows(io.StringIO(text, newline="")))
    except CsvProblem as problem:
        fail(str(problem), ExitCode.USAGE)

    async def work() -> BulkResult:
        async with open_urls(Target(url, api_key), as_user=owner) as urls:
            with progress_bar() as progress:
                task = progress.add_task("importing", total=total)

                def advance(done: int, _total: int | None) -> None:
                    progress.update(task, completed=done)

                return await urls.import_csv(
                    io.StringIO(text), keep_codes=keep_codes, on_progress=advance
                )

    result = run(work())
    skipped = 0
    problems = []
    for item in result.failed:
        if skip_existing and item.code == "CUSTOM_ALIAS_TAKEN":
            skipped += 1
        else:
            problems.append(f"row {item.row}: {item.code}: {item.error}{_details(item.details)}")
    for line in problems:
        typer.secho(line, err=True, fg="red")
    created = result.summary.created
    typer.echo(f"imported {created}, skipped {skipped}, failed {len(problems)}", err=True)
    if problems:
        raise typer.Exit(int(ExitCode.FAILED))


def _details(details: object) -> str:
    if isinstance(details, str) and details:
        return f" ({details})"
    if isinstance(details, list):
        problems = [
            f"{item.get('field')}: {item.get('problem')}"
            for item in details
            if isinstance(item, dict)
        ]
        return f" ({'; '.join(problems)})" if problems else ""
    return ""
