"""`shorturl domains …`: list, add, change and remove the short domains links may be made on,
on the local database (as the operator) or on a remote server (`--url`, an admin's
`--api-key`) through the SDK; both answer with the SDK's result types."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from shorturl.client._http import NOT_GIVEN
from shorturl.console.exits import EXIT_CODES_HELP, run
from shorturl.console.output import console, print_json, short_time, table
from shorturl.console.target import ApiKeyOption, ServerUrlOption, Target

if TYPE_CHECKING:
    from shorturl.client.domains import AsyncDomains
    from shorturl.client.models import Domain
    from shorturl.domains.local_client import LocalDomains

__all__ = ["domains_app"]

domains_app = typer.Typer(
    help="Short domains (go.example.com beside SHORTURL_BASE_URL): list, add, change the "
    "redirects of, remove. On the local database, or a remote server with --url (an "
    "admin's API key). " + EXIT_CODES_HELP,
    no_args_is_help=True,
)

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
Host = Annotated[str, typer.Argument(help="The host name, with :port if any.", show_default=False)]
_REDIRECT_HELP = "(an empty value removes it)"
RootRedirect = Annotated[
    str | None,
    typer.Option(help=f"Where `GET /` on this host goes {_REDIRECT_HELP}.", show_default=False),
]
NotFoundRedirect = Annotated[
    str | None,
    typer.Option(help=f"Where an unknown code on it goes {_REDIRECT_HELP}.", show_default=False),
]
_SERVED_SOON = "running servers serve the change within 10 s"


@asynccontextmanager
async def _domains(target: Target) -> AsyncIterator[AsyncDomains | LocalDomains]:
    if target.url is not None:
        from shorturl.client import AsyncClient

        async with AsyncClient(target.url, api_key=target.api_key) as client:
            yield client.domains
        return
    from shorturl.domains.local_client import local_domains

    async with local_domains() as domains:
        yield domains


def _rows(domains: list[Domain]) -> list[tuple[object, ...]]:
    return [
        (
            domain.host,
            "yes" if domain.is_default else "",
            domain.links,
            domain.root_redirect or "",
            domain.not_found_redirect or "",
            short_time(domain.created_at),
        )
        for domain in domains
    ]


def _show(domains: list[Domain]) -> None:
    columns = ("host", "default", "links", "root redirect", "not-found redirect", "added")
    console.print(table(columns, _rows(domains), whole=("host",)))


@domains_app.command("list")
def list_domains(
    as_json: AsJson = False, url: ServerUrlOption = None, api_key: ApiKeyOption = None
) -> None:
    """The default domain first, then every added one, with how many links each holds."""

    async def work() -> list[Domain]:
        async with _domains(Target(url, api_key)) as domains:
            return await domains.list()

    found = run(work())
    print_json(found) if as_json else _show(found)


@domains_app.command("add")
def add(
    host: Host,
    root_redirect: RootRedirect = None,
    not_found_redirect: NotFoundRedirect = None,
    as_json: AsJson = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Serve short links on HOST too (point its DNS at the server first)."""

    async def work() -> Domain:
        async with _domains(Target(url, api_key)) as domains:
            return await domains.add(
                host,
                root_redirect=root_redirect or None,
                not_found_redirect=not_found_redirect or None,
            )

    added = run(work())
    if as_json:
        print_json(added)
    else:
        _show([added])
        typer.echo(f"added {added.host}: {_SERVED_SOON}", err=True)


@domains_app.command("update")
def update(
    host: Host,
    root_redirect: RootRedirect = None,
    not_found_redirect: NotFoundRedirect = None,
    as_json: AsJson = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Change HOST's redirects: only the options given change."""
    changes: dict[str, Any] = {
        "root_redirect": NOT_GIVEN if root_redirect is None else root_redirect or None,
        "not_found_redirect": (
            NOT_GIVEN if not_found_redirect is None else not_found_redirect or None
        ),
    }
    if all(value is NOT_GIVEN for value in changes.values()):
        raise typer.BadParameter("give --root-redirect or --not-found-redirect (or both)")

    async def work() -> Domain:
        async with _domains(Target(url, api_key)) as domains:
            return await domains.update(host, **changes)

    changed = run(work())
    print_json(changed) if as_json else _show([changed])


@domains_app.command("remove")
def remove(
    host: Host,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Stop serving HOST (refused while links, deleted ones too, are on it)."""
    if not yes:
        typer.confirm(f"Stop serving short links on {host}?", abort=True)

    async def work() -> str:
        async with _domains(Target(url, api_key)) as domains:
            return (await domains.remove(host)).host or host

    typer.echo(f"removed {run(work())}: {_SERVED_SOON}")
