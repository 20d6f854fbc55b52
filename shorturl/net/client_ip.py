"""The client's IP address, honouring `X-Forwarded-For` only from `TRUSTED_PROXIES`.

Anyone can send `X-Forwarded-For: 1.2.3.4`; believing it would let a client pick its own rate
limit bucket and forge its analytics. So the header is read only when the direct peer is a
trusted proxy, and then right to left: each hop that is itself a trusted proxy is skipped, and
the first untrusted address is the client (the left part of the header is whatever the
client sent and proves nothing).

Cheap enough for the redirect hot path: with no trusted proxies it is one dict lookup on the
ASGI scope; otherwise answers for peers are memoised.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = ["UNKNOWN_CLIENT", "ClientIpResolver", "forwarded_for"]

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN_CLIENT: Final = "unknown"  # a request without a peer address (not over TCP)
_MEMO_SIZE: Final = 16_384
_MISSING: Final = object()
_IP_CHARACTERS: Final = "0123456789abcdefABCDEF.:"


def forwarded_for(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """Every `X-Forwarded-For` header of a raw ASGI header list, joined in order."""
    found: str | None = None
    for name, value in headers:
        if name == b"x-forwarded-for":
            text = value.decode("latin-1")
            found = text if found is None else f"{found},{text}"
    return found


class ClientIpResolver:
    """Knows the trusted proxies (addresses or CIDR networks) and finds the client's address."""

    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        networks: list[IpNetwork] = []
        for entry in trusted_proxies:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"TRUSTED_PROXIES: {entry!r} is not an IP address or network"
                ) from None
        self._networks = tuple(networks)
        # Single addresses (the usual load balancer or two) are matched as strings, and when
        # nothing else is trusted, any other address is untrusted without being parsed.
        single = [net.network_address for net in networks if net.num_addresses == 1]
        self._trusted_exact = frozenset(
            [str(ip) for ip in single] + [f"::ffff:{ip}" for ip in single if ip.version == 4]
        )
        self._only_exact = len(single) == len(networks)
        self._ipv4_ranges = tuple(
            (int(network.network_address), int(network.broadcast_address))
            for network in networks
            if network.version == 4
        )
        self._memo: dict[str, bool | None] = {}

    @property
    def trusts_proxies(self) -> bool:
        """False: every request's client is its peer, and `X-Forwarded-For` is never read."""
        return bool(self._networks)

    def is_trusted(self, address: str) -> bool:
        return self._classify(address) is True

    def _classify(self, address: str) -> bool | None:
        """True for a trusted proxy, False for another address, None for no address at all.
        Memoised, and dotted IPv4 is parsed by hand: `ipaddress` costs microseconds."""
        if address in self._trusted_exact:
            return True
        if (
            self._only_exact
            and 0 < len(address) <= 45
            and address.count(":") != 1  # not `address:port`
            and not address.strip(_IP_CHARACTERS)
        ):
            return False  # shaped like an address and not a trusted one: no need to parse it
        known = self._memo.get(address, _MISSING)
        if known is not _MISSING:
            return known  # type: ignore[return-value]
        verdict = self._classify_ipv4(address)
        if verdict is _MISSING:
            verdict = self._classify_other(address)
        if len(self._memo) >= _MEMO_SIZE:
            self._memo.clear()
        self._memo[address] = verdict  # type: ignore[assignment]
        return verdict  # type: ignore[return-value]

    def _classify_ipv4(self, address: str) -> object:
        parts = address.split(".")
        if len(parts) != 4:
            return _MISSING
        value = 0
        for part in parts:
            if not (part.isascii() and part.isdigit()) or len(part) > 3 or int(part) > 255:
                return _MISSING  # not plain dotted IPv4 (maybe IPv4-mapped IPv6): ask ipaddress
            value = value << 8 | int(part)
        return any(first <= value <= last for first, last in self._ipv4_ranges)

    def _classify_other(self, address: str) -> bool | None:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self._networks)

    def resolve(self, peer: str | None, forwarded: str | None) -> str:
        """The client address, from the peer address and the `X-Forwarded-For` value."""
        if peer is None:
            return UNKNOWN_CLIENT
        if not forwarded or not self._networks or self._classify(peer) is not True:
            return peer
        client = peer
        for hop in reversed(forwarded.split(",")):
            hop = hop.strip()
            verdict = self._classify(hop)
            if verdict is None:
                hop = _strip_port(hop)
                verdict = self._classify(hop)
                if verdict is None:
                    break  # a garbled entry: the last trusted hop is the best we know
            client = hop
            if not verdict:
                break
        return client

    def from_scope(self, scope: Mapping[str, Any]) -> str:
        """The client address of an ASGI HTTP scope."""
        peer = scope.get("client")
        address = peer[0] if peer else None
        if not self._networks or address is None or self._classify(address) is not True:
            return address or UNKNOWN_CLIENT
        return self.resolve(address, forwarded_for(scope.get("headers", ())))


def _strip_port(hop: str) -> str:
    """`[2001:db8::1]:443` → `2001:db8::1`, `203.0.113.7:8080` → `203.0.113.7`."""
    if hop.startswith("["):
        return hop[1 : hop.find("]")] if "]" in hop else hop
    if hop.count(":") == 1:
        return hop.split(":", 1)[0]
    return hop
