"""FastAPI dependencies that identify the caller (`CurrentPrincipal`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shorturl.accounts.principal import ANONYMOUS, Principal

__all__ = ["CurrentPrincipal", "get_principal"]


async def get_principal(request: Request) -> Principal:
    """The caller of this request; anonymous until authentication is wired in."""
    return ANONYMOUS


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
