"""Short codes: random generation, the shape a code may have, and the reserved words."""

from __future__ import annotations

import re
import secrets
import string
from typing import Final

__all__ = [
    "ALIAS_PATTERN",
    "ALPHABET",
    "CODE_PATTERN",
    "RESERVED_WORDS",
    "alias_problem",
    "generate_code",
    "generate_codes",
    "is_possible_code",
    "kept_code_problem",
]

ALPHABET: Final = string.digits + string.ascii_letters  # base62
# Any code that can exist: generated codes (base62) and custom aliases.
CODE_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
ALIAS_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{3,64}")
RESERVED_WORDS: Final = frozenset(
    {
        "api",
        "dashboard",
        "login",
        "logout",
        "signup",
        "static",
        "docs",
        "redoc",
        "openapi.json",
        "health",
        "metrics",
        "shorten",
        "analytics",
        "qr",
        "admin",
        "favicon.ico",
        "robots.txt",
        "yourls-api.php",  # the YOURLS API (shorturl/yourls)
    }
)
_RESERVED_LOWER: Final = frozenset(word.lower() for word in RESERVED_WORDS)


def generate_codes(length: int, count: int) -> list[str]:
    """`count` random codes at once: the same distribution as `generate_code`, from one
    read of the CSPRNG (bytes above 247 are dropped so that every character is as likely)."""
    wanted = length * count
    chars: list[str] = []
    while len(chars) < wanted:
        chars += [ALPHABET[byte % 62] for byte in secrets.token_bytes(wanted + 16) if byte < 248]
    return ["".join(chars[i * length : (i + 1) * length]) for i in range(count)]


def generate_code(length: int) -> str:
    """A random base62 code from the OS CSPRNG (62**7 ≈ 3.5e12 codes at the default length)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def is_possible_code(value: str) -> bool:
    """Whether `value` has the shape of a code (so a lookup makes sense)."""
    return CODE_PATTERN.fullmatch(value) is not None


def alias_problem(alias: str) -> str | None:
    """Why `alias` cannot be a custom alias, or None when it can."""
    if not 3 <= len(alias) <= 64:
        return "Custom alias must be 3 to 64 characters long"
    if ALIAS_PATTERN.fullmatch(alias) is None:
        return "Custom alias may only contain letters, digits, '-' and '_'"
    if alias.lower() in _RESERVED_LOWER:
        return f"'{alias}' is a reserved word and cannot be used as an alias"
    return None


def kept_code_problem(code: str) -> str | None:
    """Why an imported code cannot be kept as it is, or None when it can: any code the
    redirect can serve (1–64 of A-Z a-z 0-9 - _) that is not a reserved word."""
    if CODE_PATTERN.fullmatch(code) is None:
        return "A code must be 1 to 64 letters, digits, '-' or '_'"
    if code.lower() in _RESERVED_LOWER:
        return f"'{code}' is a reserved word here"
    return None
