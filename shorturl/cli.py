"""The `shorturl` command line: one Typer group per domain, each a thin layer over services."""

from __future__ import annotations

import contextlib
import logging
import logging.config
import os
import socket
from enum import StrEnum
from typing import Annotated

import typer

from shorturl.accounts.commands import keys_app, users_app
from shorturl.analytics.commands import analytics_app
from shorturl.analytics.commands import stats as stats_command
from shorturl.domains.commands import domains_app
from shorturl.imports.commands import import_app
from shorturl.links.commands import links_app
from shorturl.links.csv_files import export_links
from shorturl.logs import logging_config
from shorturl.webhooks.commands import webhooks_app
from shorturl.worker.commands import worker as worker_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="shorturl",
    help="A self-hosted URL shortener with click analytics.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


class AsgiServer(StrEnum):
    uvicorn = "uvicorn"
    granian = "granian"


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(links_app, name="links")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(domains_app, name="domains")
app.add_typer(analytics_app, name="analytics")
# `shorturl export`, short for `shorturl links export`; `shorturl import FILE` too, beside
# the importers from other shorteners (`shorturl import shlink|yourls|kutt|bitly|csv`).
app.add_typer(import_app, name="import")
app.command("export")(export_links)
app.command("stats")(stats_command)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, help="Web processes.")] = 1,
    server: Annotated[AsgiServer, typer.Option(help="ASGI server.")] = AsgiServer.uvicorn,
    migrate: Annotated[bool, typer.Option(help="Apply database migrations first.")] = True,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    worker: Annotated[
        bool, typer.Option(help="Store clicks with this server (or run `shorturl worker`).")
    ] = True,
    worker_inside: Annotated[
        bool,
        typer.Option(
            help="Store clicks inside the web process, not in a process of its own:"
            " one process less, fewer redirects a second at full load."
        ),
    ] = False,
) -> None:
    """Run the web service (the embedded default is the whole system: SQLite, in-process cache)."""
    from shorturl.config import Settings
    from shorturl.storage.migrate import upgrade

    settings = Settings()
    logging.config.dictConfig(logging_config(settings.log_format))
    if not worker and worker_inside:
        raise typer.BadParameter("--worker-inside and --no-worker exclude each other")
    if not worker and not settings.clicks_leave_the_process:
        raise typer.BadParameter(
            "--no-worker needs SHORTURL_REDIS_URL or a SQLite database file",
            param_hint="--worker",
        )
    # The worker in a process of its own wherever the clicks can reach one (worker/process.py).
    beside = worker and not worker_inside and settings.clicks_leave_the_process
    if not worker or beside:
        os.environ["SHORTURL_WORKER_IN_PROCESS"] = "false"  # read by each web process
    _refuse_busy_port(host, port)
    if migrate:
        upgrade(settings.database_url)
    worker_process: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if beside:
        from shorturl.worker.process import WorkerProcess

        worker_process = WorkerProcess().beside()
    with worker_process:
        _serve(host, port, workers, server, access_log, settings.log_format)


def _serve(
    host: str, port: int, workers: int, server: AsgiServer, access_log: bool, log_format: str
) -> None:
    """The web server, until it is stopped."""
    if server is AsgiServer.granian:
        from granian import Granian
        from granian.constants import Interfaces, Loops

        Granian(
            "shorturl.app:build_app",
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            loop=Loops.uvloop,
            factory=True,
            log_access=access_log,
        ).serve()
        return
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    uvicorn.run(
        "shorturl.app:build_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=access_log,
        # Applied again in every worker process (spawned: they do not inherit the parent's).
        log_config=logging_config(log_format, LOGGING_CONFIG),
        proxy_headers=False,
        server_header=False,
        date_header=False,
    )


def _refuse_busy_port(host: str, port: int) -> None:
    """Stop here when something already listens on host:port.

    Granian would not fail: it listens with SO_REUSEPORT, so a second server on a port shares
    the traffic with the first (another version, another database) without a word.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise typer.BadParameter(
                f"{host}:{port} is not available ({exc.strerror})", param_hint="--port"
            ) from None


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "heads",
) -> None:
    """Apply the database migrations (SQLite or PostgreSQL, from SHORTURL_DATABASE_URL)."""
    from shorturl.config import Settings
    from shorturl.storage.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {settings.database_url.split('@')[-1]} is up to date")


app.command()(worker_command)


def main() -> None:
    app()
