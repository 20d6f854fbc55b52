"""The signed-in user's account pages: API keys (shown once, listed, revoked) and the profile."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts import api_keys
from shorturl.accounts import service as accounts
from shorturl.accounts.models import User
from shorturl.accounts.presenter import key_id_from
from shorturl.dashboard.csrf import VerifiedForm
from shorturl.dashboard.forms import field_text
from shorturl.dashboard.rendering import plain_error, render
from shorturl.dashboard.security import HtmlRoute
from shorturl.dashboard.sessions import SignedInSession, WebSession, sign_in, sign_out
from shorturl.errors import AppError, Unauthorized, ValidationFailed
from shorturl.links.dependencies import LinkServiceDep
from shorturl.ratelimit.plans import plan_named
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/dashboard", route_class=HtmlRoute, include_in_schema=False)


async def _user(db: AsyncSession, web: WebSession) -> User:
    user = await accounts.user_by_id(db, web.user_id)
    if user is None:  # deleted between loading the session and now
        raise Unauthorized(details="This account no longer exists")
    return user


async def _keys_page(
    request: Request, web: WebSession, db: AsyncSession, status: int = 200, **context: Any
) -> Response:
    context.setdefault("created", None)
    context.setdefault("error", None)
    context.setdefault("name", "")
    context.setdefault("rate_limit", "")
    keys = await api_keys.list_api_keys(db, web.user_id)
    flash = (
        "The key was revoked; it stops working at once."
        if "revoked" in request.query_params
        else None
    )
    return render(
        request,
        "keys.html",
        {
            "keys": keys,
            "flash": flash,
            "plan": plan_named(web.principal.plan),
            "effective_rate_limit": api_keys.effective_rate_limit,
            **context,
        },
        status=status,
    )


@router.get("/keys")
async def keys_page(request: Request, web: SignedInSession, db: SessionDep) -> Response:
    return await _keys_page(request, web, db)


def _rate_limit(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise ValidationFailed(details="Rate limit: a whole number of requests per hour, or empty.")
    return int(text)


@router.post("/keys")
async def create_key(
    request: Request, form: VerifiedForm, web: SignedInSession, db: SessionDep
) -> Response:
    name = field_text(form, "name", 200)
    permissions = [value for value in form.getlist("permissions") if isinstance(value, str)]
    rate_limit = field_text(form, "rate_limit", 20)
    try:
        created = await api_keys.create_api_key(
            db,
            await _user(db, web),
            name=name,
            permissions=permissions,
            rate_limit=_rate_limit(rate_limit),
        )
    except AppError as error:
        await db.rollback()
        return await _keys_page(
            request,
            web,
            db,
            status=error.status_code,
            error=plain_error(error),
            name=name,
            rate_limit=rate_limit,
        )
    # Shown on this response only (no-store); only its hash is kept.
    return await _keys_page(request, web, db, created=created)


@router.post("/keys/{key_id}/revoke")
async def revoke_key(
    request: Request, key_id: str, form: VerifiedForm, web: SignedInSession, db: SessionDep
) -> Response:
    await api_keys.revoke_api_key(db, web.user_id, key_id_from(key_id))
    return RedirectResponse("/dashboard/keys?revoked=1", 303)


# profile


async def _profile_page(
    request: Request,
    web: WebSession,
    db: AsyncSession,
    links: LinkServiceDep,
    status: int = 200,
    **context: Any,
) -> Response:
    user = await _user(db, web)
    context.setdefault("error", None)
    context.setdefault("section", None)
    flashes = {"saved": "Profile saved.", "password": "Password changed."}
    flash = next((text for key, text in flashes.items() if key in request.query_params), None)
    return render(
        request,
        "profile.html",
        {
            "user": user,
            "usage": await links.usage(db, user.id),
            "quota": plan_named(user.plan).monthly_quota,
            "flash": flash,
            **context,
        },
        status=status,
    )


@router.get("/profile")
async def profile_page(
    request: Request, web: SignedInSession, db: SessionDep, links: LinkServiceDep
) -> Response:
    return await _profile_page(request, web, db, links)


@router.post("/profile")
async def update_profile(
    request: Request,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    links: LinkServiceDep,
) -> Response:
    user = await _user(db, web)
    changes = accounts.ProfileChanges(
        display_name=field_text(form, "display_name", 128),
        email=field_text(form, "email", 320) or None,
        username=field_text(form, "username", 64) or None,
    )
    try:
        await accounts.update_profile(db, user, changes)
    except AppError as error:
        await db.rollback()
        return await _profile_page(
            request, web, db, links, error.status_code, error=plain_error(error), section="profile"
        )
    await sign_in(request, db, user)  # the names shown in the session changed
    return RedirectResponse("/dashboard/profile?saved=1", 303)


def _throttled(request: Request) -> dict[str, Any]:
    """Password checks count against the sign-in throttle (ratelimit/login.py)."""
    runtime = request.app.state.runtime
    return {
        "client_ip": runtime.client_ip.from_scope(request.scope),
        "throttle": runtime.limits.login if runtime.limits is not None else None,
    }


def _password(form: VerifiedForm, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post("/profile/password")
async def change_password(
    request: Request,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    links: LinkServiceDep,
) -> Response:
    user = await _user(db, web)
    changes = accounts.ProfileChanges(
        password=_password(form, "password"), current_password=_password(form, "current_password")
    )
    try:
        await accounts.update_profile(db, user, changes, **_throttled(request))
    except AppError as error:
        await db.rollback()
        return await _profile_page(
            request, web, db, links, error.status_code, error=plain_error(error), section="password"
        )
    # Every other session of this user ends (their cookies name the old password); this one
    # goes on under the new password.
    await sign_in(request, db, user)
    return RedirectResponse("/dashboard/profile?password=1", 303)


@router.post("/profile/delete")
async def delete_account(
    request: Request,
    form: VerifiedForm,
    web: SignedInSession,
    db: SessionDep,
    links: LinkServiceDep,
) -> Response:
    user = await _user(db, web)
    try:
        await accounts.check_current_password(
            user, _password(form, "current_password"), **_throttled(request)
        )
    except AppError as error:
        return await _profile_page(
            request,
            web,
            db,
            links,
            error.status_code,
            error=(
                plain_error(error)
                if error.status_code == 429
                else "The password is not right; the account was not deleted."
            ),
            section="delete",
        )
    await accounts.delete_account(db, user, links)
    await sign_out(request, db)
    return RedirectResponse("/", 303)


@router.post("/profile/sessions/revoke")
async def sign_out_everywhere(
    request: Request, form: VerifiedForm, web: SignedInSession, db: SessionDep
) -> Response:
    """End every dashboard session and access token of this user, this browser's too."""
    await accounts.revoke_credentials(db, await _user(db, web))
    await sign_out(request, db)
    return RedirectResponse("/login?signed_out=1", 303)
