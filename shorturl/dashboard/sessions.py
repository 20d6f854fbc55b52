"""Browser sessions: a signed cookie naming the visitor, the user signed in, and the CSRF secret.

The cookie is an HS256 JWT signed with a key derived from `SECRET_KEY` (so it can never pass
for an API access token, nor the reverse); one signed with an older key of the list is
accepted and signed again with the newest. Every visitor gets one on their first page with a
form, so even the sign-in form carries a CSRF token. Signing in or out starts a new session id.
A signed-in cookie is only good while its server-side row lives (accounts/browser_sessions.py):
sign-out deletes it, so does a password change, a disabled account, "sign out everywhere",
and `SESSION_IDLE_TIMEOUT` without a page view.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Final

import jwt
from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts import service as accounts
from shorturl.accounts.browser_sessions import close_session, open_session, session_is_live
from shorturl.accounts.models import User
from shorturl.accounts.principal import ANONYMOUS, Principal
from shorturl.accounts.tokens import credential_version
from shorturl.errors import AppError, Forbidden
from shorturl.storage.db import SessionDep
from shorturl.timestamps import utcnow

__all__ = [
    "SESSION_LIFETIME",
    "AdminSession",
    "CurrentWebSession",
    "SignInRequired",
    "SignedInSession",
    "WebSession",
    "csrf_token_matches",
    "derived_key",
    "sign_in",
    "sign_out",
    "write_session_cookie",
]

SESSION_LIFETIME: Final = timedelta(days=14)
_ALGORITHM: Final = "HS256"
_TYPE: Final = "web"


class SignInRequired(AppError):
    """A page for signed-in users was asked for without a session: the browser goes to /login."""

    status_code, code, message = 401, "UNAUTHORIZED", "Sign in to see this page"


@lru_cache(maxsize=8)
def derived_key(secret_key: str, purpose: str) -> bytes:
    """A key for one purpose (`session`, `csrf`), so no signature is valid for another use."""
    return hmac.new(
        secret_key.encode(), f"shorturl-web-{purpose}".encode(), hashlib.sha256
    ).digest()


@dataclass(slots=True)
class WebSession:
    """One browser's session. `principal` is anonymous until someone signs in."""

    sid: str
    principal: Principal
    display_name: str | None
    credential: str | None  # fingerprint of the password hash the session was opened with
    csrf_token: str
    changed: bool = False  # the cookie must be written on this response

    @property
    def signed_in(self) -> bool:
        return self.principal.is_authenticated

    @property
    def user_id(self) -> int:
        assert self.principal.user_id is not None
        return self.principal.user_id

    @property
    def name(self) -> str:
        return self.display_name or self.principal.username or ""


def _https(request: Request) -> bool:
    return request.app.state.runtime.settings.base_url.startswith("https://")


def cookie_name(request: Request) -> str:
    # The __Host- prefix makes browsers refuse the cookie unless Secure, host-only, Path=/.
    return "__Host-shorturl" if _https(request) else "shorturl_session"


def _secret(request: Request) -> str:
    return request.app.state.runtime.secret_key


def _secrets(request: Request) -> tuple[str, ...]:
    return request.app.state.runtime.secret_keys or (_secret(request),)


def _new_session(request: Request, user: User | None) -> WebSession:
    sid = secrets.token_urlsafe(24)
    return WebSession(
        sid=sid,
        principal=accounts.principal_for(user) if user is not None else ANONYMOUS,
        display_name=user.display_name if user is not None else None,
        credential=credential_version(user.password_hash) if user is not None else None,
        csrf_token=_csrf_token(_secret(request), sid),
        changed=True,
    )


def _csrf_token(secret_key: str, sid: str) -> str:
    return hmac.new(derived_key(secret_key, "csrf"), sid.encode(), hashlib.sha256).hexdigest()


def csrf_token_matches(request: Request, web: WebSession, sent: str) -> bool:
    """True when `sent` is this session's CSRF token under any key of `SECRET_KEY` (a form
    rendered before a rotation still posts)."""
    if hmac.compare_digest(sent, web.csrf_token):
        return True
    return any(hmac.compare_digest(sent, _csrf_token(key, web.sid)) for key in _secrets(request))


