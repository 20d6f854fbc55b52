"""Shlink's redirect rules as this server's link rules (shorturl/links/routing.py), both ways.

A Shlink rule is `{longUrl, conditions: [{type, matchKey, matchValue}]}`, every condition
must hold, rules tried by priority. Ours holds one value list per condition (any of them);
so a Shlink rule becomes one of ours, and one of ours with lists becomes as many Shlink
rules as it has combinations. What Shlink can say and this server cannot match on (IP
addresses, cities, browsers, ChromeOS, regional languages, valueless query parameters, two
conditions of one kind) is refused as `invalid-data` naming the condition: never stored as
something broader.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Final

from shorturl.shlink.problems import ShlinkProblem, invalid_data

__all__ = ["from_shlink", "to_shlink"]

_OS_DEVICES: Final = frozenset({"android", "ios", "windows", "macos", "linux"})
_FORM_DEVICES: Final = frozenset({"mobile", "desktop", "tablet"})
_UNSUPPORTED: Final = {
    "ip-address": "IP address conditions",
    "geolocation-city-name": "city conditions",
    "browser": "browser conditions",
    "valueless-query-param": "valueless query parameter conditions",
}


def from_shlink(rules: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """`redirectRules` of `POST …/redirect-rules` as our `rules` (validated after, by the
    link service, which names `rules.N.…` on a bad value)."""
    return [
        {"conditions": _conditions(rule, index), "long_url": rule.get("longUrl")}
        for index, rule in enumerate(rules)
    ]


def _conditions(rule: dict[str, Any], index: int) -> dict[str, Any]:
    raw = rule.get("conditions")
    if not isinstance(raw, list) or not raw:
        raise _refused(index, "a rule needs at least one condition")
    found: dict[str, Any] = {}
    for condition in raw:
        if not isinstance(condition, dict):
            raise _refused(index, "a condition is an object with type, matchKey, matchValue")
        name, value = _condition(condition, index)
        if name == "query":
            query = found.setdefault("query", {})
            if value[0] in query:
                raise _refused(index, f"two conditions on the query parameter '{value[0]}'")
            query[value[0]] = value[1]
        elif name in found:
            raise _refused(index, f"two {name} conditions: both can never hold")
        else:
            found[name] = value
    return found


def _condition(condition: dict[str, Any], index: int) -> tuple[str, Any]:
    kind, key, value = (condition.get(name) for name in ("type", "matchKey", "matchValue"))
    if kind in _UNSUPPORTED:
        raise _refused(index, f"{_UNSUPPORTED[kind]} are not supported by this server")
    if kind in ("query-param", "any-value-query-param"):
        if not isinstance(key, str) or not key:
            raise _refused(index, f"{kind}: matchKey names the query parameter")
        if kind == "any-value-query-param":
            return "query", (key, "*")
    if not isinstance(value, str):
        raise _refused(index, f"{kind}: matchValue is needed")
    if kind == "device":
        device = value.lower()
        if device in _OS_DEVICES:
            return "os", device
        if device in _FORM_DEVICES:
            return "device", device
        raise _refused(index, f"device '{value}' is not one this server tells apart")
    if kind == "language":
        if "-" in value or "_" in value:
            raise _refused(index, "languages are matched by their primary tag (like 'fr')")
        return "language", value
    if kind == "geolocation-country-code":
        return "country", value
    if kind == "query-param":
        if value == "*":  # "any value" here: say so rather than match more than asked
            raise _refused(index, "matchValue '*' means any value here: use any-value-query-param")
        return "query", (key, value)
    if kind in ("before-date", "after-date"):
        return kind.removesuffix("-date"), value
    raise _refused(index, f"unknown condition type '{kind}'")


def _refused(index: int, problem: str) -> ShlinkProblem:
    return invalid_data(f"redirectRules.{index}: {problem}", ["redirectRules"])


def to_shlink(rules: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Our stored rules as Shlink's, priorities from 1; a rule with "any of" lists is one
    Shlink rule per combination, in the same order."""
    shown: list[dict[str, Any]] = []
    for rule in rules or ():
        for conditions in _combinations(rule["conditions"]):
            shown.append(
                {"longUrl": rule["long_url"], "priority": len(shown) + 1, "conditions": conditions}
            )
    return shown


def _combinations(conditions: dict[str, Any]) -> list[list[dict[str, Any]]]:
    choices: list[list[dict[str, Any]]] = []
    for name in ("device", "os"):
        if name in conditions:
            choices.append([_shown("device", None, value) for value in conditions[name]])
    if "language" in conditions:
        choices.append([_shown("language", None, value) for value in conditions["language"]])
    if "country" in conditions:
        choices.append(
            [_shown("geolocation-country-code", None, value) for value in conditions["country"]]
        )
    for key, value in (conditions.get("query") or {}).items():
        if value == "*":
            choices.append([_shown("any-value-query-param", key, None)])
        else:
            choices.append([_shown("query-param", key, value)])
    for name in ("after", "before"):
        if name in conditions:
            choices.append([_shown(f"{name}-date", None, conditions[name])])
    return [list(combination) for combination in itertools.product(*choices)]


def _shown(kind: str, key: str | None, value: str | None) -> dict[str, Any]:
    return {"type": kind, "matchKey": key, "matchValue": value}
