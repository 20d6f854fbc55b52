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
from shorturl.analytics.enrich import ClickEnricher, preferred_language, visitor_hash
from shorturl.analytics.events import MAX_USER_AGENT
from shorturl.analytics.visitors import VisitorSalts
from shorturl.api.security_headers import REDIRECT_PAGE_HEADERS
from shorturl.links.codes import RESERVED_WORDS, is_possible_code
from shorturl.links.models import LinkStatus, cache_key
from shorturl.links.routing import MAX_PASSWORD_LENGTH, Destination, Visit, os_name
from shorturl.net.client_ip import ClientIpResolver
from shorturl.ratelimit.limiter import RateLimiter
from shorturl.ratelimit.link_passwords import LinkPasswordThrottle
from shorturl.redirect.pages import password_page
from shorturl.storage.cache import CachedLink
from shorturl.storage.outage import is_outage

if TYPE_CHECKING:
    from shorturl.runtime import Runtime

__all__ = ["RoutedRedirects"]

log = logging.getLogger(__name__)

Scope = dict[str, Any]
SendError = Callable[..., Awaitable[None]]
SendFailure = Callable[..., Awaitable[None]]

MAX_FORM_BYTES: Final = 4096
MAX_FACTS: Final = 4096  # distinct header values whose facts are kept, emptied when full
_EMPTY_BODY: Final = {"type": "http.response.body", "body": b""}
_PAGE_HEADERS: Final = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-robots-tag", b"noindex"),
    *REDIRECT_PAGE_HEADERS,
]


class RequestFacts:
    """`FactSource` of the rules: raw header values to facts, each value parsed once (a few
    hundred user agents and languages make most traffic), by the analytics enricher."""

    def __init__(self, enricher: ClickEnricher, client_ip: ClientIpResolver) -> None:
        self.enricher = enricher
        self.client_ip_of = client_ip.from_scope
        self._texts: dict[bytes | None, str | None] = {}
        self._agents: dict[bytes | None, tuple[str, str | None]] = {}
        self._languages: dict[bytes | None, str | None] = {}

    def user_agent_text(self, raw: bytes | None) -> str | None:
        """Cut and decoded as the click tracker records it."""
        text = self._texts.get(raw, _NOT_SEEN)
        if text is _NOT_SEEN:
            text = None if raw is None else raw[:MAX_USER_AGENT].decode("latin-1")
            _keep(self._texts, raw, text)
        return text  # type: ignore[return-value]

    def agent_of(self, raw: bytes | None) -> tuple[str, str | None]:
        """(device, os as rules name it) of a user agent."""
        found = self._agents.get(raw)
        if found is None:
            facts = self.enricher.agent(self.user_agent_text(raw))
            found = (facts.device, os_name(facts.os))
            _keep(self._agents, raw, found)
        return found

    def language_of(self, raw: bytes | None) -> str | None:
        """The primary tag of the first language (`fr-CA,fr;q=0.9` → `fr`)."""
        tag = self._languages.get(raw, _NOT_SEEN)
        if tag is _NOT_SEEN:
            first = preferred_language(raw.decode("latin-1")) if raw else None
            tag = first.split("-", 1)[0].lower() if first else None
            _keep(self._languages, raw, tag)
        return tag  # type: ignore[return-value]

    def country_of(self, ip: str) -> str | None:
        return self.enricher.country_of(ip)


_NOT_SEEN: Final[Any] = object()


def _keep(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= MAX_FACTS:
        cache.clear()
    cache[key] = value


class RoutedRedirects:
    def __init__(self, runtime: Runtime, send_error: SendError, send_failure: SendFailure) -> None:
        self.runtime = runtime
        self._send_error = send_error  # RedirectFront._error: the redirect's error pages
        self._send_failure = send_failure  # RedirectFront._failed: 503 in an outage, else 500
        settings = runtime.settings
        # The analytics enricher's parsing and GeoIP, for the rules' facts.
        self._facts = RequestFacts(
            ClickEnricher(ip_storage=settings.ip_storage, geoip_db=settings.geoip_db),
            runtime.client_ip,
        )
        self._tracker = runtime.clicks.tracker  # None when click tracking is off
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
        if link.max_clicks is not None or routing.variants:
            await self._redirect(scope, send, link, client_ip)
            return
        # rules alone (the common smart link): no await before the answer
        visit = Visit(scope, client_ip, self._facts)
        destination = routing.rule_destination(visit) or routing.default
        if self._tracker is not None:  # before the answer: a served click is one recorded
            self._tracker.record(scope, link.id, 0, visit.client_ip, destination.label)
        await send(destination.start)
        await send(_EMPTY_BODY)

    async def unlock(self, scope: Scope, receive: Any, send: Any) -> bool:
        """`POST /{code}` with the password form: True when answered here, False when the
        path is not a password-protected link (the app answers then)."""
        path: str = scope["path"]
        code = path[1:]
        if path.rfind("/") != 0 or not code or code in RESERVED_WORDS:
            return False
        domain = self.runtime.domains.domain_of(scope)  # a link of an extra domain, by Host
        entry = self.runtime.cache.get_local(cache_key(code, domain))
        if entry is None:
            if not is_possible_code(code):
                return False
            try:
                entry = await self.runtime.resolver.resolve(code, domain)
            except Exception as exc:
                await self._send_failure(scope, send, exc, f"resolving {code!r} failed")
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
            await send(Destination(routing.expired_redirect, None).start)
            await send(_EMPTY_BODY)
            return
        await self._send_error(scope, send, 410, "Short URL has expired")

    async def destination(self, scope: Scope, link: CachedLink, client_ip: str) -> Destination:
        """Where this request goes: the first matching rule, else the visitor's variant,
        else the link's long_url."""
        routing = link.routing
        assert routing is not None
        visit = Visit(scope, client_ip, self._facts)
        if routing.rules:
            chosen = routing.rule_destination(visit)
            if chosen is not None:
                return chosen
        if routing.variants:
            try:
                salt = await self.salts.today()
            except Exception as exc:
                if is_outage(exc):  # one warning per outage, not a traceback per visit
                    self.runtime.report_outage(exc)
                else:
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
            except Exception as exc:
                await self._send_failure(
                    scope, send, exc, f"counting a use of link {link.id} failed"
                )
                return
            if taken is None:
                await self.expired(scope, send, link)
                return
            use = taken
        destination = await self.destination(scope, link, client_ip)
        if self._tracker is not None:  # before the answer: a served click is one recorded
            self._tracker.record(scope, link.id, use, client_ip, destination.label)
        await send(destination.start)
        await send(_EMPTY_BODY)

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
