"""The redirect as a bare ASGI app in front of the FastAPI app.

`GET|HEAD /{code}` never reaches FastAPI: no routing, no middleware, no dependency injection,
no per-request database session. A cached link costs one dict lookup and one `send`.
Everything else is passed to the FastAPI app untouched.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from shorturl.links.codes import RESERVED_WORDS, is_possible_code
from shorturl.links.models import LinkStatus
from shorturl.redirect.pages import error_body
from shorturl.storage.cache import CachedLink

if TYPE_CHECKING:
    from shorturl.runtime import Runtime

__all__ = ["RedirectFront"]

log = logging.getLogger(__name__)

Scope = dict[str, Any]


class RedirectFront:
    def __init__(self, app: Any, runtime: Runtime) -> None:
        self.app = app  # the FastAPI app
        self.runtime = runtime
        settings = runtime.settings
        self._status = settings.redirect_status
        self._cache_control = settings.redirect_cache_control.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path: str = scope["path"]
            if len(path) > 1 and path.rfind("/") == 0 and path[1:] not in RESERVED_WORDS:
                await self.redirect(scope, send, path[1:])
                return
        await self.app(scope, receive, send)

    async def redirect(self, scope: Scope, send: Any, code: str) -> None:
        if not is_possible_code(code):
            await self._error(scope, send, 400, "Invalid short ID")
            return
        limits = (
            self.runtime.limits
        )  # per-IP limit: in-memory counts, no I/O (ratelimit/redirects.py)
        if limits is not None:
            client_ip = self.runtime.client_ip.from_scope(scope)
            if not limits.redirects.allow(client_ip):
                retry_after = str(limits.redirects.retry_after(client_ip)).encode()
                await self._error(
                    scope, send, 429, "Rate limit exceeded", [(b"retry-after", retry_after)]
                )
                return
        try:
            link = await self.runtime.resolver.resolve(code)
        except Exception:
            log.exception("resolving %r failed", code)
            await self._error(scope, send, 500, "Internal server error")
            return
        if link is None or link.status in (LinkStatus.DELETED, LinkStatus.DISABLED):
            await self._error(scope, send, 404, "Short URL not found")
            return
        if link.status == LinkStatus.EXPIRED or (
            link.expires_at is not None and link.expires_at <= time.time()
        ):
            await self._error(scope, send, 410, "Short URL has expired")
            return
        await send(
            {
                "type": "http.response.start",
                "status": self._status,
                "headers": [
                    (b"location", link.long_url.encode("latin-1")),
                    (b"cache-control", self._cache_control_for(link)),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    def _cache_control_for(self, link: CachedLink) -> bytes:
        # A browser that caches the redirect never comes back: fine for a plain link, wrong
        # for one whose clicks are limited or whose expiry is near.
        if link.max_clicks is not None:
            return b"no-store"
        if link.expires_at is not None:
            return b"private, max-age=60"
        return self._cache_control

    async def _error(
        self,
        scope: Scope,
        send: Any,
        status: int,
        message: str,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        html = _accepts_html(scope)
        content_type, body = error_body(status, message, html=html)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                    *(extra_headers or ()),
                ],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )


def _accepts_html(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept":
            return b"text/html" in value
    return False
