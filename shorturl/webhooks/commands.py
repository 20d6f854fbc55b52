"""`shorturl webhooks …`: list, create, delete, test a server's webhooks and read their
delivery log, over its API (`--url`/`--api-key`) through the SDK; and, on the local database,
the keys that encrypt webhook secrets at rest (`new-key`, `reencrypt`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from shorturl.console.exits import EXIT_CODES_HELP, ExitCode, fail, run
from shorturl.console.output import console, print_json, short_time, table
from shorturl.console.target import ApiKeyOption, ServerUrlOption

if TYPE_CHECKING:
    from shorturl.client.models import Webhook, WebhookCreated, WebhookDelivery
    from shorturl.client.webhooks import AsyncWebhooks

__all__ = ["webhooks_app"]

webhooks_app = typer.Typer(
    help="Webhooks of your account on a shorturl server (--url, --api-key): list, create, "
    "delete, send a test ping, read the delivery log. " + EXIT_CODES_HELP,
    no_args_is_help=True,
)


class Event(StrEnum):
    clicked = "url.clicked"
    created = "url.created"
    updated = "url.updated"
    deleted = "url.deleted"
    expired = "url.expired"


AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
WebhookId = Annotated[str, typer.Argument(help="The webhook's id (wh_…).", show_default=False)]


@asynccontextmanager
async def _webhooks(url: str | None, api_key: str | None) -> AsyncIterator[AsyncWebhooks]:
    # Webhooks belong to an account, and the API knows whose: there is no local-database mode.
    if not url or not api_key:
        fail(
            "webhooks are managed through a server's API: give --url and --api-key "
            "(or SHORTURL_URL and SHORTURL_API_KEY)",
            ExitCode.USAGE,
        )
    from shorturl.client import AsyncClient

    async with AsyncClient(url, api_key=api_key) as client:
        yield client.webhooks


def _rows(hooks: list[Webhook]) -> list[tuple[object, ...]]:
    return [
        (
            hook.webhook_id,
            hook.url,
            ", ".join(hook.events),
            "yes" if hook.is_active else "no",
            hook.consecutive_failures,
            short_time(hook.created_at),
        )
        for hook in hooks
    ]


def _delivery_rows(deliveries: list[WebhookDelivery]) -> list[tuple[object, ...]]:
    return [
        (
            delivery.delivery_id,
            delivery.event,
            delivery.status,
            delivery.attempts,
            delivery.response_status or "",
            (delivery.last_error or "")[:60],
            short_time(delivery.created_at),
        )
        for delivery in deliveries
    ]


@webhooks_app.command("list")
def list_webhooks(
    as_json: AsJson = False, url: ServerUrlOption = None, api_key: ApiKeyOption = None
) -> None:
    """Your webhooks, as a table or --json."""

    async def work() -> list[Webhook]:
        async with _webhooks(url, api_key) as webhooks:
            return await webhooks.list()

    hooks = run(work())
    if as_json:
        print_json(hooks)
    elif not hooks:
        console.print("no webhooks")
    else:
        columns = ("id", "url", "events", "active", "failures", "created")
        console.print(table(columns, _rows(hooks)))


@webhooks_app.command("create")
def create(
    target: Annotated[str, typer.Argument(help="The URL to call (https).", show_default=False)],
    events: Annotated[
        list[Event],
        typer.Option(
            "--event", "-e", help="An event to send (repeat for more).", show_default=False
        ),
    ],
    secret: Annotated[
        str | None,
        typer.Option(help="Signs deliveries (16+ characters); made for you when left out."),
    ] = None,
    as_json: AsJson = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Register a webhook; prints its id and the signing secret (shown this once)."""

    async def work() -> WebhookCreated:
        async with _webhooks(url, api_key) as webhooks:
            return await webhooks.create(
                target, events=[event.value for event in events], secret=secret
            )

    created = run(work())
    if as_json:
        print_json(created)
        return
    print(created.webhook_id)
    typer.echo(f"signing secret (shown this once): {created.secret}", err=True)


@webhooks_app.command("delete")
def delete(
    webhook_id: WebhookId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Remove a webhook and its delivery log."""
    if not yes:
        typer.confirm(f"Delete webhook {webhook_id} and its delivery log?", abort=True)

    async def work() -> str:
        async with _webhooks(url, api_key) as webhooks:
            return (await webhooks.delete(webhook_id)).webhook_id or webhook_id

    typer.echo(f"deleted {run(work())}")


@webhooks_app.command("test")
def test(
    webhook_id: WebhookId,
    as_json: AsJson = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Send a signed `ping` now and say how the receiver answered (exit 1 if it failed)."""

    async def work() -> WebhookDelivery:
        async with _webhooks(url, api_key) as webhooks:
            return await webhooks.test(webhook_id)

    delivery = run(work())
    if as_json:
        print_json(delivery)
    else:
        answer = f"HTTP {delivery.response_status}" if delivery.response_status else "no answer"
        detail = f": {delivery.last_error}" if delivery.last_error else ""
        print(f"{delivery.status} ({answer}){detail} [{delivery.delivery_id}]")
    if delivery.status != "delivered":
        raise typer.Exit(int(ExitCode.FAILED))


@webhooks_app.command("deliveries")
def deliveries(
    webhook_id: WebhookId,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="How many to skip.")] = 0,
    every: Annotated[
        bool, typer.Option("--all", help="The whole log (ignores --limit/--offset).")
    ] = False,
    as_json: AsJson = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """A webhook's delivery log, newest first: event, status, attempts, the receiver's answer."""

    async def work() -> tuple[list[WebhookDelivery], int]:
        async with _webhooks(url, api_key) as webhooks:
            if every:
                found = [delivery async for delivery in webhooks.deliveries(webhook_id)]
                return found, len(found)
            page = await webhooks.deliveries_page(webhook_id, limit=limit, offset=offset)
            return page.deliveries, page.pagination.total

    found, total = run(work())
    if as_json:
        print_json(found)
        return
    columns = ("id", "event", "status", "attempts", "answer", "error", "created")
    console.print(table(columns, _delivery_rows(found), title=f"{len(found)} of {total}"))


@webhooks_app.command("new-key")
def new_key_command() -> None:
    """Print a new key for SHORTURL_ENCRYPTION_KEYS (put it first, then `reencrypt`)."""
    from shorturl.webhooks.secret_box import new_key

    typer.echo(new_key())


@webhooks_app.command("reencrypt")
def reencrypt_command() -> None:
    """Encrypt every webhook secret with the first of SHORTURL_ENCRYPTION_KEYS (secrets
    stored before encryption, or under an older key). Then older keys can be dropped."""
    from shorturl.webhooks.secret_box import SecretUnreadable

    try:
        changed = asyncio.run(_reencrypt())
    except (SecretUnreadable, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{changed} webhook secret(s) re-encrypted")


async def _reencrypt() -> int:
    from shorturl.config import Settings
    from shorturl.storage.db import Database
    from shorturl.storage.secrets import load_or_create_secret
    from shorturl.webhooks import service
    from shorturl.webhooks.secret_box import secret_box_for

    settings = Settings()
    database = Database(settings.database_url)
    try:
        secret_keys = settings.secret_keys or [
            await load_or_create_secret(database.sessionmaker, "secret_key")
        ]
        box = secret_box_for(settings.encryption_keys, secret_keys)
        async with database.sessionmaker() as session:
            changed = await service.reencrypt(session, box)
            await session.commit()
        return changed
    finally:
        await database.dispose()
