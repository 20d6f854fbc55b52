"""`HtmlRoute`: how every web UI route answers — security headers, HTML error pages, cookie.

Only the routes of the web UI use it; the redirect and the APIs are untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from shorturl.dashboard.rendering import error_page
from shorturl.dashboard.sessions import SignInRequired, write_session_cookie
from shorturl.errors import AppError, InternalError, NotFound, ValidationFailed

__all__ = ["CONTENT_SECURITY_POLICY", "HtmlRoute", "security_headers"]

log = logging.getLogger(__name__)

# No inline script or style at all; charts are SVG images (data: URLs), assets come from /static.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # Pages hold personal data and one-time secrets (a new API key): never cached.
    "Cache-Control": "no-store",
}
_HSTS: Final = "max-age=31536000; includeSubDomains"

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def security_headers(response: Response, *, https: bool) -> None:
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    if https:
        response.headers.setdefault("Strict-Transport-Security", _HSTS)


def _as_app_error(exc: Exception) -> AppError:
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, RequestValidationError):
        return ValidationFailed(details="Some values in the address are not valid")
    if isinstance(exc, HTTPException):
        if exc.status_code == 404:
            return NotFound(details="There is no page at this address")
        error = AppError(str(exc.detail))
        error.status_code = exc.status_code
        return error
    log.exception("unhandled error in the web UI", exc_info=exc)
    return InternalError(details="Something went wrong on our side; try again in a moment")


class HtmlRoute(APIRoute):
    """An APIRoute whose errors are HTML pages, whose responses carry the security headers and
    a strict CSP, and which writes the session cookie when the session changed."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def html_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired:
                # After sign-in the browser comes back here; a form post cannot be replayed.
                target = request.url.path if request.method == "GET" else "/dashboard"
                if request.method == "GET" and request.url.query:
                    target += "?" + request.url.query
                response = RedirectResponse(f"/login?next={quote(target, safe='')}", 303)
            except Exception as exc:  # noqa: BLE001 - every error becomes a page
                response = error_page(request, _as_app_error(exc))
            write_session_cookie(request, response)
            security_headers(
                response,
                https=request.app.state.runtime.settings.base_url.startswith("https://"),
            )
            return response

        return html_handler
