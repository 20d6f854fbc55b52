"""The real PyPI `yourls` client (1.2.3) against `shorturl serve`: its whole surface."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import requests
import yourls

from tests.client.conftest import SdkUser, new_user
from tests.live_server import LiveServer

HUMAN = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"


@pytest.fixture
def owner(live_server: LiveServer) -> SdkUser:
    return new_user(live_server, "yrl")


@pytest.fixture
def api_url(live_server: LiveServer) -> str:
    return f"{live_server.url}/yourls-api.php"


@pytest.fixture
def client(api_url: str, owner: SdkUser) -> yourls.YOURLSClient:
    return yourls.YOURLSClient(api_url, signature=owner.api_key)


def _keyword() -> str:
    return "yk" + secrets.token_hex(4)


def _click(server: LiveServer, keyword: str, times: int) -> None:
    with httpx.Client() as http:
        for _ in range(times):
            answer = http.get(f"{server.url}/{keyword}", headers={"User-Agent": HUMAN})
            assert answer.status_code in (301, 302, 307, 308)


def _clicks_settle(client: yourls.YOURLSClient, keyword: str, clicks: int) -> yourls.ShortenedURL:
    deadline = time.monotonic() + 15
    while True:
        stats = client.url_stats(keyword)
        if stats.clicks == clicks or time.monotonic() > deadline:
            return stats
        time.sleep(0.1)


def test_shorten_expand_and_url_stats(client: yourls.YOURLSClient, live_server: LiveServer) -> None:
    keyword = _keyword()
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    short = client.shorten("https://example.com/yourls/page", keyword=keyword, title="A page")
    assert short.shorturl == f"{live_server.url}/{keyword}"
    assert short.keyword == keyword
    assert short.url == "https://example.com/yourls/page"
    assert short.title == "A page"
    assert before - timedelta(seconds=1) <= short.date <= before + timedelta(seconds=60)
    assert short.clicks == 0

    assert client.expand(keyword) == "https://example.com/yourls/page"
    assert client.expand(short.shorturl) == "https://example.com/yourls/page"

    _click(live_server, keyword, 2)
    stats = _clicks_settle(client, keyword, 2)
    assert stats.clicks == 2
    assert stats.shorturl == short.shorturl
    assert stats.url == short.url
    assert stats.title == "A page"
    assert stats.date == short.date
    assert client.url_stats(short.shorturl) == stats


def test_shorten_without_keyword_or_title(client: yourls.YOURLSClient) -> None:
    short = client.shorten("https://example.com/untitled")
    assert short.keyword and short.shorturl.endswith("/" + short.keyword)
    assert short.title == "https://example.com/untitled"  # no title: YOURLS shows the URL
    assert client.expand(short.keyword) == "https://example.com/untitled"


def test_shorten_errors(client: yourls.YOURLSClient, live_server: LiveServer) -> None:
    keyword = _keyword()
    client.shorten("https://example.com/first", keyword=keyword)
    with pytest.raises(yourls.YOURLSKeywordExistsError) as taken:
        client.shorten("https://example.com/second", keyword=keyword)
    assert taken.value.keyword == keyword
    assert client.expand(keyword) == "https://example.com/first"  # unchanged
    with pytest.raises(yourls.YOURLSKeywordExistsError):
        client.shorten("https://example.com/reserved", keyword="dashboard")
    with pytest.raises(yourls.YOURLSNoURLError):
        client.shorten("")
    with pytest.raises(yourls.YOURLSNoURLError):
        client.shorten("https://")
    with pytest.raises(yourls.YOURLSNoLoopError):
        client.shorten(f"{live_server.url}/{keyword}")


def test_unknown_short_urls(client: yourls.YOURLSClient) -> None:
    with pytest.raises(yourls.YOURLSHTTPError) as expand:
        client.expand("nope" + secrets.token_hex(4))
    assert expand.value.response.status_code == 404
    assert str(expand.value) == "Error: short URL not found"
    with pytest.raises(yourls.YOURLSHTTPError) as stats:
        client.url_stats("https://elsewhere.example/abc")
    assert stats.value.response.status_code == 404


def test_stats_and_db_stats(api_url: str, live_server: LiveServer) -> None:
    owner = new_user(live_server, "yst")
    client = yourls.YOURLSClient(api_url, signature=owner.api_key)
    links, totals = client.stats("top", 10)
    assert links == []
    assert (totals.total_links, totals.total_clicks) == (0, 0)

    popular, quiet, newest = (
        client.shorten(f"https://example.com/{name}", keyword=_keyword())
        for name in ("popular", "quiet", "newest")
    )
    _click(live_server, popular.keyword, 3)
    _click(live_server, quiet.keyword, 1)
    _clicks_settle(client, popular.keyword, 3)
    _clicks_settle(client, quiet.keyword, 1)

    top, totals = client.stats("top", 2)
    assert [link.shorturl for link in top] == [popular.shorturl, quiet.shorturl]
    assert [link.clicks for link in top] == [3, 1]
    assert (totals.total_links, totals.total_clicks) == (3, 4)
    bottom, _ = client.stats("bottom", 1)
    assert [link.shorturl for link in bottom] == [newest.shorturl]
    last, _ = client.stats("last", 3)
    assert [link.shorturl for link in last] == [newest.shorturl, quiet.shorturl, popular.shorturl]
    skipped, _ = client.stats("last", 1, start=1)
    assert [link.shorturl for link in skipped] == [quiet.shorturl]
    shuffled, _ = client.stats("random", 3)
    assert sorted(link.shorturl for link in shuffled) == sorted(
        link.shorturl for link in (popular, quiet, newest)
    )
    with pytest.raises(KeyError):  # the client's quirk: it reads link_1…link_<limit>
        client.stats("top", 5)
    with pytest.raises(ValueError):
        client.stats("worst", 1)  # refused by the client itself
    assert client.db_stats() == yourls.DBStats(total_clicks=4, total_links=3)

    # another user's links are not in these stats
    stranger = yourls.YOURLSClient(api_url, signature=new_user(live_server, "yso").api_key)
    assert stranger.db_stats() == yourls.DBStats(total_clicks=0, total_links=0)
    with pytest.raises(yourls.YOURLSHTTPError):
        stranger.url_stats(popular.keyword)


def test_username_and_password(api_url: str, owner: SdkUser) -> None:
    by_name = yourls.YOURLSClient(api_url, username=owner.username, password=owner.password)
    short = by_name.shorten("https://example.com/by-password")
    by_email = yourls.YOURLSClient(api_url, username=owner.email, password=owner.password)
    assert by_email.url_stats(short.keyword).url == "https://example.com/by-password"
    # the link is the signed-in user's
    by_key = yourls.YOURLSClient(api_url, signature=owner.api_key)
    assert by_key.db_stats().total_links == 1


def test_wrong_or_no_credentials(api_url: str, owner: SdkUser) -> None:
    for client in (
        yourls.YOURLSClient(api_url, signature="sk_live_" + "x" * 40),
        yourls.YOURLSClient(api_url, signature="0123456789"),
        yourls.YOURLSClient(api_url, username=owner.username, password="wrong password"),
    ):
        with pytest.raises(yourls.YOURLSHTTPError) as refused:
            client.db_stats()
        assert refused.value.response.status_code == 403
        assert str(refused.value) == "Invalid username or password"
    with pytest.raises(yourls.YOURLSHTTPError) as anonymous:
        yourls.YOURLSClient(api_url).shorten("https://example.com/anon")
    assert anonymous.value.response.status_code == 403
    assert str(anonymous.value) == "Please log in"
    assert isinstance(anonymous.value, requests.HTTPError)
