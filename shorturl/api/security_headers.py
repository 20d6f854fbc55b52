"""`SecurityHeaders`: nosniff, no framing, a referrer policy and a locked-down CSP on every
response of the FastAPI app (API JSON included), as constants added to the start message.

The redirect front never reaches this: its error and password pages carry
`REDIRECT_PAGE_HEADERS`, built into them once. Its redirects carry none: a 3xx with a
`Location` and no body is never rendered, so there is nothing to sniff or frame, and each
header pair costs the hot path about 0.4 µs on uvicorn (5%, bench/README); no
Referrer-Policy also keeps the linking page's Referer reaching the target (as Bitly's
redirects do). Pages that set their own (the dashboard's stricter
set, shorturl/dashboard/security.py; `/docs` and `/redoc`, shorturl/api/docs_pages.py) keep
theirs.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["API_HEADERS", "REDIRECT_PAGE_HEADERS", "SecurityHeaders"]

API_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_CSP: Final = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
# The redirect's own small pages (errors, the password form): inline styles, one form.
REDIRECT_PAGE_HEADERS: Final = (
    *API_HEADERS,
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        b"frame-ancestors 'none'",
    ),
)


class SecurityHeaders:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = (*API_HEADERS, _CSP)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in wanted if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