def _read_cookie(request: Request) -> tuple[dict[str, object], bool] | None:
    """The cookie's claims, and whether they were signed with an older key (to sign again)."""
    raw = request.cookies.get(cookie_name(request))
    if not raw or len(raw) > 4096:
        return None
    for index, key in enumerate(_secrets(request)):
        try:
            claims = jwt.decode(
                raw,
                derived_key(key, "session"),
                algorithms=[_ALGORITHM],
                options={"require": ["exp", "sid", "typ"]},
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            return None
        if claims.get("typ") != _TYPE or not isinstance(claims.get("sid"), str):
            return None
        return claims, index > 0
    return None


async def load_web_session(request: Request, db: SessionDep) -> WebSession:
    """This browser's session; a new anonymous one when the cookie is missing, forged, expired,
    or belongs to a user who is gone, disabled or has changed their password since."""
    existing = getattr(request.state, "web_session", None)
    if existing is not None:
        return existing
    cookie = _read_cookie(request)
    web: WebSession
    if cookie is None:
        web = _new_session(request, None)
    else:
        claims, old_key = cookie
        sid = str(claims["sid"])
        user_id, credential = claims.get("uid"), claims.get("cv")
        user = await accounts.user_by_id(db, user_id) if isinstance(user_id, int) else None
        idle_timeout = timedelta(seconds=request.app.state.runtime.settings.session_idle_timeout)
        if user_id is not None and (
            user is None
            or not user.is_active
            or credential_version(user.password_hash) != credential
            or not await session_is_live(db, user.id, sid, idle_timeout)
        ):
            web = _new_session(request, None)
        else:
            web = WebSession(
                sid=sid,
                principal=accounts.principal_for(user) if user is not None else ANONYMOUS,
                display_name=user.display_name if user is not None else None,
                credential=str(credential) if user is not None else None,
                csrf_token=_csrf_token(_secret(request), sid),
                changed=old_key,
            )
    request.state.web_session = web
    return web


CurrentWebSession = Annotated[WebSession, Depends(load_web_session)]


async def require_signed_in(web: CurrentWebSession) -> WebSession:
    if not web.signed_in:
        raise SignInRequired()
    return web


SignedInSession = Annotated[WebSession, Depends(require_signed_in)]


async def require_admin(web: SignedInSession) -> WebSession:
    if not web.principal.is_admin:
        raise Forbidden(details="This page is for administrators")
    return web


AdminSession = Annotated[WebSession, Depends(require_admin)]


async def sign_in(request: Request, db: AsyncSession, user: User) -> WebSession:
    """Open a new session for `user` (a new id: a session fixed before sign-in is worthless),
    ending the one this browser had."""
    await _close_current(request, db)
    web = _new_session(request, user)
    await open_session(db, user.id, web.sid, SESSION_LIFETIME)
    request.state.web_session = web
    return web


async def sign_out(request: Request, db: AsyncSession) -> WebSession:
    """End this browser's session on the server (a saved copy of the cookie is worthless)."""
    await _close_current(request, db)
    web = _new_session(request, None)
    request.state.web_session = web
    return web


async def _close_current(request: Request, db: AsyncSession) -> None:
    current: WebSession | None = getattr(request.state, "web_session", None)
    if current is not None and current.signed_in:
        await close_session(db, current.sid)


def write_session_cookie(request: Request, response: Response) -> None:
    """Set the cookie when this request opened or changed the session."""
    web: WebSession | None = getattr(request.state, "web_session", None)
    if web is None or not web.changed:
        return
    now = utcnow()
    claims: dict[str, object] = {
        "typ": _TYPE,
        "sid": web.sid,
        "iat": int(now.timestamp()),
        "exp": int((now + SESSION_LIFETIME).timestamp()),
    }
    if web.signed_in:
        claims["uid"] = web.principal.user_id
        claims["cv"] = web.credential
    token = jwt.encode(claims, derived_key(_secret(request), "session"), algorithm=_ALGORITHM)
    response.set_cookie(
        cookie_name(request),
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        secure=_https(request),
        httponly=True,
        samesite="lax",
    )
