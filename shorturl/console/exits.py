"""How a command fails: one line on stderr saying what went wrong and what to do, and an
exit code a script can branch on."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from enum import IntEnum
from typing import Any, NoReturn, TypeVar

import typer

from shorturl.client.errors import (
    ConnectionFailed,
    CustomAliasTaken,
    Forbidden,
    NotFound,
    QuotaExceeded,
    RateLimited,
    ShortURLError,
    Unauthorized,
)

__all__ = ["EXIT_CODES_HELP", "ExitCode", "exit_code_for", "fail", "report", "run"]

T = TypeVar("T")


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # refused (invalid input, server error), or some rows of an import failed
    USAGE = 2  # wrong options or arguments
    NOT_FOUND = 3
    CONFLICT = 4  # the alias, account or domain exists already, or a domain is in use
    NOT_ALLOWED = 5  # no or wrong credentials, or not yours
    LIMITED = 6  # rate limit or monthly quota reached
    UNREACHABLE = 7  # the server did not answer


EXIT_CODES_HELP = (
    "Exit codes: 0 done, 1 refused or failed, 2 wrong usage, 3 not found, 4 conflict (alias "
    "taken, domain in use), 5 not allowed (credentials), 6 rate limit or quota reached, 7 server unreachable."
)


def exit_code_for(error: ShortURLError) -> ExitCode:
    if isinstance(error, NotFound):
        return ExitCode.NOT_FOUND
    if isinstance(error, CustomAliasTaken) or error.status == 409:
        return ExitCode.CONFLICT
    if isinstance(error, Unauthorized | Forbidden):
        return ExitCode.NOT_ALLOWED
    if isinstance(error, RateLimited | QuotaExceeded):
        return ExitCode.LIMITED
    if isinstance(error, ConnectionFailed):
        return ExitCode.UNREACHABLE
    return ExitCode.FAILED


def _hint(error: ShortURLError) -> str | None:
    if isinstance(error, Unauthorized):
        return "give an API key with --api-key (or SHORTURL_API_KEY)"
    if isinstance(error, ConnectionFailed):
        return "is the server running? check --url (or SHORTURL_URL)"
    if isinstance(error, RateLimited) and error.retry_after is not None:
        return f"try again in {error.retry_after:.0f} s"
    return None


def describe(error: ShortURLError) -> str:
    """`CODE: message (details)`, without the status or request id noise of `str(error)`."""
    text = f"{error.code}: {error.message}"
    if isinstance(error.details, str) and error.details:
        text += f" ({error.details})"
    elif isinstance(error.details, list):
        problems = [
            f"{item.get('field')}: {item.get('problem')}"
            for item in error.details
            if isinstance(item, dict)
        ]
        if problems:
            text += " (" + "; ".join(problems) + ")"
    return text


def report(error: ShortURLError) -> None:
    typer.secho(f"error: {describe(error)}", err=True, fg="red")
    hint = _hint(error)
    if hint:
        typer.secho(f"hint: {hint}", err=True, fg="yellow")


def fail(message: str, code: ExitCode = ExitCode.FAILED) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg="red")
    raise typer.Exit(int(code))


def run(work: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; an SDK error (local or remote) becomes its message and
    exit code."""
    try:
        return asyncio.run(work)
    except ShortURLError as error:
        report(error)
        raise typer.Exit(int(exit_code_for(error))) from None
