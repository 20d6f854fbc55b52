"""Jinja2 templates (autoescaped) and how the web UI turns them, and errors, into responses."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shorturl.accounts.principal import ANONYMOUS
from shorturl.dashboard.sessions import WebSession
from shorturl.errors import AppError
from shorturl.links.models import Link
from shorturl.timestamps import as_utc, utcnow

__all__ = [
    "STATIC_DIR",
    "error_headers",
    "error_page",
    "link_path",
    "plain_error",
    "render",
    "templates",
]

PACKAGE_DIR: Final = Path(__file__).parent
STATIC_DIR: Final = PACKAGE_DIR / "static"

templates = Environment(
    loader=FileSystemLoader(PACKAGE_DIR / "templates"),
    autoescape=select_autoescape(("html",), default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _asset_version(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


_VERSIONS: Final = {path.name: _asset_version(path.name) for path in STATIC_DIR.iterdir()}


def static_url(name: str) -> str:
    """The URL of an asset, versioned by its content so browsers may cache it for good."""
    return f"/static/{name}?v={_VERSIONS[name]}"


def format_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def format_input_time(value: datetime | None) -> str:
    """The value of a `datetime-local` input (UTC, minutes)."""
    return "" if value is None else as_utc(value).strftime("%Y-%m-%dT%H:%M")


def time_ago(value: datetime | None) -> str:
    if value is None:
        return "never"
    seconds = int((utcnow() - as_utc(value)).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for size, unit in ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"),
                       (3600, "hour"), (60, "minute")):  # fmt: skip
        if seconds >= size:
            count = seconds // size
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "in a moment" if future else "just now"


def format_number(value: int | float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


templates.filters.update(when=format_time, ago=time_ago, number=format_number)


def link_path(link: Link, suffix: str = "", **params: str) -> str:
    """The dashboard URL of `link`'s page (or of `suffix` under it), naming its domain when
    it is not the default one, so the same code on two domains opens the right link."""
    query = {"domain": link.domain} if link.domain else {}
    query.update(params)
    path = f"/dashboard/links/{quote(link.code)}{suffix}"
    return f"{path}?{urlencode(query)}" if query else path


templates.filters["input_time"] = format_input_time
templates.globals["static"] = static_url
templates.globals["link_path"] = link_path


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """The page `name` for this request; the viewer and their CSRF token are always there."""
    web: WebSession | None = getattr(request.state, "web_session", None)
    html = templates.get_template(name).render(
        request=request,
        path=request.url.path,
        viewer=web.principal if web is not None else ANONYMOUS,
        viewer_name=web.name if web is not None else "",
        csrf_token=web.csrf_token if web is not None else "",
        **context,
    )
    return HTMLResponse(html, status_code=status)


_PLAIN: Final = {
    "CUSTOM_ALIAS_TAKEN": "That alias is already taken. Pick another one or leave it empty.",
    "QUOTA_EXCEEDED": "You have created all the links your plan allows this month.",
    "URL_NOT_FOUND": "There is no short link with this code.",
    "MALICIOUS_URL": "This address is flagged as harmful, so it cannot be shortened.",
}


def plain_error(error: AppError) -> str:
    """What went wrong, in words for a person rather than a program."""
    detail = error.details if isinstance(error.details, str) and error.details else None
    if error.code == "RATE_LIMITED":
        return _rate_limited(error)
    if error.code == "INTERNAL_ERROR":
        return detail or "Something went wrong on our side; try again in a moment."
    if error.code in _PLAIN:
        extra = detail if detail and error.code == "QUOTA_EXCEEDED" else None
        return f"{_PLAIN[error.code]} {extra}." if extra else _PLAIN[error.code]
    return detail or error.message


def _rate_limited(error: AppError) -> str:
    wait = error.headers.get("Retry-After", "")
    if not wait.isdigit():
        return f"{error.message}. Wait a little and try again."
    seconds = int(wait)
    when = f"{seconds} seconds" if seconds < 120 else f"{round(seconds / 60)} minutes"
    return f"{error.message}. Try again in {when}."


_TITLES: Final = {
    400: "That did not work",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    409: "Already taken",
    410: "Gone",
    429: "Slow down",
}


def error_page(request: Request, error: AppError) -> HTMLResponse:
    response = render(
        request,
        "error.html",
        {
            "title": _TITLES.get(error.status_code, "Something went wrong"),
            "message": plain_error(error),
            "status": error.status_code,
        },
        status=error.status_code,
    )
    response.headers.update(error_headers(error))
    return response


def error_headers(error: AppError) -> dict[str, str]:
    """The headers of an error a page should pass on (Retry-After of a 429)."""
    return {name: value for name, value in error.headers.items() if name.lower() == "retry-after"}
