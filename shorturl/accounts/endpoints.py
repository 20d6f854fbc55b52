"""API v1 account routes: sign-up, login, profile, leaving, API keys (seed 003, seed 004)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status

from shorturl.accounts import api_keys, service
from shorturl.accounts.dependencies import CurrentPrincipal, CurrentUser
from shorturl.accounts.presenter import (
    api_key_out,
    key_id_from,
    profile_out,
    public_key_id,
    public_user_id,
)
from shorturl.accounts.schemas import (
    AccountDeleted,
    AccountDeletion,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyList,
    ApiKeyRevoked,
    CredentialsRevoked,
    LoginIn,
    ProfileOut,
    ProfileUpdate,
    SignupIn,
    TokenOut,
)
from shorturl.api.envelope import Envelope, ok
from shorturl.links.dependencies import LinkServiceDep
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(tags=["accounts"])


@router.post(
    "/auth/signup", status_code=status.HTTP_201_CREATED, response_model=Envelope[ProfileOut]
)
async def signup(
    request: Request, body: SignupIn, session: SessionDep, links: LinkServiceDep
) -> Envelope[ProfileOut]:
    """Create an account on the free plan. 409 when the email or username is taken."""
    user = await service.create_user(
        session,
        service.NewUser(
            email=body.email,
            username=body.username,
            password=body.password,
            display_name=body.display_name,
        ),
    )
    return ok(request, profile_out(user, await links.usage(session, user.id)))


@router.post("/auth/login", response_model=Envelope[TokenOut])
async def login(request: Request, body: LoginIn, session: SessionDep) -> Envelope[TokenOut]:
    """Trade an email (or username) and password for a bearer access token (1 hour).
    Failed attempts are limited per account and per IP (429 past the limit)."""
    runtime = request.app.state.runtime
    user = await service.sign_in(
        session,
        body.identifier,
        body.password,
        client_ip=runtime.client_ip.from_scope(request.scope),
        throttle=runtime.limits.login if runtime.limits is not None else None,
    )
    token = service.issue_access_token(user, runtime.secret_key)
    return ok(
        request,
        TokenOut(
            access_token=token.token,
            expires_in=token.expires_in,
            expires_at=token.expires_at,
            user_id=public_user_id(user.id),
        ),
    )


def _throttled(request: Request) -> dict[str, Any]:
    """Password checks count against the sign-in throttle (ratelimit/login.py)."""
    runtime = request.app.state.runtime
    return {
        "client_ip": runtime.client_ip.from_scope(request.scope),
        "throttle": runtime.limits.login if runtime.limits is not None else None,
    }


@router.post("/auth/revoke", response_model=Envelope[CredentialsRevoked])
async def revoke_credentials(
    request: Request, user: CurrentUser, session: SessionDep
) -> Envelope[CredentialsRevoked]:
    """Sign out everywhere: every access token issued to the caller so far (this one too)
    and every dashboard session stop working at once. API keys stay; revoke them one by one."""
    await service.revoke_credentials(session, user)
    return ok(
        request,
        CredentialsRevoked(
            message="Every access token and session was revoked", user_id=public_user_id(user.id)
        ),
    )


@router.get("/user/profile", response_model=Envelope[ProfileOut])
async def get_profile(
    request: Request, user: CurrentUser, session: SessionDep, links: LinkServiceDep
) -> Envelope[ProfileOut]:
    """The caller's profile, plan and usage."""
    return ok(request, profile_out(user, await links.usage(session, user.id)))


@router.put("/user/profile", response_model=Envelope[ProfileOut])
@router.patch("/user/profile", response_model=Envelope[ProfileOut])
async def update_profile(
    request: Request,
    body: ProfileUpdate,
    user: CurrentUser,
    principal: CurrentPrincipal,
    session: SessionDep,
    links: LinkServiceDep,
) -> Envelope[ProfileOut]:
    """Change the display name, email, username or password (with `current_password`; an
    email change takes a sign-in of the last 10 minutes instead)."""
    await service.update_profile(
        session,
        user,
        service.ProfileChanges(
            display_name=body.display_name,
            email=body.email,
            username=body.username,
            password=body.password,
            current_password=body.current_password,
            # a password given is checked; none is needed just after a sign-in
            email_needs_password=body.current_password is not None or not principal.fresh_login,
        ),
        **_throttled(request),
    )
    return ok(request, profile_out(user, await links.usage(session, user.id)))


@router.delete("/user/account", response_model=Envelope[AccountDeleted])
async def delete_account(
    request: Request,
    user: CurrentUser,
    principal: CurrentPrincipal,
    session: SessionDep,
    links: LinkServiceDep,
    body: AccountDeletion | None = None,
) -> Envelope[AccountDeleted]:
    """Delete the account, its API keys and webhooks, its links' clicks, and its links
    (their codes stay reserved, pointing nowhere). Takes the `current_password`, or a
    sign-in of the last 10 minutes."""
    password = body.current_password if body is not None else None
    if password is not None or not principal.fresh_login:  # a password given is checked
        await service.check_current_password(user, password, **_throttled(request))
    user_id = public_user_id(user.id)
    erased = await service.delete_account(session, user, links)
    return ok(
        request,
        AccountDeleted(message="Account deleted", user_id=user_id, links_erased=erased),
    )


@router.get("/user/api-keys", response_model=Envelope[ApiKeyList])
async def list_api_keys(
    request: Request, user: CurrentUser, session: SessionDep
) -> Envelope[ApiKeyList]:
    """The caller's API keys (prefix only: the full key is shown once, at creation)."""
    keys = await api_keys.list_api_keys(session, user.id)
    return ok(request, ApiKeyList(api_keys=[api_key_out(key, user.plan) for key in keys]))


@router.post(
    "/user/api-keys", status_code=status.HTTP_201_CREATED, response_model=Envelope[ApiKeyCreated]
)
async def create_api_key(
    request: Request,
    body: ApiKeyCreate,
    user: CurrentUser,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> Envelope[ApiKeyCreated]:
    """Create an API key. The response holds the full key (`sk_live_…`) this one time."""
    created = await api_keys.create_api_key(
        session,
        user,
        name=body.name,
        permissions=body.permissions,
        rate_limit=body.rate_limit,
        creator=principal,
    )
    shown = api_key_out(created.record, user.plan)
    return ok(request, ApiKeyCreated(**shown.model_dump(), key=created.key))


@router.delete("/user/api-keys/{key_id}", response_model=Envelope[ApiKeyRevoked])
async def revoke_api_key(
    request: Request, key_id: str, user: CurrentUser, session: SessionDep
) -> Envelope[ApiKeyRevoked]:
    """Revoke a key: it stops working with the very next request."""
    key = await api_keys.revoke_api_key(session, user.id, key_id_from(key_id))
    assert key.revoked_at is not None
    return ok(
        request,
        ApiKeyRevoked(
            message="API key revoked", key_id=public_key_id(key.id), revoked_at=key.revoked_at
        ),
    )
