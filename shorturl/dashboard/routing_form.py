"""The link page's smart-link form: password, redirect rules, A/B variants, expired_redirect.

Rules and variants are rows of plain fields (a select for device and OS, comma lists for
countries and languages, `name=value` for a query parameter), read into what the API takes;
the link service validates them, so a wrong row is refused with the API's message, which
names the rule and field (`rules.1.conditions.country`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from starlette.datastructures import FormData

from shorturl.dashboard.forms import field_text, with_scheme
from shorturl.links.models import Link
from shorturl.links.routing import MAX_RULES, MAX_VARIANTS
from shorturl.links.service import UNSET, RoutingChanges
from shorturl.timestamps import as_utc

__all__ = ["DEVICES", "OPERATING_SYSTEMS", "RoutingForm", "RuleRow", "VariantRow"]

DEVICES: Final = ("", "mobile", "tablet", "desktop")
OPERATING_SYSTEMS: Final = ("", "ios", "android", "windows", "macos", "linux")
_BLANK_ROWS: Final = 2  # empty rows offered under the filled ones
_INPUT_TIME: Final = "%Y-%m-%dT%H:%M"


@dataclass(slots=True)
class RuleRow:
    long_url: str = ""
    device: str = ""
    os: str = ""
    country: str = ""  # comma separated
    language: str = ""
    query: str = ""  # name=value, value * for any
    after: str = ""  # datetime-local, UTC
    before: str = ""

    @property
    def is_blank(self) -> bool:
        return not any((self.long_url, self.device, self.os, self.country, self.language,
                        self.query, self.after, self.before))  # fmt: skip

    def rule(self) -> dict[str, Any]:
        conditions: dict[str, Any] = {}
        for name in ("device", "os", "country", "language"):
            values = [part.strip() for part in getattr(self, name).split(",") if part.strip()]
            if values:
                conditions[name] = values
        if self.query:
            param, _, value = self.query.partition("=")
            conditions["query"] = {param.strip(): value.strip() or "*"}
        for name in ("after", "before"):
            if text := getattr(self, name):
                # datetime-local sends 2030-01-31T09:30, meant as UTC here
                conditions[name] = text + ":00Z" if len(text) == 16 else text
        return {"conditions": conditions, "long_url": with_scheme(self.long_url)}

    @classmethod
    def of(cls, rule: dict[str, Any]) -> RuleRow:
        conditions = rule.get("conditions", {})
        query = conditions.get("query") or {}
        return cls(
            long_url=rule.get("long_url", ""),
            device=",".join(conditions.get("device", ())),
            os=",".join(conditions.get("os", ())),
            country=", ".join(conditions.get("country", ())),
            language=", ".join(conditions.get("language", ())),
            query=", ".join(f"{name}={value}" for name, value in query.items()),
            after=_input_time(conditions.get("after")),
            before=_input_time(conditions.get("before")),
        )


@dataclass(slots=True)
class VariantRow:
    long_url: str = ""
    weight: str = ""

    @property
    def is_blank(self) -> bool:
        return not self.long_url and not self.weight

    def variant(self) -> dict[str, Any]:
        weight: Any = int(self.weight) if self.weight.strip().lstrip("-").isdigit() else self.weight
        return {"long_url": with_scheme(self.long_url), "weight": weight}


@dataclass(slots=True)
class RoutingForm:
    password: str = ""  # blank: keep the password as it is
    remove_password: bool = False
    has_password: bool = False
    rules: list[RuleRow] = field(default_factory=list)
    variants: list[VariantRow] = field(default_factory=list)
    expired_redirect: str = ""

    @classmethod
    def of(cls, link: Link) -> RoutingForm:
        return cls(
            has_password=link.password_hash is not None,
            rules=[RuleRow.of(rule) for rule in link.rules or ()],
            variants=[
                VariantRow(variant["long_url"], str(variant["weight"]))
                for variant in link.variants or ()
            ],
            expired_redirect=link.expired_redirect or "",
        )

    @classmethod
    def read(cls, form: FormData, *, has_password: bool) -> RoutingForm:
        rules = [
            RuleRow(
                **{
                    name: field_text(form, f"rule-{index}-{name}", 2048)
                    for name in RuleRow.__slots__
                }
            )
            for index in range(MAX_RULES + _BLANK_ROWS)
        ]
        variants = [
            VariantRow(
                field_text(form, f"variant-{index}-long_url", 2048),
                field_text(form, f"variant-{index}-weight", 8),
            )
            for index in range(MAX_VARIANTS + _BLANK_ROWS)
        ]
        return cls(
            password=field_text(form, "password", 200),
            remove_password=form.get("remove_password") == "1",
            has_password=has_password,
            rules=[row for row in rules if not row.is_blank],
            variants=[row for row in variants if not row.is_blank],
            expired_redirect=field_text(form, "expired_redirect", 2048),
        )

    def changes(self) -> RoutingChanges:
        password: str | None | Any = UNSET
        if self.remove_password:
            password = None
        elif self.password:
            password = self.password
        return RoutingChanges(
            password=password,
            rules=[row.rule() for row in self.rules] or None,
            variants=[row.variant() for row in self.variants] or None,
            expired_redirect=with_scheme(self.expired_redirect) or None,
        )

    def rule_rows(self) -> list[RuleRow]:
        """The filled rows and a few blank ones, for the page."""
        room = max(0, min(_BLANK_ROWS, MAX_RULES - len(self.rules)))
        return [*self.rules, *(RuleRow() for _ in range(room))]

    def variant_rows(self) -> list[VariantRow]:
        room = max(0, min(_BLANK_ROWS, MAX_VARIANTS - len(self.variants)))
        return [*self.variants, *(VariantRow() for _ in range(room))]


def _input_time(text: str | None) -> str:
    if not text:
        return ""
    return as_utc(datetime.fromisoformat(text)).strftime(_INPUT_TIME)
