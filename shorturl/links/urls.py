"""Validation and normalisation of the long URLs that links point to.

What is stored is exactly what the redirect sends in `Location`, so it must be a clean,
ASCII, absolute http(s) URL. Anything else is refused with a message saying what is wrong.

It is also the one canonical form that block lists are matched against (creation, update,
bulk, import and the re-checker all go through `normalize_long_url`): two spellings of one
resource (`/a/../x`, `/%78`, `//x`, `HOST:80`) must not get past an entry for the other.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final
from urllib.parse import quote, urlsplit, urlunsplit

import idna

from shorturl.errors import InvalidUrl

__all__ = ["MAX_URL_LENGTH", "normalize_long_url"]

MAX_URL_LENGTH: Final = 8192
_FORBIDDEN_CHARS: Final = re.compile(r"[\x00-\x20\x7f-\x9f\\]")
# Characters that may stay as they are in a path, query or fragment; the rest is %-encoded.
_SAFE: Final = "/?#[]@!$&'()*+,;=:%-._~"
_PLAIN_LABEL: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PERCENT_ESCAPE: Final = re.compile(r"%([0-9A-Fa-f]{2})")
_STRAY_PERCENT: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_REPEATED_SLASHES: Final = re.compile(r"/{2,}")


def normalize_long_url(raw: object, *, short_host: str | None = None) -> str:
    """Return `raw` as the URL to store, or raise `InvalidUrl` explaining why it cannot be.

    Rules: a string of at most 8,192 characters; scheme http or https; a host that is a valid
    (IDNA) domain name with a dot or an IP address; no credentials; a valid port; no
    whitespace or control characters; not a link to this service's own short domain.
    """
    if not isinstance(raw, str):
        raise InvalidUrl(details="URL must be a string")
    url = raw.strip()
    if not url:
        raise InvalidUrl(details="URL must not be empty")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidUrl(details=f"URL must be at most {MAX_URL_LENGTH} characters long")
    if _FORBIDDEN_CHARS.search(url):
        raise InvalidUrl(details="URL must not contain whitespace, control characters or '\\'")
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (`\udc80`) has no UTF-8 form
        raise InvalidUrl(details="URL must be valid Unicode text") from None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(details=f"URL is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidUrl(details="URL must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        raise InvalidUrl(details="URL must not contain credentials (user:password@)")
    host = _normalize_host(parts.hostname or "")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        if port == 0:
            raise InvalidUrl(details="URL port must be between 1 and 65535")
        if (scheme, port) not in (("http", 80), ("https", 443)):
            netloc = f"{netloc}:{port}"
    if short_host and netloc == short_host.lower():
        raise InvalidUrl(details="URL must not point to this shortener (it would loop)")
    path = quote(_canonical_path(_canonical_escapes(parts.path)), safe=_SAFE)
    query = quote(_canonical_escapes(parts.query), safe=_SAFE)
    fragment = quote(_canonical_escapes(parts.fragment), safe=_SAFE)
    result = urlunsplit((scheme, netloc, path, query, fragment))
    if len(result) > MAX_URL_LENGTH:
        raise InvalidUrl(details=f"URL must be at most {MAX_URL_LENGTH} characters long")
    return result


def _canonical_escapes(text: str) -> str:
    """RFC 3986 6.2.2: escapes of unreserved characters decoded (`%70` → `p`), the others in
    upper case (`%2f` → `%2F`), and a `%` that starts no escape encoded (`%25`)."""
    if "%" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PERCENT_ESCAPE.sub(one, _STRAY_PERCENT.sub("%25", text))


def _canonical_path(path: str) -> str:
    """Repeated slashes collapsed and dot segments removed (RFC 3986 5.2.4): the path a
    server would serve, so `/a/../payload/x` and `//payload/x` are `/payload/x`."""
    if "//" in path:
        path = _REPEATED_SLASHES.sub("/", path)
    if "." not in path:
        return path
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")
    return "/".join(kept)


def _normalize_host(host: str) -> str:
    if not host:
        raise InvalidUrl(details="URL must include a host")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    host = host.rstrip(".")
    lowered = host.lower()
    if (
        host.isascii()
        and len(lowered) <= 253
        and all(
            _PLAIN_LABEL.fullmatch(label) and label[2:4] != "--" for label in lowered.split(".")
        )
    ):
        # Plain ASCII letters, digits and hyphens: IDNA would only lowercase (and it is slow,
        # which a bulk import of 1,000 URLs notices).
        ascii_host = lowered
    else:
        ascii_host = _idna_host(host)
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(labels):
        raise InvalidUrl(details="URL host must be a full domain name (like example.com)")
    if labels[-1].isdigit():
        raise InvalidUrl(details="URL host is not a valid domain name or IP address")
    return ascii_host.lower()


def _idna_host(host: str) -> str:
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise InvalidUrl(details=f"URL host is not a valid domain name: {exc}") from None
