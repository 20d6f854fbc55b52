"""The redirect as a bare ASGI app in front of the FastAPI app.

`GET|HEAD /{code}` never reaches FastAPI: no routing, no middleware, no dependency injection,
no per-request database session. A link in this process's cache costs two dict lookups and
two `send`s of messages built once per link; nothing is allocated or awaited besides.
Everything else is passed to the FastAPI app untouched.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Final

from shorturl.analytics.orphans import INVALID_SHORT_URL
from shorturl.api.security_headers import REDIRECT_PAGE_HEADERS
from shorturl.links.codes import RESERVED_WORDS, is_possible_code
from shorturl.links.models import LinkStatus
from shorturl.links.routing import Destination
from shorturl.redirect.headers import request_host
from shorturl.redirect.pages import error_body
from shorturl.redirect.routed import RoutedRedirects
from shorturl.storage.cache import CachedLink
from shorturl.storage.outage import is_outage

if TYPE_CHECKING:
    from shorturl.runtime import Runtime

__all__ = ["RedirectFront"]

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]

_REDIRECT_METHODS: Final = frozenset({"GET", "HEAD"})
# Sent as is by every redirect: ASGI servers read messages, they do not change them.
_EMPTY_BODY: Final[Message] = {"type": "http.response.body", "body": b""}


class ReadyRedirect:
    """A followable link with its `http.response.start` message built once."""

    __slots__ = ("expires_at", "link", "routing", "start")

    def __init__(self, link: CachedLink, start: Message) -> None:
        self.link = link
        self.start = start
        self.expires_at = link.expires_at
        self.routing = link.routing  # None but for smart links (redirect/routed.py)


class RedirectFront:
    def __init__(self, app: Any, runtime: Runtime) -> None:
        self.app = app  # the FastAPI app
        self.runtime = runtime
        settings = runtime.settings
        self._status = settings.redirect_status
        self._cache_control = settings.redirect_cache_control.encode("latin-1")
        # code → ready answer, valid while the cache holds the very same CachedLink object
        # (an edit, an invalidation or a TTL expiry replaces that object). Bounded like the
        # local cache; emptied at once when full, which costs one rebuild per hot link.
        self._ready: dict[str, ReadyRedirect] = {}
        self._ready_max = max(settings.local_cache_size, 1)
        self._tracker = runtime.clicks.tracker  # None when click tracking is off
        self._orphans = runtime.clicks.orphans  # requests for no link: only errors pay
        self.routed = RoutedRedirects(runtime, self._error, self._failed)
        self._domains = runtime.domains  # extra short domains; none: Host is never read

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] in _REDIRECT_METHODS:
            path: str = scope["path"]
            if path.rfind("/") == 0 and len(path) > 1 and path[1:] not in RESERVED_WORDS:
                await self.redirect(scope, send, path[1:])
                return
            if path == "/" and self._domains.hosts:  # an extra domain's root_redirect
                extra = self._domains.lookup(request_host(scope))
                if extra is not None and extra.root_redirect is not None:
                    await self._fallback(send, extra.root_redirect)
                    return
        elif (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and await self.routed.unlock(scope, receive, send)  # a link's password form
        ):
            return
        await self.app(scope, receive, send)

    async def redirect(self, scope: Scope, send: Any, code: str) -> None:
        """Answer `GET|HEAD /{code}`: the redirect, or 400/404/410/429 (500 if storage fails).

        The steps, in order: the code's shape, the per-IP limit, the link, its state, send.
        On an extra domain (by `Host`) the link is that domain's `code`: keyed `host/code`.
        """
        key, extra = code, None
        if self._domains.hosts:  # only servers with extra domains read the Host header
            extra = self._domains.lookup(request_host(scope))
            if extra is not None:
                key = f"{extra.host}/{code}"
        entry = self.runtime.cache.get_local(key)  # a hit never awaits
        # Only codes that passed this check are ever cached, so a hit skips it.
        if entry is None and not is_possible_code(code):
            await self._error(scope, send, 400, "Invalid short ID")
            self._orphans.record(scope, INVALID_SHORT_URL)
            return
        limits = self.runtime.limits  # per-IP: in-memory counts, no I/O (ratelimit/redirects.py)
        client_ip = None  # found once, for the limit and the click
        if limits is not None:
            client_ip = self.runtime.client_ip.from_scope(scope)
            if not limits.redirects.allow(client_ip):
                retry_after = str(limits.redirects.retry_after(client_ip)).encode()
                await self._error(
                    scope, send, 429, "Rate limit exceeded", [(b"retry-after", retry_after)]
                )
                return
        if entry is None:
            try:
                entry = await self.runtime.resolver.resolve(code, extra.host if extra else "")
            except Exception as exc:
                await self._failed(scope, send, exc, f"resolving {key!r} failed")
                return
        link = entry if isinstance(entry, CachedLink) else None  # None: no such link
        ready = self._ready.get(key)
        if ready is None or ready.link is not link:
            if link is None or link.status in (LinkStatus.DELETED, LinkStatus.DISABLED):
                if extra is not None and extra.not_found_redirect is not None:
                    await self._fallback(send, extra.not_found_redirect)
                    return
                await self._error(scope, send, 404, "Short URL not found")
                self._orphans.record(scope, INVALID_SHORT_URL)
                return
            if link.status == LinkStatus.EXPIRED:
                await self.routed.expired(scope, send, link)
                return
            ready = self._prepare(key, link)
        if ready.expires_at is not None and ready.expires_at <= time.time():
            await self.routed.expired(scope, send, ready.link)
            return
        if ready.routing is not None:  # a smart link: password, rules, variants
            await self.routed.serve(scope, send, ready.link, client_ip)
            return
        use = 0
        if ready.link.max_clicks is not None:  # only limited links pay for the counter
            try:
                taken = await self.runtime.clicks.limit.take(
                    ready.link, use=scope["method"] == "GET"
                )
            except Exception as exc:
                await self._failed(scope, send, exc, f"counting a use of {code!r} failed")
                return
            if taken is None:
                await self.routed.expired(scope, send, ready.link)
                return
            use = taken
        if self._tracker is not None:
            # O(1), no I/O (analytics/tracker.py); before the answer, so a process killed
            # after sending it has the click in its spool (analytics/spool.py)
            self._tracker.record(scope, ready.link.id, use, client_ip)
        await send(ready.start)
        await send(_EMPTY_BODY)

    async def _failed(self, scope: Scope, send: Any, exc: Exception, what: str) -> None:
        """503 with `Retry-After` when storage is away (one warning per outage), else 500."""
        if not is_outage(exc):
            log.error(what, exc_info=exc)
            await self._error(scope, send, 500, "Internal server error")
            return
        self.runtime.report_outage(exc)
        retry_after = str(self.runtime.database_availability.retry_after).encode()
        await self._error(
            scope, send, 503, "Service temporarily unavailable", [(b"retry-after", retry_after)]
        )

    async def _fallback(self, send: Any, answer: Destination) -> None:
        """A domain's own redirect for its root or an unknown code (302, no-store)."""
        await send(answer.start)
        await send(_EMPTY_BODY)

    def _prepare(self, key: str, link: CachedLink) -> ReadyRedirect:
        start = {
            "type": "http.response.start",
            "status": self._status,
            "headers": [
                (b"location", link.long_url.encode("latin-1")),
                (b"cache-control", self._cache_control_for(link)),
                (b"content-length", b"0"),
            ],
        }
        ready = ReadyRedirect(link, start)
        if len(self._ready) >= self._ready_max:
            self._ready.clear()
        self._ready[key] = ready
        return ready

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
                    *REDIRECT_PAGE_HEADERS,
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
