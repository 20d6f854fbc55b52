"""`shorturl import shlink|yourls|kutt|bitly|csv`: import links with their tags, expiry and
click history into the local database, with a progress bar. A run that stops (Ctrl-C, a
network failure) is continued by running the same command again; running it once more
after it finished changes nothing. `shorturl import FILE` (no source) stays the plain CSV
import of `shorturl links import`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer import _click as click  # the click Typer is built on
from typer.core import TyperGroup

from shorturl.console.exits import ExitCode, fail
from shorturl.imports.records import ImportProblem
from shorturl.links.csv_files import import_links

__all__ = ["import_app"]


class _SourceOrCsvFile(TyperGroup):
    """`shorturl import FILE …`, from before there were sources, still imports a CSV file."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "links-csv", self.commands["links-csv"], args
        return super().resolve_command(ctx, args)


import_app = typer.Typer(
    cls=_SourceOrCsvFile,
    help="Import links, tags, expiry and click history from Shlink, YOURLS, Kutt, Bitly or a "
    "shorturl CSV, into the local database. Resumable: run the same command again to continue "
    "a stopped import; a finished one imported again changes nothing. Codes are kept; a code "
    "taken here is reported, never overwritten.",
    no_args_is_help=True,
)
import_app.command("links-csv", hidden=True)(import_links)

FileArgument = Annotated[
    Path | None,
    typer.Argument(
        help="The exported file (no file: read the API of --api-url).",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
]
ApiUrl = Annotated[str | None, typer.Option(help="The API's address.", show_default=False)]
_KEY_ENV = "SHORTURL_IMPORT_API_KEY"  # keeps the key out of the process list
ApiKey = Annotated[
    str | None,
    typer.Option(help="The API key of that API.", envvar=_KEY_ENV, show_default=False),
]
Owner = Annotated[
    str | None,
    typer.Option(
        help="The user the links belong to (email, username or id; their monthly quota "
        "applies). Default: nobody, as the operator.",
        show_default=False,
    ),
]
Restart = Annotated[
    bool, typer.Option("--restart", help="Start over instead of continuing a stopped import.")
]
History = Annotated[
    bool, typer.Option("--history/--no-history", help="API: fetch each link's clicks too.")
]


@import_app.command("shlink")
def shlink(
    file: FileArgument = None,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    owner: Owner = None,
    restart: Restart = False,
    history: History = True,
) -> None:
    """From Shlink: its REST API v3 (--api-url https://shlink.example --api-key …: links,
    tags, meta and every visit) or the CSV export of its web client."""
    _import("shlink", file, api_url, api_key, owner, restart, history=history)


@import_app.command("yourls")
def yourls(
    file: FileArgument = None,
    api_url: Annotated[
        str | None,
        typer.Option(help="The yourls-api.php address.", show_default=False),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            help="The signature token of that YOURLS.", envvar=_KEY_ENV, show_default=False
        ),
    ] = None,
    table_prefix: Annotated[str, typer.Option(help="The dump's table prefix.")] = "yourls_",
    owner: Owner = None,
    restart: Restart = False,
) -> None:
    """From YOURLS: a mysqldump of its database (yourls_url and yourls_log: every logged
    click) or its API (links and click counts)."""
    _import("yourls", file, api_url, api_key, owner, restart, table_prefix=table_prefix)


@import_app.command("kutt")
def kutt(
    api_url: Annotated[str, typer.Option(help="Kutt's address (https://kutt.it).")],
    api_key: Annotated[str, typer.Option(help="Kutt API key (X-API-KEY).", envvar=_KEY_ENV)],
    owner: Owner = None,
    restart: Restart = False,
) -> None:
    """From Kutt's API v2: links, descriptions, expiry, bans and visit counts."""
    _import("kutt", None, api_url, api_key, owner, restart)


@import_app.command("bitly")
def bitly(
    file: FileArgument = None,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", "--token", help="Bitly access token.", envvar=_KEY_ENV),
    ] = None,
    group: Annotated[
        str | None, typer.Option(help="Group guid (default: the account's).", show_default=False)
    ] = None,
    api_url: Annotated[
        str | None,
        typer.Option(
            help="The API's address (default https://api-ssl.bitly.com).", show_default=False
        ),
    ] = None,
    owner: Owner = None,
    restart: Restart = False,
    history: History = True,
) -> None:
    """From Bitly: its v4 API (--token: bitlinks, tags, daily clicks) or a CSV export."""
    if file is None and api_key is None:
        fail("give an exported CSV file or --token", ExitCode.USAGE)
    _import("bitly", file, api_url, api_key, owner, restart, group=group, history=history)


@import_app.command("csv")
def csv_file(
    file: Annotated[
        Path, typer.Argument(help="A shorturl CSV export.", exists=True, dir_okay=False)
    ],
    owner: Owner = None,
    restart: Restart = False,
) -> None:
    """From a shorturl CSV export (codes, tags, expiry, click counts), resumable. For new
    codes, stdin or a remote server, use `shorturl links import`."""
    _import("csv", file, None, None, owner, restart)


def _import(
    source: str,
    file: Path | None,
    api_url: str | None,
    api_key: str | None,
    owner: str | None,
    restart: bool,
    **options: Any,
) -> None:
    import asyncio

    from shorturl.imports.service import ImportRequest

    data = file.read_bytes() if file is not None else None

    async def work() -> Any:
        from shorturl.accounts import service as accounts
        from shorturl.config import Settings
        from shorturl.imports.service import open_import, run_import
        from shorturl.runtime import Runtime

        runtime = Runtime(Settings())
        try:
            owner_id = None
            if owner is not None:
                async with runtime.database.sessionmaker() as session:
                    user = await accounts.find_user(session, owner)
                if user is None:
                    fail(f"no user {owner!r}", ExitCode.NOT_FOUND)
                owner_id = user.id
            request = ImportRequest(
                source,
                data=data,
                file_name=file.name if file is not None else None,
                api_url=api_url,
                api_key=api_key,
                owner_id=owner_id,
                **options,
            )
            job_id, resumed = await open_import(runtime, request, restart=restart)
            if resumed:
                typer.echo(f"continuing import job {job_id}", err=True)
            with _progress() as progress:
                task = progress.add_task(f"{source} → links", total=None)

                def advance(view: Any) -> None:
                    progress.update(task, completed=view.processed, total=view.total)

                return await run_import(runtime, job_id, request, advance)
        finally:
            await runtime.close()

    try:
        view = asyncio.run(work())
    except ImportProblem as problem:
        fail(str(problem), ExitCode.FAILED)
    for item in view.problems[:50]:
        typer.secho(f"{item['kind']}: {item['code']}: {item['problem']}", err=True, fg="red")
    if len(view.problems) > 50 or view.clashes + view.failed > len(view.problems):
        typer.echo(f"… see the import job {view.id} for the rest", err=True)
    typer.echo(
        f"job {view.id}: {view.status}; read {view.processed}, created {view.created}, "
        f"unchanged {view.unchanged}, clashes {view.clashes}, failed {view.failed}, "
        f"clicks {view.clicks}",
        err=True,
    )
    if view.error:
        fail(f"{view.error} (run the same command again to continue)", ExitCode.FAILED)
    if view.clashes or view.failed:
        raise typer.Exit(int(ExitCode.FAILED))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
