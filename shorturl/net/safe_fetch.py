"""Outbound HTTP to URLs that users choose (page metadata, webhooks), safe from SSRF.

The address rules live at the socket layer: every TCP connection the HTTP client opens goes
through `GuardedNetworkBackend.connect_tcp`, which resolves the host itself, refuses the
connection when *any* resolved address is loopback, private, link-local (cloud metadata
services), multicast, reserved or otherwise not globally routable, and then connects to the
very address it checked. So redirects (followed by hand, a few at most) are checked hop by
hop, and a DNS answer that changes between the check and the connection (DNS rebinding) has
nothing to swap. Proxies from the environment are ignored. Each fetch has a total deadline
and a cap on the body it reads.

`FetchPolicy(allow_private=True)` (setting `ALLOW_PRIVATE_TARGETS`) lifts the address rules,
for local development and tests.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

__all__ = [
    "FetchFailed",
    "FetchPolicy",
    "FetchedResponse",
    "GuardedNetworkBackend",
    "IPAddress",
    "Resolver",
    "SafeFetcher",
    "TargetRefused",
    "is_public_address",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")


class FetchFailed(Exception):
    """The fetch did not produce a response: network error, timeout, too many redirects."""


class TargetRefused(FetchFailed):
    """The URL is not one this service may fetch (scheme, or an address the rules forbid)."""


def is_public_address(address: IPAddress) -> bool:
    """Whether `address` is a globally routable unicast address, including the IPv4 address
    inside an IPv4-mapped, 6to4, Teredo or NAT64 IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (A and AAAA), in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Rules and limits of outbound fetches.

    `allowed_networks` are exceptions to the address rules (say, an internal webhook
    receiver at 10.1.2.3/32) that keep every other private address refused.
    """

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    timeout: float = 5.0  # seconds for the whole fetch, redirects included
    max_bytes: int = 1_000_000  # body bytes read (after decompression); the rest is dropped
    max_redirects: int = 3
    user_agent: str = "shorturl (+https://github.com/shorturl; link preview and webhooks)"

    def permits(self, address: IPAddress) -> bool:
        if self.allow_private or is_public_address(address):
            return True
        return any(address in network for network in self.allowed_networks)


@dataclass(frozen=True, slots=True)
class FetchedResponse:
    url: str  # after redirects
    status_code: int
    headers: httpx.Headers
    content: bytes
    truncated: bool = False
    redirects: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return httpx.Response(200, headers=self.headers, content=self.content).text


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to addresses `policy` permits, pinned to the checked one."""

    def __init__(
        self,
        policy: FetchPolicy,
        resolver: Resolver = system_resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def permitted_addresses(self, host: str, port: int) -> list[str]:
        """The addresses of `host`, all of them permitted; TargetRefused if any is not (an
        attacker controls which one a client would pick) or the name does not resolve."""
        try:
            addresses = [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            try:
                resolved = await self.resolver(host, port)
            except OSError as exc:
                raise TargetRefused(f"cannot resolve {host}: {exc}") from None
            addresses = [ipaddress.ip_address(item.split("%", 1)[0]) for item in resolved]
        if not addresses:
            raise TargetRefused(f"{host} has no address")
        for address in addresses:
            if not self.policy.permits(address):
                raise TargetRefused(
                    f"{host} resolves to {address}, a private or reserved address"
                    if str(address) != host.strip("[]")
                    else f"{address} is a private or reserved address"
                )
        return [str(address) for address in addresses]

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last_error: Exception | None = None
        for address in await self.permitted_addresses(host, port):
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("unix sockets are never a fetch target")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, backend: GuardedNetworkBackend) -> None:
        super().__init__(trust_env=False)
        # httpx does not take a network backend; its pool does.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=50,
            max_keepalive_connections=10,
            keepalive_expiry=15.0,
            network_backend=backend,
        )


class SafeFetcher:
    """GET pages (following a few redirects) and POST payloads under a `FetchPolicy`.

    One per process; `aclose()` on shutdown.
    """

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        resolver: Resolver = system_resolver,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.policy = policy
        self.backend = GuardedNetworkBackend(policy, resolver, network_backend)
        self._client = httpx.AsyncClient(
            transport=_GuardedTransport(self.backend),
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(policy.timeout),
            headers={"User-Agent": policy.user_agent},
        )

    async def check_target(self, url: str) -> None:
        """TargetRefused unless `url` is an http(s) URL whose host may be fetched now."""
        parts = _http_url(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        await self.backend.permitted_addresses(parts.hostname or "", port)

    async def get(self, url: str, *, headers: dict[str, str] | None = None) -> FetchedResponse:
        """GET `url`, following at most `policy.max_redirects` redirects."""
        return await self._follow("GET", url, headers)

    async def head(self, url: str, *, headers: dict[str, str] | None = None) -> FetchedResponse:
        """HEAD `url`, following at most `policy.max_redirects` redirects."""
        return await self._follow("HEAD", url, headers)

    async def _follow(
        self, method: str, url: str, headers: dict[str, str] | None
    ) -> FetchedResponse:
        hops: list[str] = []
        try:
            async with asyncio.timeout(self.policy.timeout):
                while True:
                    _http_url(url)
                    response = await self._send(method, url, headers=headers)
                    location = response.headers.get("location")
                    if response.status_code not in _REDIRECTS or not location:
                        return replace(response, redirects=hops)
                    if len(hops) >= self.policy.max_redirects:
                        raise FetchFailed(f"more than {self.policy.max_redirects} redirects")
                    hops.append(url)
                    url = urljoin(url, location)
        except TimeoutError:
            raise FetchFailed(f"no answer within {self.policy.timeout:g} s") from None

    async def redirect_target(self, url: str) -> str | None:
        """Where `url` redirects to (absolute), without following it: a HEAD, then a GET when
        the HEAD is not answered with a redirect; None when neither redirects."""
        _http_url(url)
        try:
            async with asyncio.timeout(self.policy.timeout):
                for method in ("HEAD", "GET"):
                    response = await self._send(method, url, headers=None)
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        return urljoin(url, location)
        except TimeoutError:
            raise FetchFailed(f"no answer within {self.policy.timeout:g} s") from None
        return None

    async def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> FetchedResponse:
        """POST `content` to `url`. Redirects are not followed (a 3xx is the answer)."""
        _http_url(url)
        try:
            async with asyncio.timeout(self.policy.timeout):
                return await self._send("POST", url, headers=headers, content=content)
        except TimeoutError:
            raise FetchFailed(f"no answer within {self.policy.timeout:g} s") from None

    async def _send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None,
        content: bytes | None = None,
    ) -> FetchedResponse:
        try:
            async with self._client.stream(
                method, url, headers=headers, content=content
            ) as response:
                body, truncated = await _read_capped(response, self.policy.max_bytes)
        except httpx.HTTPError as exc:
            raise FetchFailed(
                f"{exc.__class__.__name__}: {exc}" if str(exc) else repr(exc)
            ) from None
        return FetchedResponse(
            url=url,
            status_code=response.status_code,
            headers=response.headers,
            content=body,
            truncated=truncated,
        )

    async def aclose(self) -> None:
        await self._client.aclose()


def _http_url(url: str) -> Any:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("only http and https URLs are fetched")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("URLs with credentials are not fetched")
    return parts


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False
