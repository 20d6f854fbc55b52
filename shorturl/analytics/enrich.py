"""Enrichment of raw click events in the worker: geography, device, robot, referrer, UTM, visitor.

`ClickEnricher.enrich(events, salts)` turns a batch of `ClickEvent`s into rows of the `clicks`
table. It is synchronous CPU work (the worker runs it in a thread): countries come from
iptocc for the whole batch at once, city and region from a MaxMind database when `GEOIP_DB`
names one, and everything derived from the user agent is cached per distinct user agent, so
a batch of repeated agents costs a dict lookup each.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import iptocc
import pycountry
import ua_parser
from crawlerdetect import CrawlerDetect

from shorturl.analytics.events import ClickEvent

__all__ = [
    "BOT",
    "HUMAN",
    "KINDS",
    "PREVIEW",
    "UTM_FIELDS",
    "AgentFacts",
    "ClickEnricher",
    "anonymize_ip",
    "campaign",
    "country_name",
    "describe_agent",
    "preferred_language",
    "referrer_host",
    "visitor_hash",
]

log = logging.getLogger(__name__)

HUMAN: Final = "human"
BOT: Final = "bot"
PREVIEW: Final = "preview"
KINDS: Final = (HUMAN, BOT, PREVIEW)
UTM_FIELDS: Final = ("utm_source", "utm_medium", "utm_campaign")
_AGENT_CACHE_SIZE: Final = 20_000
_GEO_CACHE_SIZE: Final = 50_000
# Which robots are link-preview fetchers (they build the card shown when a link is pasted in
# a chat or a post), by the name crawlerdetect or ua-parser gives them. Neither library says
# what a robot is for, so this is the one thing kept here: names, never patterns; a name
# matches also with a suffix (`Slackbot-LinkExpanding`). iMessage and others fetch as
# `facebookexternalhit` or `Twitterbot`.
_PREVIEW_NAMES: Final = frozenset(
    {
        "facebookexternalhit",
        "facebookbot",
        "facebot",
        "facebookcatalog",
        "slackbot",
        "twitterbot",
        "whatsapp",
        "telegrambot",
        "discordbot",
        "linkedinbot",
        "skypeuripreview",
        "iframely",
        "embedly",
        "redditbot",
        "pinterestbot",
        "vkshare",
    }
)
_TABLET: Final = re.compile(r"iPad|Tablet|Kindle|Silk/|PlayBook|Nexus (7|9|10)\b|SM-[TX]\d|GT-P\d")
_MOBILE_OS: Final = frozenset(
    {"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "Symbian OS", "Firefox OS"}
)
_DESKTOP_OS: Final = frozenset(
    {
        "Windows",
        "Mac OS X",
        "Linux",
        "Ubuntu",
        "Chrome OS",
        "ChromeOS",
        "Fedora",
        "Debian",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
        "Solaris",
        "Mandriva",
        "Red Hat",
        "SUSE",
        "Gentoo",
    }
)


@dataclass(frozen=True, slots=True)
class AgentFacts:
    """What a user agent string says: device type, browser, OS, and who sent it: a `human`
    (a browser), a `bot` (crawler, monitor, script) or a link `preview` fetcher, by name."""

    device: str  # mobile, tablet, desktop or other
    browser: str | None
    os: str | None
    kind: str = HUMAN
    bot_name: str | None = None  # robots only: `Googlebot`, `Slackbot-LinkExpanding`, `curl`

    @property
    def is_bot(self) -> bool:
        return self.kind != HUMAN

    @property
    def is_preview(self) -> bool:
        return self.kind == PREVIEW


def describe_agent(user_agent: str | None, crawlers: CrawlerDetect | None = None) -> AgentFacts:
    """Classify one user agent (uncached; `ClickEnricher` caches)."""
    if not user_agent:
        return AgentFacts("other", None, None, BOT, None)  # no browser sends none
    parsed = ua_parser.parse(user_agent)
    browser = parsed.user_agent.family if parsed.user_agent else None
    os = parsed.os.family if parsed.os else None
    device_family = parsed.device.family if parsed.device else ""
    crawlers = crawlers or CrawlerDetect()
    crawler = crawlers.getMatches() if crawlers.isCrawler(user_agent) else None
    if crawler or device_family == "Spider":
        # ua-parser names the product (`FacebookBot`); crawlerdetect gives the text it
        # matched, a name (`Discordbot`) or a word (`bot`): the product first.
        named = browser if browser and browser != "Other" else None
        name = named or crawler or "unknown"
        kind = PREVIEW if _is_preview(named) or _is_preview(crawler) else BOT
        return AgentFacts("other", _short(browser, 64), _short(os, 64), kind, name[:64])
    if _TABLET.search(device_family) or (_TABLET.search(user_agent) and "Mobile" not in user_agent):
        device = "tablet"
    elif os == "Android" and "Mobile" not in user_agent:
        device = "tablet"  # Android's convention: phones say "Mobile", tablets do not
    elif os in _MOBILE_OS or "Mobi" in user_agent:
        device = "mobile"
    elif os in _DESKTOP_OS:
        device = "desktop"
    else:
        device = "other"
    return AgentFacts(device, _short(browser, 64), _short(os, 64))


def _is_preview(name: str | None) -> bool:
    if not name:
        return False
    lowered = name.lower()
    return lowered in _PREVIEW_NAMES or lowered.split("-", 1)[0] in _PREVIEW_NAMES


def campaign(query: str | None) -> dict[str, str | None]:
    """The `utm_source`, `utm_medium` and `utm_campaign` of a query string (None: absent)."""
    values: dict[str, str | None] = dict.fromkeys(UTM_FIELDS)
    if query and "utm_" in query:
        for name, value in parse_qsl(query, max_num_fields=100):
            if name in values and values[name] is None and value.strip():
                values[name] = value.strip()[:128]
    return values


def referrer_host(referrer: str | None) -> str:
    """`https://www.google.com/search?q=x` → `google.com`; none or unreadable → `direct`."""
    if not referrer:
        return "direct"
    try:
        host = urlsplit(referrer.strip()).hostname
    except ValueError:
        return "direct"
    if not host:
        return "direct"
    host = host.lower().rstrip(".")
    return host.removeprefix("www.")[:255] or "direct"


def preferred_language(accept_language: str | None) -> str | None:
    """The first language tag of an `Accept-Language` header (`en-US,en;q=0.9` → `en-US`)."""
    if not accept_language:
        return None
    first = accept_language.split(",", 1)[0].split(";", 1)[0].strip()
    if not first or first == "*" or not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", first):
        return None
    return first[:64]


def anonymize_ip(ip: str, mode: str) -> str | None:
    """The address as `IP_STORAGE` says to keep it: `full`, `anonymized` (the last octet, or
    the last 80 bits of an IPv6 address, zeroed) or `none`."""
    if mode == "none":
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if mode == "full":
        return str(address)
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def country_name(code: str | None) -> str | None:
    if not code:
        return None
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    return str(getattr(country, "common_name", None) or country.name)


def visitor_hash(salt: str, ip: str, user_agent: str | None) -> str:
    """Who a visitor is for unique counts, without keeping their address: SHA-256 of the
    day's salt, the address and the user agent. The salt changes daily and is then deleted,
    so yesterday's hashes cannot be linked to an address any more."""
    return hashlib.sha256(f"{salt}\n{ip}\n{user_agent or ''}".encode()).hexdigest()


