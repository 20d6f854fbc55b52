"""API keys: `sk_live_…` secrets, of which only a SHA-256 hash and a short prefix are stored."""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass
from typing import Final

__all__ = ["KEY_PREFIX", "NewApiKey", "generate_api_key", "hash_api_key", "looks_like_api_key"]

KEY_PREFIX: Final = "sk_live_"
_ALPHABET: Final = string.ascii_letters + string.digits
_SECRET_LENGTH: Final = 40  # 40 base62 characters ≈ 238 bits
_SHOWN_LENGTH: Final = len(KEY_PREFIX) + 4


@dataclass(frozen=True, slots=True)
class NewApiKey:
    key: str  # shown to its owner once, never stored
    prefix: str
    hash: str


def hash_api_key(key: str) -> str:
    """Hex SHA-256 of a key. Keys are long random secrets, so a fast hash is enough."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def generate_api_key() -> NewApiKey:
    key = KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_SECRET_LENGTH))
    return NewApiKey(key=key, prefix=key[:_SHOWN_LENGTH], hash=hash_api_key(key))


def looks_like_api_key(value: str) -> bool:
    return value.startswith(KEY_PREFIX) and len(value) == len(KEY_PREFIX) + _SECRET_LENGTH
