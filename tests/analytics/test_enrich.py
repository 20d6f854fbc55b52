"""Enrichment: countries, devices, robots, referrers, languages, addresses, visitor hashes."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import iptocc
import pytest

from shorturl.analytics.enrich import (
    ClickEnricher,
    anonymize_ip,
    country_name,
    describe_agent,
    preferred_language,
    referrer_host,
)
from shorturl.analytics.events import ClickBatch, ClickEvent, decode_batch
from tests.analytics.conftest import IP, UA


def test_the_test_addresses_are_where_the_tests_say() -> None:
    assert {country: iptocc.country_code(ip) for country, ip in IP.items()} == {
        "US": "US",
        "AU": "AU",
        "RU": "RU",
    }
    assert country_name("US") == "United States"
    assert country_name("GB") == "United Kingdom"
    assert country_name("ZZ") is None


@pytest.mark.parametrize(
    ("agent", "device", "browser", "os", "robot"),
    [
        (UA["mobile"], "mobile", "Mobile Safari", "iOS", False),
        (UA["tablet"], "tablet", "Mobile Safari", "iOS", False),
        (UA["desktop"], "desktop", "Chrome", "Windows", False),
        (
            "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Mobile Safari/537.36",
            "mobile",
            "Chrome Mobile",
            "Android",
            False,
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36",
            "tablet",
            "Chrome",
            "Android",
            False,
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1 Safari/605.1.15",
            "desktop",
            "Safari",
            "Mac OS X",
            False,
        ),
        (UA["googlebot"], "other", "Googlebot", None, True),
        ("curl/8.5.0", "other", "curl", None, True),
        (None, "other", None, None, True),
    ],
)
def test_user_agents(
    agent: str | None, device: str, browser: str | None, os: str | None, robot: bool
) -> None:
    facts = describe_agent(agent)
    assert (facts.device, facts.browser, facts.os, facts.is_bot) == (device, browser, os, robot)


def test_link_previews_are_robots_that_never_count() -> None:
    for agent in (
        UA["slack"],
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0",
        "WhatsApp/2.23.20.0 A",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    ):
        facts = describe_agent(agent)
        assert facts.is_preview and facts.is_bot, agent


@pytest.mark.parametrize(
    ("referrer", "host"),
    [
        ("https://www.google.com/search?q=x", "google.com"),
        ("https://twitter.com/someone/status/1", "twitter.com"),
        ("http://WWW.Example.ORG.:8080/", "example.org"),
        (None, "direct"),
        ("", "direct"),
        ("not a url", "direct"),
        ("http://[::1", "direct"),
    ],
)
def test_referrer_hosts(referrer: str | None, host: str) -> None:
    assert referrer_host(referrer) == host


def test_languages() -> None:
    assert preferred_language("en-US,en;q=0.9") == "en-US"
    assert preferred_language("fr;q=0.8") == "fr"
    assert preferred_language("*") is None
    assert preferred_language("<script>") is None
    assert preferred_language(None) is None


def test_ip_storage() -> None:
    assert anonymize_ip("203.0.113.77", "full") == "203.0.113.77"
    assert anonymize_ip("203.0.113.77", "anonymized") == "203.0.113.0"
    assert anonymize_ip("2001:db8:1234:5678::1", "anonymized") == "2001:db8:1234::"
    assert anonymize_ip("203.0.113.77", "none") is None
    assert anonymize_ip("unknown", "full") is None


def test_enrich_a_batch() -> None:
    now = time.time()
    day = datetime.fromtimestamp(now, UTC).date()
    events = [
        ClickEvent("a", 1, now, "GET", IP["RU"], UA["mobile"], "https://www.google.com/", "ru"),
        ClickEvent("b", 1, now, "HEAD", IP["US"], UA["desktop"], None, None),
        ClickEvent("c", 1, now, "GET", IP["US"], UA["desktop"], None, None),
        ClickEvent("d", 1, now, "POST", "unknown", "curl/8.5.0", None, None),
    ]
    rows = ClickEnricher(ip_storage="anonymized").enrich(events, {day: "salt"})
    first, head, again, api = rows
    assert (first["country"], first["country_name"], first["device"]) == (
        "RU",
        "Russian Federation",
        "mobile",
    )
    assert (first["referrer_host"], first["language"], first["ip"]) == (
        "google.com",
        "ru",
        "77.88.8.0",
    )
    assert not head["is_counted"] and again["is_counted"]
    assert head["visitor_hash"] == again["visitor_hash"] != first["visitor_hash"]
    assert len(first["visitor_hash"]) == 64 and IP["RU"] not in first["visitor_hash"]
    # an API-recorded click is trusted to be one, whatever sent it
    assert api["is_counted"] and not api["is_bot"] and api["country"] is None
    other_day = ClickEnricher().enrich(events[:1], {day: "another salt"})[0]
    assert other_day["visitor_hash"] != first["visitor_hash"]


def test_the_wire_form_round_trips_and_refuses_garbage() -> None:
    events = [ClickEvent("a", 1, 1.5, "GET", "1.1.1.1", None, "https://x.test/", "en", 3)]
    assert decode_batch(ClickBatch.of(events).encode()) == events
    # as the tracker sends them: numbered from the batch's first number, after its prefix
    head = [2, 2.5, "HEAD", "::1", "curl/8", None, None, 0, None, None]
    tail = [
        3,
        4.5,
        "GET",
        "::2",
        None,
        "https://r.test/",
        "de",
        5,
        "utm_source=x",
        "https://b.test/",
    ]
    numbered = ClickBatch("p7", 26, [*head, *tail])
    assert len(numbered) == 2
    assert decode_batch(numbered.encode()) == numbered.events()
    assert numbered.events() == [
        ClickEvent("p71a", 2, 2.5, "HEAD", "::1", "curl/8", None, None),
        ClickEvent(
            "p71b",
            3,
            4.5,
            "GET",
            "::2",
            None,
            "https://r.test/",
            "de",
            5,
            "utm_source=x",
            "https://b.test/",
        ),
    ]
    # the form before the query and orphans: three items, clicks of eight values
    assert decode_batch(b'["p", 1, [2, 2.5, "GET", "ip", null, null, null, 0]]') == [
        ClickEvent("p1", 2, 2.5, "GET", "ip", None, None, None, 0)
    ]
    # an orphan visit: link 0, extra [type, path, count, query]
    orphan = ClickEvent(
        "o", 0, 1.0, "GET", "ip", None, None, None, 0, ["base_url", "/", 0, "utm_a=1"]
    )
    assert decode_batch(ClickBatch.of([orphan]).encode()) == [orphan]
    assert (orphan.orphan, orphan.query) == (["base_url", "/", 0], "utm_a=1")
    assert decode_batch(b'[["o", 0, 1.0, "GET", "ip", null, null, null, 0, ["x"]]]') == []
    assert decode_batch(b'[["o", 0, 1.0, "GET", "ip", null, null, null, 0, 7]]') == []
    # values that are not whole clicks, or a first number that is not one: nothing is kept
    assert decode_batch(b'["p", 1, [2, 2.5, "GET"]]') == []
    assert decode_batch(b'["p", 1, [2, 2.5, "GET", "ip", null, null, null, 0], 99]') == []
    assert decode_batch(b'["p", -1, [2, 2.5, "GET", "ip", null, null, null, 0]]') == []
    assert decode_batch(b'["p", 1, [2, 2.5, "GET", "ip", null, null, null, 0], 9]') == []
    assert decode_batch(b'["p", 1, [2, 2.5, "GET", "ip", null, null, null, 0], 4]') == []
    # the form of stop 12: rows numbered after the prefix
    assert decode_batch(b'["p7", [[26, 2, 2.5, "HEAD", "::1", "curl/8", null, null, 0]]]') == [
        ClickEvent("p71a", 2, 2.5, "HEAD", "::1", "curl/8", None, None)
    ]
    # the form before prefixes: a plain array of whole-id rows
    assert decode_batch(b'[["a", 1, 1.5, "GET", "ip", null, null, null]]') == [
        ClickEvent("a", 1, 1.5, "GET", "ip", None, None, None)
    ]
    assert decode_batch(b"not json") == []
    assert decode_batch(b'[["a", "not an id", 1.5, "GET", "ip", null, null, null]]') == []
    assert decode_batch(b'[["too", "short"]]') == []
    assert decode_batch(b'["p", [[-1, 1, 1.5, "GET", "ip", null, null, null]]]') == []
    assert decode_batch(b'["p", [[1.5, 1, 1.5, "GET", "ip", null, null, null], []]]') == []
    # one bad row is left out, the rest of its batch is kept
    good = '[1, 1, 1.5, "GET", "ip", null, null, null]'
    kept = decode_batch(f'["p", [{good}, [2, "x"], {good.replace("1", "3", 1)}]]'.encode())
    assert [event.event_id for event in kept] == ["p1", "p3"]
