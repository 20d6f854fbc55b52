"""Smart links: redirect rules and A/B variants, as the API takes them and as the redirect runs them.

`RedirectRule` and `Variant` are the request shapes (validated by pydantic; an unknown
condition is refused). `validated_rules`/`validated_variants` add what pydantic cannot know
(each target normalised and refused when it points back at us) and give what is stored.
`LinkRouting.compile` turns a stored link's password, rules and variants into the object the
cache keeps beside the link: every condition becomes a predicate once, so a redirect only
calls them (`Visit` finds the request's facts that the link's rules ask for, once a request).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, Final, Literal, Protocol
from urllib.parse import parse_qs

import pycountry
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from shorturl.errors import InvalidUrl, ValidationFailed
from shorturl.links.urls import normalize_long_url

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MAX_RULES",
    "MAX_VARIANTS",
    "Conditions",
    "LinkRouting",
    "RedirectRule",
    "Variant",
    "Destination",
    "FactSource",
    "Visit",
    "destination_label",
    "validated_rules",
    "validated_target",
    "validated_variants",
]

MAX_RULES: Final = 20
MAX_VARIANTS: Final = 10
MAX_PASSWORD_LENGTH: Final = 128
MAX_LABEL: Final = 255  # clicks.destination and click_rollups.value

Device = Literal["mobile", "tablet", "desktop"]
Os = Literal["ios", "android", "windows", "macos", "linux"]


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _country(code: str) -> str:
    code = code.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code")
    return code


def _language(tag: str) -> str:
    tag = tag.strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}", tag):
        raise ValueError(f"'{tag}' is not a primary language tag (like 'fr' or 'de')")
    return tag


class Conditions(BaseModel):
    """All given conditions must hold for a rule to match. Lists mean "any of"."""

    model_config = ConfigDict(extra="forbid")

    device: Annotated[list[Device], BeforeValidator(_listed), Field(min_length=1)] | None = None
    os: Annotated[list[Os], BeforeValidator(_listed), Field(min_length=1)] | None = None
    country: Annotated[list[str], BeforeValidator(_listed), Field(min_length=1)] | None = None
    language: Annotated[list[str], BeforeValidator(_listed), Field(min_length=1)] | None = None
    query: Annotated[dict[str, str], Field(min_length=1, max_length=10)] | None = None
    after: AwareDatetime | None = None
    before: AwareDatetime | None = None

    @field_validator("country")
    @classmethod
    def _countries(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_country(code) for code in value]

    @field_validator("language")
    @classmethod
    def _languages(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_language(tag) for tag in value]

    @field_validator("query")
    @classmethod
    def _query(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None and any(not name or len(name) > 100 for name in value):
            raise ValueError("query parameter names must be 1 to 100 characters")
        return value

    @model_serializer(mode="wrap")
    def _given_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a rule shows the conditions it has, not seven keys most of them null
        return {name: value for name, value in handler(self).items() if value is not None}

    @model_validator(mode="after")
    def _something_and_ordered(self) -> Conditions:
        if not self.model_fields_set - {key for key, v in self if v is None}:
            raise ValueError("a rule needs at least one condition")
        if self.after and self.before and self.after >= self.before:
            raise ValueError("'after' must be earlier than 'before'")
        return self


class RedirectRule(BaseModel):
    """Where visitors matching `conditions` go instead of the link's long_url."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"conditions": {"os": "ios"}, "long_url": "https://apps.apple.com/app/id1"},
                {
                    "conditions": {"country": ["FR", "BE"], "language": "fr"},
                    "long_url": "https://example.fr/",
                },
            ]
        },
    )

    conditions: Conditions
    long_url: str = Field(max_length=2048)


class Variant(BaseModel):
    """One arm of an A/B test: a share `weight` (1–100, any sum) of visitors goes here."""

    model_config = ConfigDict(extra="forbid")

    long_url: str = Field(max_length=2048)
    weight: int = Field(ge=1, le=100)


Rules = Annotated[list[RedirectRule], Field(max_length=MAX_RULES)]
Variants = Annotated[list[Variant], Field(min_length=2, max_length=MAX_VARIANTS)]
_RULES: Final = TypeAdapter(Rules)
_VARIANTS: Final = TypeAdapter(Variants)


def validated_rules(raw: Sequence[Any], *, short_host: str) -> list[dict[str, Any]]:
    """The rules to store (JSON-ready, targets normalised); ValidationFailed naming the rule
    and field (`rules.2.conditions.country`) when one is wrong. Nothing is stored then."""
    rules = _parse(_RULES, raw, "rules")
    return [
        {
            "conditions": rule.conditions.model_dump(mode="json", exclude_none=True),
            "long_url": validated_target(rule.long_url, f"rules.{index}.long_url", short_host),
        }
        for index, rule in enumerate(rules)
    ]


