"""`shorturl webhooks …`: the keys that encrypt webhook secrets at rest (secret_box.py)."""

from __future__ import annotations

import asyncio

import typer

__all__ = ["webhooks_app"]

webhooks_app = typer.Typer(
    help="Webhook secrets: make an encryption key, re-encrypt with the newest.",
    no_args_is_help=True,
)


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
        secret_key = settings.secret_key or await load_or_create_secret(
            database.sessionmaker, "secret_key"
        )
        box = secret_box_for(settings.encryption_keys, secret_key)
        async with database.sessionmaker() as session:
            changed = await service.reencrypt(session, box)
            await session.commit()
        return changed
    finally:
        await database.dispose()
