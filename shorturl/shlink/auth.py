"""`ShlinkCaller`: the owner of the `X-Api-Key` a Shlink API request carries, rate limits counted.

Shlink's API has no anonymous access (but for health): no key is 401 `missing-authentication`,
a wrong, revoked or disabled-owner key 401 `invalid-api-key`, and a read-only key 403 on any
write. Requests count against the caller's plan like API v1's (creation, analytics, other).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shorturl.accounts.api_keys import principal_from_api_key
from shorturl.accounts.dependencies import SAFE_METHODS
from shorturl.accounts.principal import ANONYMOUS, Principal
from shorturl.errors import Unauthorized
from shorturl.ratelimit.api import consume
from shorturl.ratelimit.plans import Bucket
from shorturl.shlink.problems import ShlinkProblem
from shorturl.storage.db import SessionDep

__all__ = ["ShlinkCaller", "require_admin"]


def _bucket(request: Request) -> Bucket:
    path = request.url.path
    if request.method == "POST" and path == "/rest/v3/short-urls":
        return "create"
    if "/visits" in path:
        return "analytics"
    return "api"


async def shlink_caller(request: Request, session: SessionDep) -> Principal:
    key = (request.headers.get("x-api-key") or "").strip()
    bucket = _bucket(request)
    if not key:
        await consume(request, ANONYMOUS, bucket)
        raise ShlinkProblem(
            401,
            "missing-authentication",
            "Invalid authorization",
            "Expected one of the following authentication headers, ['X-Api-Key'], but none "
            "were provided",
            expectedTypes=["X-Api-Key"],
        )
    try:
        principal = await principal_from_api_key(session, key)
    except Unauthorized:
        await consume(request, ANONYMOUS, bucket)
        raise ShlinkProblem(
            401,
            "invalid-api-key",
            "Invalid API key",
            "Provided API key does not exist or is invalid.",
        ) from None
    await consume(request, principal, bucket)
    if request.method not in SAFE_METHODS and not principal.can("write"):
        raise ShlinkProblem(
            403, "forbidden-operation", "Forbidden operation", "This API key is read-only"
        )
    return principal


ShlinkCaller = Annotated[Principal, Depends(shlink_caller)]


def require_admin(principal: Principal, what: str) -> None:
    """403 unless the key's owner is an administrator (orphan visits, global settings)."""
    if not principal.is_admin:
        raise ShlinkProblem(
            403,
            "forbidden-operation",
            "Forbidden operation",
            f"{what} need an administrator's API key",
        )
