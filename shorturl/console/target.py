"""Where a command acts: the local database, or with `--url` a remote server through the SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from shorturl.console.exits import ExitCode, fail

if TYPE_CHECKING:
    from shorturl.client.urls import AsyncUrls
    from shorturl.links.local_client import LocalUrls

__all__ = ["ApiKeyOption", "ServerUrlOption", "Target", "open_urls"]

_PANEL = "Remote server (default: the local database)"

ServerUrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="SHORTURL_URL",
        help="Act on this shorturl server through its API (e.g. https://sho.rt) instead of "
        "the local database of SHORTURL_DATABASE_URL.",
        rich_help_panel=_PANEL,
        show_default=False,
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="SHORTURL_API_KEY",
        help="API key for --url (sk_live_…).",
        rich_help_panel=_PANEL,
        show_default=False,
    ),
]


class Target:
    """The `--url`/`--api-key` a command was given (None: the local database)."""

    def __init__(self, url: str | None, api_key: str | None) -> None:
        if api_key and not url:
            # Most likely a forgotten --url: acting on the local database instead would
            # surprise.
            fail(
                "--api-key (or SHORTURL_API_KEY) needs --url (or SHORTURL_URL): without it, "
                "commands act on the local database",
                ExitCode.USAGE,
            )
        self.url = url or None
        self.api_key = api_key

    @property
    def is_remote(self) -> bool:
        return self.url is not None


@asynccontextmanager
async def open_urls(
    target: Target, as_user: str | None = None
) -> AsyncIterator[AsyncUrls | LocalUrls]:
    """The `urls` operations of the target: `AsyncClient.urls` remotely, else `LocalUrls`
    (the server's modules load only then)."""
    if target.url is not None:
        if as_user is not None:
            fail(
                "--owner works on the local database only; remotely, links belong to the "
                "API key's user",
                ExitCode.USAGE,
            )
        from shorturl.client import AsyncClient

        async with AsyncClient(target.url, api_key=target.api_key) as client:
            yield client.urls
        return
    from shorturl.links.local_client import local_urls

    async with local_urls(as_user) as urls:
        yield urls
