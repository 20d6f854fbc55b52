"""Public pages of the web UI: the landing page with its shorten form, sign-up, sign-in, sign-out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from shorturl.accounts import service as accounts
from shorturl.analytics.orphans import BASE_URL
from shorturl.dashboard.csrf import VerifiedForm
from shorturl.dashboard.forms import EXPIRY_CHOICES, ShortenForm, field_text
from shorturl.dashboard.qr import qr_svg
from shorturl.dashboard.rendering import error_headers, plain_error, render
from shorturl.dashboard.security import HtmlRoute
from shorturl.dashboard.sessions import CurrentWebSession, sign_in, sign_out
from shorturl.errors import AppError
from shorturl.links.dependencies import LinkServiceDep
from shorturl.ratelimit.api import consume
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(route_class=HtmlRoute, include_in_schema=False)


def local_target(candidate: str | None, default: str = "/dashboard") -> str:
    """Where to go after signing in: a path on this site only (never `//evil.example`)."""
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return default
    if any(ord(char) < 32 for char in candidate) or "\\" in candidate:
        return default
    return candidate


def _landing(request: Request, form: ShortenForm, **context: Any) -> Response:
    context.setdefault("error", None)
    context.setdefault("created", None)
    context.setdefault("qr_svg", None)
    status = context.pop("status", 200)
    return render(
        request,
        "landing.html",
        {"form": form, "expiry_choices": EXPIRY_CHOICES, **context},
        status=status,
    )


@router.get("/")
async def landing(request: Request, web: CurrentWebSession) -> Response:
    # the base URL, visited with no link: an orphan visit (Shlink's `base_url`)
    request.app.state.runtime.clicks.orphans.record(request.scope, BASE_URL)
    return _landing(request, ShortenForm())


@router.post("/")
async def shorten(
    request: Request,
    form: VerifiedForm,
    web: CurrentWebSession,
    db: SessionDep,
    links: LinkServiceDep,
) -> Response:
    """Shorten from the landing page: anonymous, or owned by whoever is signed in."""
    entered = ShortenForm.read(form)
    try:
        await consume(request, web.principal, "create")  # the API's limits, same bucket
        link = await links.create(db, entered.new_link(), web.principal)
    except AppError as error:
        await db.rollback()
        page = _landing(request, entered, error=plain_error(error), status=error.status_code)
        page.headers.update(error_headers(error))
        return page
    created = {
        "code": link.code,
        "short_url": links.short_url(link.code, link.domain),
        "long_url": link.long_url,
        "expires_at": link.expires_at,
    }
    short_url = links.short_url(link.code, link.domain)
    return _landing(request, ShortenForm(), created=created, qr_svg=qr_svg(short_url))


# accounts


def _signup(request: Request, values: dict[str, str], error: str | None, status: int) -> Response:
    return render(request, "signup.html", {"values": values, "error": error}, status=status)


@router.get("/signup")
async def signup_page(request: Request, web: CurrentWebSession) -> Response:
    if web.signed_in:
        return RedirectResponse("/dashboard", 303)
    return _signup(request, {"email": "", "username": "", "display_name": ""}, None, 200)


@router.post("/signup")
async def signup(
    request: Request, form: VerifiedForm, web: CurrentWebSession, db: SessionDep
) -> Response:
    values = {
        "email": field_text(form, "email", 320),
        "username": field_text(form, "username", 64),
        "display_name": field_text(form, "display_name", 128),
    }
    password = form.get("password")
    runtime = request.app.state.runtime
    try:
        if runtime.limits is not None:
            await runtime.limits.login.reserve_signup(runtime.client_ip.from_scope(request.scope))
        user = await accounts.create_user(
            db,
            accounts.NewUser(
                email=values["email"],
                username=values["username"],
                password=password if isinstance(password, str) else "",
                display_name=values["display_name"] or None,
            ),
        )
    except AppError as error:
        await db.rollback()
        page = _signup(request, values, plain_error(error), error.status_code)
        page.headers.update(error_headers(error))
        return page
    await sign_in(request, db, user)
    return RedirectResponse("/dashboard?welcome=1", 303)


def _login(request: Request, login: str, target: str, error: str | None, status: int) -> Response:
    return render(
        request, "login.html", {"login": login, "next": target, "error": error}, status=status
    )


@router.get("/login")
async def login_page(request: Request, web: CurrentWebSession) -> Response:
    target = local_target(request.query_params.get("next"))
    if web.signed_in:
        return RedirectResponse(target, 303)
    return _login(request, "", target, None, 200)


@router.post("/login")
async def login(
    request: Request, form: VerifiedForm, web: CurrentWebSession, db: SessionDep
) -> Response:
    identifier = field_text(form, "login", 320)
    password = form.get("password")
    target = local_target(field_text(form, "next", 2000))
    runtime = request.app.state.runtime
    try:
        user = await accounts.sign_in(
            db,
            identifier,
            password if isinstance(password, str) else "",
            client_ip=runtime.client_ip.from_scope(request.scope),
            throttle=runtime.limits.login if runtime.limits is not None else None,
        )
    except AppError as error:
        page = _login(request, identifier, target, plain_error(error), error.status_code)
        page.headers.update(error_headers(error))
        return page
    await sign_in(request, db, user)
    return RedirectResponse(target, 303)


@router.get("/logout")
async def logout_page(request: Request, web: CurrentWebSession) -> Response:
    if not web.signed_in:
        return RedirectResponse("/", 303)
    return render(request, "logout.html", {})


@router.post("/logout")
async def logout(
    request: Request, form: VerifiedForm, web: CurrentWebSession, db: SessionDep
) -> Response:
    await sign_out(request, db)
    return RedirectResponse("/", 303)