def validated_variants(raw: Sequence[Any], *, short_host: str) -> list[dict[str, Any]]:
    """The A/B variants to store; ValidationFailed naming the variant and field."""
    variants = _parse(_VARIANTS, raw, "variants")
    return [
        {
            "long_url": validated_target(
                variant.long_url, f"variants.{index}.long_url", short_host
            ),
            "weight": variant.weight,
        }
        for index, variant in enumerate(variants)
    ]


def _parse(adapter: TypeAdapter[Any], raw: Sequence[Any], name: str) -> Any:
    try:
        return adapter.validate_python(raw if isinstance(raw, list) else list(raw))
    except (ValidationError, TypeError) as exc:
        problems = (
            [
                {
                    "field": ".".join([name, *(str(part) for part in err["loc"])]),
                    "problem": err["msg"],
                }
                for err in exc.errors()
            ]
            if isinstance(exc, ValidationError)
            else [{"field": name, "problem": "must be a list"}]
        )
        first = problems[0]
        raise ValidationFailed(f"{first['field']}: {first['problem']}", details=problems) from None


def validated_target(url: str, field: str, short_host: str) -> str:
    """`url` normalised as a link's target; ValidationFailed naming `field` if it cannot be
    one (a loop back to this shortener included)."""
    try:
        return normalize_long_url(url, short_host=short_host)
    except InvalidUrl as exc:
        problem = str(exc.details or exc.message)
        raise ValidationFailed(
            f"{field}: {problem}", details=[{"field": field, "problem": problem}]
        ) from None


def destination_label(url: str) -> str:
    """How a click records where it went: the URL, or (past 255 characters) its start and a
    hash, so two long targets never share a label."""
    if len(url) <= MAX_LABEL:
        return url
    return url[: MAX_LABEL - 17] + "#" + hashlib.sha256(url.encode()).hexdigest()[:16]


# -- compiled, for the redirect --

_OS_NAMES: Final = {
    "iOS": "ios",
    "iPadOS": "ios",
    "Android": "android",
    "Windows": "windows",
    "Mac OS X": "macos",
    "macOS": "macos",
    "Linux": "linux",
    "Ubuntu": "linux",
    "Fedora": "linux",
    "Debian": "linux",
    "Red Hat": "linux",
    "SUSE": "linux",
    "Gentoo": "linux",
    "Mandriva": "linux",
}


# The facts a rule may ask about a request, as indexes into the tuple `Visit.facts` makes.
NOW, QUERY, LANGUAGE, DEVICE, OS, COUNTRY = range(6)
_FACT_OF_CONDITION: Final = {
    "after": NOW,
    "before": NOW,
    "query": QUERY,
    "language": LANGUAGE,
    "device": DEVICE,
    "os": OS,
    "country": COUNTRY,
}


class FactSource(Protocol):
    """Facts of raw request values, cached per value (redirect/routed.py `RequestFacts`)."""

    def user_agent_text(self, raw: bytes | None) -> str | None: ...

    def agent_of(self, raw: bytes | None) -> tuple[str, str | None]: ...

    def language_of(self, raw: bytes | None) -> str | None: ...

    def country_of(self, ip: str) -> str | None: ...

    def client_ip_of(self, scope: dict[str, Any]) -> str: ...


def os_name(family: str | None) -> str | None:
    """A user agent's OS family as rules name it (`Mac OS X` → `macos`), None for others."""
    return _OS_NAMES.get(family) if family else None