class ClickEnricher:
    def __init__(self, *, ip_storage: str = "anonymized", geoip_db: str | None = None) -> None:
        self.ip_storage = ip_storage
        self._crawlers = CrawlerDetect()
        self._agents: OrderedDict[str, AgentFacts] = OrderedDict()
        self._countries: dict[str, str | None] = {}
        self._ip_countries: dict[str, str | None] = {}
        self._stored_ips: dict[str, str | None] = {}  # address → as IP_STORAGE keeps it
        self._places: OrderedDict[str, tuple[str | None, str | None, str | None]] = OrderedDict()
        self._geoip: Any = None
        if geoip_db:
            import geoip2.database

            self._geoip = geoip2.database.Reader(geoip_db)

    def close(self) -> None:
        if self._geoip is not None:
            self._geoip.close()

    def agent(self, user_agent: str | None) -> AgentFacts:
        key = user_agent or ""
        facts = self._agents.get(key)
        if facts is None:
            facts = describe_agent(user_agent, self._crawlers)
            self._agents[key] = facts
            if len(self._agents) > _AGENT_CACHE_SIZE:
                self._agents.popitem(last=False)
        return facts

    def country_of(self, ip: str) -> str | None:
        """One address's country, as `enrich` finds it (iptocc, then the GeoIP database);
        cached per address, for smart links' country rules."""
        if ip in self._ip_countries:
            return self._ip_countries[ip]
        country = iptocc.country_code([ip])[0]
        if country is None and self._geoip is not None:
            country = self._place(ip)[0]
        if len(self._ip_countries) >= _GEO_CACHE_SIZE:
            self._ip_countries.clear()
        self._ip_countries[ip] = country
        return country

    def enrich(self, events: Sequence[ClickEvent], salts: dict[date, str]) -> list[dict[str, Any]]:
        """Rows for the `clicks` table, in the order of `events`. `salts` holds the visitor
        salt of every UTC day the events fall on."""
        countries = iptocc.country_code([event.ip for event in events])
        rows = []
        for event, country in zip(events, countries, strict=True):
            clicked_at = datetime.fromtimestamp(event.at, UTC)
            facts = self.agent(event.user_agent)
            trusted = not facts.is_bot or event.method == "POST"
            region = city = None
            if self._geoip is not None:
                geo_country, region, city = self._place(event.ip)
                country = country or geo_country
            rows.append(
                {
                    "event_id": event.event_id,
                    "link_id": event.link_id,
                    "clicked_at": clicked_at,
                    "method": event.method[:8],
                    "ip": self._stored_ip(event.ip),
                    "visitor_hash": visitor_hash(
                        salts[clicked_at.date()], event.ip, event.user_agent
                    ),
                    "user_agent": event.user_agent,
                    "referrer": event.referrer,
                    "referrer_host": referrer_host(event.referrer),
                    "language": preferred_language(event.language),
                    "country": country,
                    "country_name": self._country_name(country),
                    "region": region,
                    "city": city,
                    "device": facts.device,
                    "browser": facts.browser,
                    "os": facts.os,
                    # `POST /analytics/click` is a caller saying "this was a click": trusted.
                    "is_bot": not trusted,
                    "is_counted": event.method != "HEAD",
                    "kind": HUMAN if trusted else facts.kind,
                    "bot_name": None if trusted else facts.bot_name,
                    **campaign(event.query),
                    "destination": event.destination,
                }
            )
        return rows

    def _stored_ip(self, ip: str) -> str | None:
        # ipaddress parsing is most of a click's enrichment: addresses repeat, cache them.
        if ip not in self._stored_ips:
            if len(self._stored_ips) >= _GEO_CACHE_SIZE:
                self._stored_ips.clear()
            self._stored_ips[ip] = anonymize_ip(ip, self.ip_storage)
        return self._stored_ips[ip]

    def _country_name(self, code: str | None) -> str | None:
        if code is None:
            return None
        if code not in self._countries:
            self._countries[code] = country_name(code)
        return self._countries[code]

    def _place(self, ip: str) -> tuple[str | None, str | None, str | None]:
        place = self._places.get(ip)
        if place is None:
            place = (None, None, None)
            try:
                found = self._geoip.city(ip)
            except Exception:  # noqa: BLE001 - not in the database, or not an address
                pass
            else:
                subdivision = found.subdivisions.most_specific.name if found.subdivisions else None
                place = (
                    found.country.iso_code,
                    _short(subdivision, 128),
                    _short(found.city.name, 128),
                )
            self._places[ip] = place
            if len(self._places) > _GEO_CACHE_SIZE:
                self._places.popitem(last=False)
        return place


def _short(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None
