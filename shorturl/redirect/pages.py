"""The small pages and JSON bodies the redirect answers with when it cannot redirect."""

from __future__ import annotations

from html import escape
from typing import Final

import orjson

__all__ = ["error_body", "password_page"]

_TITLES: Final = {
    400: "Invalid link",
    404: "Link not found",
    410: "Link expired",
    429: "Too many requests",
    500: "Error",
    503: "Temporarily unavailable",
}

_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;margin:0;
background:#f7f7f9;color:#1d1d24}}main{{max-width:32rem;padding:2rem;text-align:center}}
h1{{font-size:1.6rem;margin:0 0 .5rem}}p{{color:#555;line-height:1.5}}a{{color:#3451d1}}
@media (prefers-color-scheme:dark){{body{{background:#16161b;color:#eee}}p{{color:#aaa}}a{{color:#8fa4ff}}}}
</style></head>
<body><main><h1>{title}</h1><p>{message}</p><p><a href="/">Shorten a link</a></p></main></body></html>
"""


def error_body(status: int, message: str, *, html: bool) -> tuple[bytes, bytes]:
    """(content type, body) for an error answered by the redirect."""
    if html:
        page = _PAGE.format(title=_TITLES.get(status, "Error"), message=escape(message))
        return b"text/html; charset=utf-8", page.encode()
    return b"application/json", orjson.dumps({"error": message})


_PASSWORD_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Password required</title>
<style>
body{{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;margin:0;
background:#f7f7f9;color:#1d1d24}}main{{max-width:24rem;padding:2rem;text-align:center}}
h1{{font-size:1.4rem;margin:0 0 .5rem}}p{{color:#555;line-height:1.5}}
input{{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.5rem 0}}
button{{font:inherit;padding:.5rem 1.2rem}}.error{{color:#b3261e}}
@media (prefers-color-scheme:dark){{body{{background:#16161b;color:#eee}}p{{color:#aaa}}}}
</style></head>
<body><main><h1>This link is protected</h1><p>Enter its password to continue.</p>{error}
<form method="post"><label for="password">Password</label>
<input id="password" name="password" type="password" maxlength="128" required autofocus
autocomplete="current-password"><button type="submit">Continue</button></form></main></body></html>
"""


def password_page(error: str | None = None) -> bytes:
    """The form a password-protected link answers with; it posts back to the same URL (the
    query string kept, for the link's rules)."""
    shown = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return _PASSWORD_PAGE.format(error=shown).encode()
