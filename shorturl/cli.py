"""The `shorturl` command line: one Typer group per domain, each a thin layer over services."""

from __future__ import annotations

import contextlib
import logging
import logging.config
import os
import socket
from enum import StrEnum
from typing import Annotated, Any

import typer

from shorturl.accounts.commands import keys_app, users_app
from shorturl.analytics.commands import analytics_app
from shorturl.analytics.commands import stats as stats_command
from shorturl.links.commands import links_app
from shorturl.links.csv_files import export_links, import_links
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


# The service's own logs (and every library's that propagates) at INFO on stderr.
APP_LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"app": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "app": {"class": "logging.StreamHandler", "formatter": "app", "stream": "ext://sys.stderr"}
    },
    "root": {"handlers": ["app"], "level": "INFO"},
}


def _merged_logging(server_logging: dict[str, Any]) -> dict[str, Any]:
    """The server's own logging config with APP_LOGGING added."""
    return {
        **server_logging,
        "formatters": {**server_logging.get("formatters", {}), **APP_LOGGING["formatters"]},
        "handlers": {**server_logging.get("handlers", {}), **APP_LOGGING["handlers"]},
        "root": APP_LOGGING["root"],
    }


db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(links_app, name="links")
app.add_typer(analytics_app, name="analytics")
# `shorturl import`/`export`, short for `shorturl links import`/`export`.
app.command("import")(import_links)
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
    logging.config.dictConfig(APP_LOGGING)
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
        _serve(host, port, workers, server, access_log)


def _serve(host: str, port: int, workers: int, server: AsgiServer, access_log: bool) -> None:
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
        log_config=_merged_logging(LOGGING_CONFIG),
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
