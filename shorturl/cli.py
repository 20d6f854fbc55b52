"""The `shorturl` command line: one Typer group per domain, each a thin layer over services."""

from __future__ import annotations

import logging
import os
from typing import Annotated

import typer

from shorturl.worker.commands import worker as worker_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="shorturl",
    help="A self-hosted URL shortener with click analytics.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option(min=1, help="Web processes.")] = 1,
    server: Annotated[str, typer.Option(help="ASGI server: uvicorn or granian.")] = "uvicorn",
    migrate: Annotated[bool, typer.Option(help="Apply database migrations first.")] = True,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    worker: Annotated[
        bool, typer.Option(help="Consume clicks in this process (needed without Redis).")
    ] = True,
) -> None:
    """Run the web service (the embedded default is the whole system: SQLite, in-process cache)."""
    from shorturl.config import Settings
    from shorturl.storage.migrate import upgrade

    settings = Settings()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if not worker:
        if settings.embedded:
            raise typer.BadParameter("--no-worker needs SHORTURL_REDIS_URL", param_hint="--worker")
        os.environ["SHORTURL_WORKER_IN_PROCESS"] = "false"  # read by each web process
    if migrate:
        upgrade(settings.database_url)
    if server == "granian":
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
    if server != "uvicorn":
        raise typer.BadParameter("server must be 'uvicorn' or 'granian'", param_hint="--server")
    import uvicorn

    uvicorn.run(
        "shorturl.app:build_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=access_log,
        proxy_headers=False,
        server_header=False,
        date_header=False,
    )


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