class Visit:
    """One request to a smart link: the facts its rules need, found once and only those
    (a link whose rules ask for the query string never reads a header)."""

    __slots__ = ("client_ip", "scope", "source", "user_agent_raw")

    def __init__(self, scope: dict[str, Any], client_ip: str | None, source: FactSource) -> None:
        self.scope = scope
        self.client_ip = client_ip  # found here when a rule asks for the country
        self.source = source
        self.user_agent_raw: bytes | None = None

    def facts(self, needed: frozenset[int]) -> tuple[Any, ...]:
        """(now, query, language, device, os, country): the needed ones, None the others."""
        now = time.time() if NOW in needed else None
        query: dict[str, list[str]] | None = None
        if QUERY in needed:
            raw_query = self.scope.get("query_string") or b""
            query = (
                parse_qs(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else {}
            )
        language = device = system = country = None
        if LANGUAGE in needed or DEVICE in needed or OS in needed:
            accept_language = None
            for name, value in self.scope["headers"]:  # one pass for both headers
                if name == b"user-agent":
                    self.user_agent_raw = value
                elif name == b"accept-language":
                    accept_language = value
            if LANGUAGE in needed:
                language = self.source.language_of(accept_language)
            if DEVICE in needed or OS in needed:
                device, system = self.source.agent_of(self.user_agent_raw)
        if COUNTRY in needed:
            if self.client_ip is None:
                self.client_ip = self.source.client_ip_of(self.scope)
            country = self.source.country_of(self.client_ip)
        return (now, query, language, device, system, country)

    def user_agent(self) -> str | None:
        """The user agent as the click tracker records it (the daily visitor id uses it)."""
        if self.user_agent_raw is None:
            for name, value in self.scope["headers"]:
                if name == b"user-agent":
                    self.user_agent_raw = value
        return self.source.user_agent_text(self.user_agent_raw)


Predicate = Callable[[tuple[Any, ...]], bool]


def _predicates(conditions: dict[str, Any]) -> list[Predicate]:
    """One predicate a condition, on the facts tuple; the clock and the query first."""
    found: list[Predicate] = []
    if "after" in conditions:
        after = datetime.fromisoformat(conditions["after"]).timestamp()
        found.append(lambda facts: facts[NOW] >= after)
    if "before" in conditions:
        before = datetime.fromisoformat(conditions["before"]).timestamp()
        found.append(lambda facts: facts[NOW] < before)
    if "query" in conditions:
        wanted = tuple(conditions["query"].items())
        found.append(lambda facts: _query_matches(facts[QUERY], wanted))
    for name, index in (
        ("language", LANGUAGE),
        ("device", DEVICE),
        ("os", OS),
        ("country", COUNTRY),
    ):
        if name in conditions:
            found.append(_one_of(index, frozenset(conditions[name])))
    return found


def _one_of(index: int, allowed: frozenset[str]) -> Predicate:
    return lambda facts: facts[index] in allowed


def _query_matches(query: dict[str, list[str]], wanted: tuple[tuple[str, str], ...]) -> bool:
    for name, value in wanted:
        given = query.get(name)
        if given is None or (value != "*" and value not in given):
            return False
    return True


class Destination:
    """One place a smart link can send a visitor, with what its click records and the
    `http.response.start` message that sends a visitor there, built once."""

    __slots__ = ("label", "start", "url")

    def __init__(self, url: str, label: str | None) -> None:
        self.url = url
        self.label = label  # None: the link's own long_url
        # 302 and no-store whatever REDIRECT_STATUS says: a browser that kept the answer
        # would skip the rules, the variant draw or the password next time.
        self.start = {
            "type": "http.response.start",
            "status": 302,
            "headers": [
                (b"location", url.encode("latin-1")),
                (b"cache-control", b"no-store"),
                (b"content-length", b"0"),
            ],
        }


class LinkRouting:
    """A link's password, rules and variants, compiled once per cached link."""

    __slots__ = (
        "default",
        "expired_redirect",
        "needed",
        "password_hash",
        "rules",
        "total_weight",
        "variants",
    )

    def __init__(
        self,
        long_url: str,
        *,
        password_hash: str | None,
        rules: Sequence[dict[str, Any]] | None,
        variants: Sequence[dict[str, Any]] | None,
        expired_redirect: str | None,
    ) -> None:
        self.password_hash = password_hash
        self.expired_redirect = expired_redirect
        self.default = Destination(long_url, None)
        self.rules = [
            (_predicates(rule["conditions"]), self._destination(rule["long_url"], long_url))
            for rule in rules or ()
        ]
        # the facts any rule asks for: only these are found for a request
        self.needed = frozenset(
            _FACT_OF_CONDITION[name] for rule in rules or () for name in rule["conditions"]
        )
        self.variants = [
            (int(variant["weight"]), self._destination(variant["long_url"], long_url))
            for variant in variants or ()
        ]
        self.total_weight = sum(weight for weight, _ in self.variants)

    @classmethod
    def compile(
        cls,
        long_url: str,
        *,
        password_hash: str | None = None,
        rules: Sequence[dict[str, Any]] | None = None,
        variants: Sequence[dict[str, Any]] | None = None,
        expired_redirect: str | None = None,
    ) -> LinkRouting | None:
        """The compiled routing, or None for a plain link (the redirect's fast path)."""
        if not (password_hash or rules or variants or expired_redirect):
            return None
        return cls(
            long_url,
            password_hash=password_hash,
            rules=rules,
            variants=variants,
            expired_redirect=expired_redirect,
        )

    @staticmethod
    def _destination(url: str, long_url: str) -> Destination:
        return Destination(url, None if url == long_url else destination_label(url))

    def rule_destination(self, visit: Visit) -> Destination | None:
        """The first rule whose conditions all hold, if any."""
        facts = visit.facts(self.needed)
        for predicates, destination in self.rules:
            for predicate in predicates:
                if not predicate(facts):
                    break
            else:
                return destination
        return None

    def variant_for(self, visitor: str, link_id: int) -> Destination:
        """The variant of a visitor (the daily visitor id): the same one all day."""
        digest = hashlib.sha256(f"{visitor}:{link_id}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") % self.total_weight
        for weight, destination in self.variants:
            if point < weight:
                return destination
            point -= weight
        return self.variants[-1][1]  # pragma: no cover - the weights sum to total_weight
