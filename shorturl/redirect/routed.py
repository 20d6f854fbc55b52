"""The redirect of smart links: the password form, rules, A/B variants and expired_redirect.

`RedirectFront` hands a link here only when its cached entry carries a compiled
`LinkRouting` (links/routing.py), so plain links never pay for any of it. What a rule asks
about a request (user agent, country, language, query) is found only when a rule asks, with
the same parsing and GeoIP as the analytics enricher.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs

from shorturl.accounts.passwords import verify_password
from shorturl.analytics.enrich import ClickEnricher, visitor_hash
from shorturl.analytics.visitors import VisitorSalts
from shorturl.links.codes import RESERVED_WORDS, is_possible_code
from shorturl.links.models import LinkStatus
from shorturl.links.routing import MAX_PASSWORD_LENGTH, Destination, VisitFacts
from shorturl.ratelimit.limiter import RateLimiter
from shorturl.ratelimit.link_passwords import LinkPasswordThrottle
from shorturl.redirect.pages import password_page
from shorturl.storage.cache import CachedLink

if TYPE_CHECKING:
    from shorturl.runtime import Runtime

__all__ = ["RoutedRedirects"]

log = logging.getLogger(__name__)

Scope = dict[str, Any]
SendError = Callable[..., Awaitable[None]]

MAX_FORM_BYTES: Final = 4096
_PAGE_HEADERS: Final = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-robots-tag", b"noindex"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class RoutedRedirects:
    def __init__(self, runtime: Runtime, send_error: SendError) -> None:
        self.runtime = runtime
        self._send_error = send_error  # RedirectFront._error: the redirect's error pages
        settings = runtime.settings
        # The analytics enricher's own user agent cache and GeoIP, for the rules' facts.
        self._facts = ClickEnricher(ip_storage=settings.ip_storage, geoip_db=settings.geoip_db)
        self.salts = VisitorSalts(runtime.database.sessionmaker)
        self._throttle = LinkPasswordThrottle(
            RateLimiter.create(runtime.redis, runtime.redis_key("rl"))
        )

    async def serve(self, scope: Scope, send: Any, link: CachedLink, client_ip: str | None) -> None:
        """`GET|HEAD /{code}` of a smart link that is live: its password form, or the
        redirect its rules and variants choose."""
        routing = link.routing
        assert routing is not None
        if routing.password_hash is not None:
            await self._page(scope, send, 200, password_page())
            return
        await self._redirect(scope, send, link, client_ip)

    async def unlock(self, scope: Scope, receive: Any, send: Any) -> bool:
        """`POST /{code}` with the password form: True when answered here, False when the
        path is not a password-protected link (the app answers then)."""
        path: str = scope["path"]
        code = path[1:]
        if path.rfind("/") != 0 or not code or code in RESERVED_WORDS:
            return False
        entry = self.runtime.cache.get_local(code)
        if entry is None:
            if not is_possible_code(code):
                return False
            try:
                entry = await self.runtime.resolver.resolve(code)
            except Exception:
                log.exception("resolving %r failed", code)
                await self._send_error(scope, send, 500, "Internal server error")
                return True
        if not isinstance(entry, CachedLink) or entry.routing is None:
            return False
        link, routing = entry, entry.routing
        if routing.password_hash is None or link.status in (
            LinkStatus.DELETED,
            LinkStatus.DISABLED,
        ):
            return False
        if link.status == LinkStatus.EXPIRED or (
            link.expires_at is not None and link.expires_at <= time.time()
        ):
            await self.expired(scope, send, link)
            return True
        client_ip = self.runtime.client_ip.from_scope(scope)
        state = await self._throttle.state(link.id, client_ip)
        if not state.allowed:
            wait = str(state.retry_after()).encode()
            page = password_page("Too many wrong passwords. Try again later.")
            await self._page(scope, send, 429, page, [(b"retry-after", wait)])
            return True
        password = _form_field(await _read_body(receive), "password")
        if (
            password is None
            or len(password) > MAX_PASSWORD_LENGTH
            or not await verify_password(routing.password_hash, password)
        ):
            await self._throttle.failed(link.id, client_ip)
            await self._page(scope, send, 401, password_page("Wrong password."))
            return True
        await self._redirect(scope, send, link, client_ip)
        return True

    async def expired(self, scope: Scope, send: Any, link: CachedLink) -> None:
        """An expired or used-up link: to its `expired_redirect` if it has one, else 410."""
        routing = link.routing
        if routing is not None and routing.expired_redirect:
            await _send_redirect(send, routing.expired_redirect.encode("latin-1"))
            return
        await self._send_error(scope, send, 410, "Short URL has expired")

    async def destination(self, scope: Scope, link: CachedLink, client_ip: str) -> Destination:
        """Where this request goes: the first matching rule, else the visitor's variant,
        else the link's long_url."""
        routing = link.routing
        assert routing is not None
        visit = VisitFacts(scope, client_ip, self._facts)
        if routing.rules:
            chosen = routing.rule_destination(visit)
            if chosen is not None:
                return chosen
        if routing.variants:
            try:
                salt = await self.salts.today()
            except Exception:
                log.exception("the visitor salt could not be read; sending to the long URL")
                return routing.default
            return routing.variant_for(visitor_hash(salt, client_ip, visit.user_agent()), link.id)
        return routing.default

    async def _redirect(
        self, scope: Scope, send: Any, link: CachedLink, client_ip: str | None
    ) -> None:
        if client_ip is None:
            client_ip = self.runtime.client_ip.from_scope(scope)
        use = 0
        if link.max_clicks is not None:
            try:
                taken = await self.runtime.clicks.limit.take(link, use=scope["method"] != "HEAD")
            except Exception:
                log.exception("counting a use of link %d failed", link.id)
                await self._send_error(scope, send, 500, "Internal server error")
                return
            if taken is None:
                await self.expired(scope, send, link)
                return
            use = taken
        destination = await self.destination(scope, link, client_ip)
        await _send_redirect(send, destination.location)
        tracker = self.runtime.clicks.tracker
        if tracker is not None:
            tracker.record(scope, link.id, use, client_ip, destination.label)

    async def _page(
        self,
        scope: Scope,
        send: Any,
        status: int,
        body: bytes,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        headers = [*_PAGE_HEADERS, (b"content-length", str(len(body)).encode()), *(extra or ())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )


async def _send_redirect(send: Any, location: bytes) -> None:
    # 302 and no-store whatever REDIRECT_STATUS says: a browser that kept this answer would
    # skip the rules, the variant draw or the password next time.
    await send(
        {
            "type": "http.response.start",
            "status": 302,
            "headers": [
                (b"location", location),
                (b"cache-control", b"no-store"),
                (b"content-length", b"0"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def _read_body(receive: Any) -> bytes:
    """The request body, up to `MAX_FORM_BYTES` (the rest is read and dropped)."""
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return body
        if len(body) < MAX_FORM_BYTES:
            body += message.get("body", b"")[: MAX_FORM_BYTES - len(body)]
        if not message.get("more_body", False):
            return body


def _form_field(body: bytes, name: str) -> str | None:
    try:
        values = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20).get(name)
    except ValueError:  # more fields than a password form has
        return None
    return values[0] if values else None
