"""The outbound fetcher: real local servers, the SSRF rules at every hop, pinning, limits."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from shorturl.net.safe_fetch import (
    FetchFailed,
    FetchPolicy,
    SafeFetcher,
    TargetRefused,
    is_public_address,
)
from tests.local_servers import serving, serving_on_one_port

LOCKED = FetchPolicy(allow_private=False, timeout=2.0)
OPEN = FetchPolicy(allow_private=True, timeout=2.0)


def page_app(text: str = "hello", redirect_to: str | None = None) -> Starlette:
    async def page(request: Request) -> Response:
        if redirect_to is not None:
            return RedirectResponse(redirect_to, status_code=302)
        return PlainTextResponse(text)

    async def big(request: Request) -> Response:
        return PlainTextResponse("x" * 5_000_000)

    async def slow(request: Request) -> Response:
        await asyncio.sleep(1.5)
        return PlainTextResponse("late")

    async def echo(request: Request) -> Response:
        body = await request.body()
        return PlainTextResponse(f"{request.method} {request.headers.get('host')} {body.decode()}")

    return Starlette(
        routes=[
            Route("/", page),
            Route("/big", big),
            Route("/slow", slow),
            Route("/echo", echo, methods=["GET", "POST"]),
            Route("/loop", lambda r: RedirectResponse("/loop", status_code=301)),
        ]
    )


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),  # multicast
        ("240.0.0.1", False),  # reserved
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fd00:ec2::254", False),  # AWS metadata over IPv6
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:93.184.216.34", False),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("64:ff9b::a01:203", False),  # NAT64 around 10.1.2.3
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


async def test_fetches_a_local_page_when_private_targets_are_allowed() -> None:
    fetcher = SafeFetcher(OPEN)
    async with serving(page_app("hello")) as server:
        response = await fetcher.get(server.url("/"))
        posted = await fetcher.post(
            server.url("/echo"), content=b"payload", headers={"X-Test": "1"}
        )
    await fetcher.aclose()
    assert (response.status_code, response.content, response.truncated) == (200, b"hello", False)
    assert posted.text == f"POST 127.0.0.1:{server.port} payload"


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",  # a DNS name that resolves to loopback
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://0.0.0.0:{port}/",
        "http://127.1:{port}/",
        "http://2130706433:{port}/",  # 127.0.0.1 as one number
        "http://10.0.0.1/",
        "http://192.168.0.1:8080/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
    ],
)
async def test_private_targets_are_refused(target: str) -> None:
    fetcher = SafeFetcher(LOCKED)
    async with serving(page_app("secret")) as server:
        url = target.format(port=server.port)
        with pytest.raises(TargetRefused):
            await fetcher.get(url)
        with pytest.raises(TargetRefused):
            await fetcher.post(url, content=b"{}", headers={})
        with pytest.raises(TargetRefused):
            await fetcher.check_target(url)
    await fetcher.aclose()


@pytest.mark.parametrize(
    "scheme_url", ["file:///etc/passwd", "ftp://example.com/", "gopher://x.y/"]
)
async def test_only_http_is_fetched(scheme_url: str) -> None:
    fetcher = SafeFetcher(OPEN)
    with pytest.raises(TargetRefused):
        await fetcher.get(scheme_url)
    await fetcher.aclose()


async def test_every_redirect_hop_is_checked() -> None:
    """127.0.0.2 stands in for a public site (the one network let through); its redirect to
    127.0.0.1 is refused, while a redirect that stays on 127.0.0.2 is followed."""
    policy = FetchPolicy(
        allow_private=False,
        allowed_networks=(ipaddress.ip_network("127.0.0.2/32"),),
        timeout=2.0,
    )
    fetcher = SafeFetcher(policy)
    async with (
        serving(page_app("internal secret")) as internal,
        serving(page_app(redirect_to=internal.url("/")), host="127.0.0.2") as evil,
        serving(page_app("fine"), host="127.0.0.2") as good,
        serving(page_app(redirect_to=good.url("/")), host="127.0.0.2") as hop,
        serving(page_app(redirect_to="file:///etc/passwd"), host="127.0.0.2") as to_file,
    ):
        with pytest.raises(TargetRefused, match="127.0.0.1"):
            await fetcher.get(evil.url("/"))
        followed = await fetcher.get(hop.url("/"))
        assert followed.content == b"fine"
        assert followed.url == good.url("/")
        assert followed.redirects == [hop.url("/")]
        with pytest.raises(TargetRefused):
            await fetcher.get(to_file.url("/"))
    await fetcher.aclose()


async def test_dns_rebinding_cannot_swap_the_checked_address() -> None:
    """The first answer for `rebind.test` is the allowed 127.0.0.2, later ones 127.0.0.1. A
    client that checked, then let its HTTP library resolve again, would reach 127.0.0.1."""
    answers: list[str] = []

    async def rebinding_resolver(host: str, port: int) -> list[str]:
        answers.append(host)
        return ["127.0.0.2"] if len(answers) == 1 else ["127.0.0.1"]

    policy = FetchPolicy(
        allow_private=False,
        allowed_networks=(ipaddress.ip_network("127.0.0.2/32"),),
        timeout=2.0,
    )
    fetcher = SafeFetcher(policy, resolver=rebinding_resolver)
    async with serving_on_one_port(
        (page_app("public page"), "127.0.0.2"), (page_app("internal secret"), "127.0.0.1")
    ) as (public, _internal):
        response = await fetcher.get(f"http://rebind.test:{public.port}/echo")
    await fetcher.aclose()
    assert answers == ["rebind.test"]
    assert response.text == f"GET rebind.test:{public.port} "


async def test_body_is_capped_and_slow_servers_time_out() -> None:
    # A generous deadline where the answer must come (a busy machine), a short one for /slow.
    fetcher = SafeFetcher(FetchPolicy(allow_private=True, timeout=10, max_bytes=1000))
    hasty = SafeFetcher(FetchPolicy(allow_private=True, timeout=0.5))
    async with serving(page_app()) as server:
        big = await fetcher.get(server.url("/big"))
        assert (len(big.content), big.truncated) == (1000, True)
        with pytest.raises(FetchFailed, match="no answer within 0.5 s"):
            await hasty.get(server.url("/slow"))
        with pytest.raises(FetchFailed, match="redirects"):
            await fetcher.get(server.url("/loop"))
    await fetcher.aclose()
    await hasty.aclose()


async def test_a_closed_port_is_a_fetch_failure() -> None:
    fetcher = SafeFetcher(OPEN)
    async with serving(page_app()) as server:
        url = server.url("/")
    with pytest.raises(FetchFailed) as caught:
        await fetcher.get(url)
    assert not isinstance(caught.value, TargetRefused)
    await fetcher.aclose()
