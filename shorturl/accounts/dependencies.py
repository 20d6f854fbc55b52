"""FastAPI dependencies that identify the caller: `CurrentPrincipal`, `CurrentUser`, `AdminUser`.

Credentials: `X-API-Key: sk_live_…`, or `Authorization: Bearer <token>` where the token is an
access token from `POST /api/v1/auth/login` or an API key. No credentials means anonymous;
wrong, expired or revoked credentials are 401, never a silent fall back to anonymous.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends, Request

from shorturl.accounts import service
from shorturl.accounts.api_keys import principal_from_api_key
from shorturl.accounts.models import User
from shorturl.accounts.principal import ANONYMOUS, Principal
from shorturl.errors import Forbidden, Unauthorized
from shorturl.storage.db import SessionDep

__all__ = [
    "AdminPrincipal",
    "CurrentPrincipal",
    "CurrentUser",
    "get_principal",
    "principal_from_headers",
]

SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_CHALLENGE: Final = {"WWW-Authenticate": 'Bearer realm="shorturl"'}


def _unauthorized(error: Unauthorized) -> Unauthorized:
    error.headers = {**_CHALLENGE, **error.headers}
    return error


async def principal_from_headers(request: Request, session: SessionDep) -> Principal:
    """Who the request's credentials say the caller is (anonymous without credentials)."""
    runtime = request.app.state.runtime
    api_key = request.headers.get("x-api-key")
    authorization = request.headers.get("authorization")
    try:
        if api_key is not None:
            return await principal_from_api_key(session, api_key.strip())
        if authorization is None:
            return ANONYMOUS
        scheme, _, credentials = authorization.strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() != "bearer" or not credentials:
            raise Unauthorized(details="Use 'Authorization: Bearer <token>' or 'X-API-Key'")
        if credentials.startswith("sk_"):
            return await principal_from_api_key(session, credentials)
        return await service.principal_from_token(session, credentials, runtime.secret_keys)
    except Unauthorized as error:
        raise _unauthorized(error) from None


async def get_principal(request: Request, session: SessionDep) -> Principal:
    """The caller of this request. A read-only API key may not make a write (403)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        principal = await principal_from_headers(request, session)
        request.state.principal = principal
    if request.method not in SAFE_METHODS and not principal.can("write"):
        raise Forbidden(details="This API key is read-only")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_current_user(
    request: Request, session: SessionDep, principal: CurrentPrincipal
) -> User:
    """The signed-in user (401 for anonymous callers)."""
    if principal.user_id is None:
        raise _unauthorized(Unauthorized(details="Sign in with an API key or a bearer token"))
    user = await service.user_by_id(session, principal.user_id)
    if user is None or not user.is_active:
        raise _unauthorized(Unauthorized(details="This account no longer exists"))
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin(principal: CurrentPrincipal) -> Principal:
    """The caller, who must be an admin (401 anonymous, 403 anyone else)."""
    if not principal.is_authenticated:
        raise _unauthorized(Unauthorized(details="Sign in as an administrator"))
    if not principal.is_admin:
        raise Forbidden(details="Administrators only")
    return principal


AdminPrincipal = Annotated[Principal, Depends(get_admin)]
