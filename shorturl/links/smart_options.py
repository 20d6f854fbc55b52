"""The smart-link options of `shorturl links create|update`: password, rules, variants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = [
    "ExpiredRedirect",
    "Password",
    "RulesJson",
    "VariantOption",
    "parse_rules",
    "parse_variant",
]


def parse_rules(text: str) -> list[Any]:
    """`--rules`: a JSON list of rules, or `@path` to a file holding one."""
    raw = Path(text[1:]).read_text(encoding="utf-8") if text.startswith("@") else text
    try:
        rules = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}") from None
    if not isinstance(rules, list):
        raise typer.BadParameter('a JSON list: [{"conditions": {...}, "long_url": "..."}]')
    return rules


def parse_variant(text: str) -> dict[str, Any]:
    """`--variant 70:https://a.example/`: a weight, a colon, the URL."""
    weight, _, url = text.partition(":")
    if not weight.strip().isdigit() or not url:
        raise typer.BadParameter("WEIGHT:URL, like 70:https://example.com/a")
    return {"weight": int(weight), "long_url": url}


Password = Annotated[
    str | None,
    typer.Option(
        help="Visitors must enter this password first (1–128 characters).", show_default=False
    ),
]
RulesJson = Annotated[
    str | None,
    typer.Option(
        "--rules",
        metavar="JSON|@FILE",
        help='Redirect rules, first match wins: [{"conditions": {"os": "ios"}, "long_url": '
        '"https://…"}]. Conditions: device, os, country, language, query, after, before.',
        show_default=False,
    ),
]
VariantOption = Annotated[
    list[str] | None,
    typer.Option(
        "--variant",
        metavar="WEIGHT:URL",
        help="An A/B destination with its weight 1–100 (repeat, two or more).",
        show_default=False,
    ),
]
ExpiredRedirect = Annotated[
    str | None,
    typer.Option(
        help="Where visitors go once the link expired or ran out of clicks.", show_default=False
    ),
]
