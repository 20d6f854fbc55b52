"""Which address is the client's: X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

import pytest

from shorturl.net.client_ip import ClientIpResolver


def scope(peer: str, *forwarded: str) -> dict:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"type": "http", "client": (peer, 5000), "headers": [(b"host", b"x"), *headers]}


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    resolver = ClientIpResolver()
    assert resolver.from_scope(scope("198.51.100.7", "1.2.3.4")) == "198.51.100.7"
    assert resolver.resolve("198.51.100.7", "1.2.3.4") == "198.51.100.7"


def test_an_untrusted_peer_cannot_pick_its_address() -> None:
    resolver = ClientIpResolver(["10.0.0.0/8"])
    assert resolver.from_scope(scope("198.51.100.7", "1.2.3.4")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("forwarded", "client"),
    [
        (["203.0.113.9"], "203.0.113.9"),
        # The client sent its own header; the proxy appended the real address.
        (["1.1.1.1, 203.0.113.9"], "203.0.113.9"),
        # Two trusted hops: skip both, the first untrusted address is the client.
        (["1.1.1.1, 203.0.113.9, 10.1.2.3"], "203.0.113.9"),
        # The header split over several lines counts as one list, in order.
        (["1.1.1.1", "203.0.113.9, 10.1.2.3"], "203.0.113.9"),
        # Only trusted hops: the leftmost is as far as we can see.
        (["10.9.9.9, 10.1.2.3"], "10.9.9.9"),
        # Garbage stops the walk at the last trusted hop.
        (["203.0.113.9, not-an-ip"], "10.0.0.1"),
        (["203.0.113.9:4711"], "203.0.113.9"),
        (["[2001:db8::1]:443"], "2001:db8::1"),
        (["2001:db8::2"], "2001:db8::2"),
        ([""], "10.0.0.1"),
    ],
)
def test_a_trusted_proxy_is_read_right_to_left(forwarded: list[str], client: str) -> None:
    resolver = ClientIpResolver(["10.0.0.0/8", "192.0.2.1"])
    assert resolver.from_scope(scope("10.0.0.1", *forwarded)) == client
    # The same with single trusted addresses only (matched without parsing anything).
    exact = ClientIpResolver(["10.0.0.1", "10.1.2.3", "10.9.9.9"])
    assert exact.from_scope(scope("10.0.0.1", *forwarded)) == client


def test_single_addresses_and_ipv4_mapped_peers_are_trusted() -> None:
    resolver = ClientIpResolver(["192.0.2.1"])
    assert resolver.from_scope(scope("192.0.2.1", "203.0.113.9")) == "203.0.113.9"
    assert resolver.from_scope(scope("::ffff:192.0.2.1", "203.0.113.9")) == "203.0.113.9"
    assert resolver.from_scope(scope("192.0.2.2", "203.0.113.9")) == "192.0.2.2"


def test_no_peer_is_unknown_and_bad_settings_are_refused() -> None:
    assert ClientIpResolver().from_scope({"type": "http", "client": None, "headers": []}) == (
        "unknown"
    )
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        ClientIpResolver(["proxy.example"])
