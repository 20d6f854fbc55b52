"""`shorturl users …` and `shorturl keys …`: accounts and API keys on the local database.

Thin over `shorturl.accounts.service` and `shorturl.accounts.api_keys`; they act on the
database of `SHORTURL_DATABASE_URL` (run `shorturl db upgrade` first). A user is named by
email, username or id (`42` or `user_42`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from shorturl.accounts.models import ApiKey, User

__all__ = ["keys_app", "users_app"]

users_app = typer.Typer(
    help="User accounts: create, list, plans, roles, disable.", no_args_is_help=True
)
keys_app = typer.Typer(help="API keys of a user: create, list, revoke.", no_args_is_help=True)

T = TypeVar("T")
Login = Annotated[str, typer.Argument(help="Email, username or id of the user.")]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@asynccontextmanager
async def _session() -> AsyncIterator[AsyncSession]:
    from shorturl.config import Settings
    from shorturl.storage.db import Database

    database = Database(Settings().database_url)
    try:
        async with database.sessionmaker() as session:
            yield session
            await session.commit()
    finally:
        await database.dispose()


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction; an AppError becomes a message and exit code 1."""
    from shorturl.errors import AppError

    async def main() -> T:
        async with _session() as session:
            return await work(session)

    try:
        return asyncio.run(main())
    except AppError as error:
        detail = f": {error.details}" if isinstance(error.details, str) else ""
        typer.secho(f"error: {error.message}{detail}", err=True, fg="red")
        raise typer.Exit(1) from None


async def _user(session: AsyncSession, login: str) -> User:
    from shorturl.accounts.service import find_user
    from shorturl.errors import NotFound

    user = await find_user(session, login)
    if user is None:
        raise NotFound("No such user", details=login)
    return user


def _user_row(user: User) -> dict[str, Any]:
    return {
        "user_id": f"user_{user.id}",
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "plan": user.plan,
        "is_active": user.is_active,
        "created_at": user.created_at.isoformat(),
    }


def _key_row(key: ApiKey, plan: str) -> dict[str, Any]:
    from shorturl.accounts.api_keys import effective_rate_limit

    return {
        "key_id": f"key_{key.id}",
        "name": key.name,
        "key_prefix": f"{key.key_prefix}...",
        "permissions": list(key.permissions),
        "rate_limit": key.rate_limit,
        "effective_rate_limit": effective_rate_limit(key.rate_limit, plan),
        "created_at": key.created_at.isoformat(),
        "last_used": key.last_used_at.isoformat() if key.last_used_at else None,
    }


def _table(rows: list[dict[str, Any]], title: str, columns: tuple[str, ...]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if row[column] is None else str(row[column]) for column in columns))
    Console().print(table if rows else f"no {title.lower()}")


# users


@users_app.command("create")
def create_user(
    email: Annotated[str, typer.Argument(help="Email address.")],
    username: Annotated[str, typer.Argument(help="3–32 of a-z, 0-9, '.', '_', '-'.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="SHORTURL_NEW_USER_PASSWORD",
            help="Asked for when not given (or read from SHORTURL_NEW_USER_PASSWORD).",
        ),
    ],
    display_name: Annotated[str | None, typer.Option(help="Name shown in the UI.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Give the user the admin role.")] = False,
    plan: Annotated[str, typer.Option(help="free, premium or enterprise.")] = "free",
) -> None:
    """Create a user (an administrator with --admin)."""
    from shorturl.accounts.service import NewUser
    from shorturl.accounts.service import create_user as create

    new = NewUser(
        email=email,
        username=username,
        password=password,
        display_name=display_name,
        role="admin" if admin else "user",
        plan=plan,
    )
    user = _run(lambda session: create(session, new))
    typer.echo(f"created user_{user.id} {user.username} <{user.email}> ({user.role}, {user.plan})")


@users_app.command("list")
def list_users(
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Part of email or name.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 100,
    as_json: AsJson = False,
) -> None:
    """List users."""
    from shorturl.accounts.service import list_users as listing

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        users, _ = await listing(session, query=query, limit=limit)
        return [_user_row(user) for user in users]

    rows = _run(work)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        _table(rows, "Users", ("user_id", "username", "email", "role", "plan", "is_active"))


def _change_user(login: str, change: Callable[[AsyncSession, User], Awaitable[User]]) -> None:
    async def work(session: AsyncSession) -> dict[str, Any]:
        return _user_row(await change(session, await _user(session, login)))

    row = _run(work)
    typer.echo(
        f"{row['user_id']} {row['username']}: role {row['role']}, plan {row['plan']}, "
        f"{'active' if row['is_active'] else 'disabled'}"
    )


@users_app.command("set-plan")
def set_plan(
    login: Login, plan: Annotated[str, typer.Argument(help="free, premium or enterprise.")]
) -> None:
    """Move a user to another plan (limits and monthly quota follow at once)."""
    from shorturl.accounts.service import set_plan as change

    _change_user(login, lambda session, user: change(session, user, plan))


@users_app.command("set-role")
def set_role(login: Login, role: Annotated[str, typer.Argument(help="user or admin.")]) -> None:
    """Make a user an administrator, or a plain user again."""
    from shorturl.accounts.service import set_role as change

    _change_user(login, lambda session, user: change(session, user, role))


@users_app.command("disable")
def disable(login: Login) -> None:
    """Disable a user: their tokens and API keys stop working, they cannot sign in."""
    from shorturl.accounts.service import set_active

    _change_user(login, lambda session, user: set_active(session, user, False))


@users_app.command("enable")
def enable(login: Login) -> None:
    """Enable a disabled user again."""
    from shorturl.accounts.service import set_active

    _change_user(login, lambda session, user: set_active(session, user, True))


# keys


@keys_app.command("create")
def create_key(
    login: Login,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "cli",
    read_only: Annotated[
        bool, typer.Option("--read-only", help="No writes with this key.")
    ] = False,
    rate_limit: Annotated[
        int | None, typer.Option(min=1, help="Requests per hour through this key.")
    ] = None,
) -> None:
    """Create an API key; the key is printed this once (only its hash is stored)."""
    from shorturl.accounts.api_keys import create_api_key

    async def work(session: AsyncSession) -> tuple[str, str]:
        created = await create_api_key(
            session,
            await _user(session, login),
            name=name,
            permissions=["read"] if read_only else ["read", "write"],
            rate_limit=rate_limit,
        )
        await session.flush()
        return f"key_{created.record.id}", created.key

    key_id, key = _run(work)
    typer.echo(f"{key_id} created; store it now, it is not shown again:", err=True)
    typer.echo(key)


@keys_app.command("list")
def list_keys(login: Login, as_json: AsJson = False) -> None:
    """List a user's active API keys (prefixes only)."""
    from shorturl.accounts.api_keys import list_api_keys

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        user = await _user(session, login)
        return [_key_row(key, user.plan) for key in await list_api_keys(session, user.id)]

    rows = _run(work)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        _table(
            rows,
            "API keys",
            ("key_id", "name", "key_prefix", "permissions", "effective_rate_limit", "last_used"),
        )


@keys_app.command("revoke")
def revoke_key(login: Login, key_id: Annotated[str, typer.Argument(help="key_12 or 12.")]) -> None:
    """Revoke one of a user's API keys: it stops working with the next request."""
    from shorturl.accounts.api_keys import revoke_api_key
    from shorturl.accounts.presenter import key_id_from

    async def work(session: AsyncSession) -> str:
        user = await _user(session, login)
        key = await revoke_api_key(session, user.id, key_id_from(key_id))
        return f"key_{key.id}"

    typer.echo(f"{_run(work)} revoked")
