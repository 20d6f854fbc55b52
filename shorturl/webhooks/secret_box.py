"""`SecretBox`: webhook secrets encrypted at rest (Fernet, from `cryptography`), with rotation.

Every delivery is signed with HMAC-SHA256, which needs the secret itself, so secrets cannot
be hashed like API keys; instead the database holds `fernet:<token>`, readable only with a
key from the settings (`SHORTURL_ENCRYPTION_KEYS`), which a copy of the database does not
carry. Keys are listed newest first: the first one encrypts, any of them decrypts, so a new
key goes in front and `shorturl webhooks reencrypt` moves every secret to it before the
old key is dropped. Without the setting the key is derived from `SECRET_KEY`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from typing import Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = [
    "SEALED_PREFIX",
    "SecretBox",
    "SecretUnreadable",
    "derive_key",
    "new_key",
    "secret_box_for",
]

SEALED_PREFIX: Final = "fernet:"


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys decrypts."""


def new_key() -> str:
    """A fresh key for `SHORTURL_ENCRYPTION_KEYS`."""
    return Fernet.generate_key().decode()


def derive_key(secret_key: str) -> str:
    """The Fernet key used when no encryption key is configured: one of its own, derived
    from `SECRET_KEY` (never the signing key itself)."""
    digest = hmac.new(secret_key.encode(), b"shorturl-webhook-secrets", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


class SecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("SecretBox needs at least one key")
        try:
            self._fernets = [Fernet(key.encode()) for key in keys]
        except ValueError as exc:
            raise ValueError(
                "each encryption key must be 32 url-safe base64-encoded bytes "
                "(make one with `shorturl webhooks new-key`)"
            ) from exc
        self._all = MultiFernet(self._fernets)

    def seal(self, secret: str) -> str:
        """`secret` as it is stored: encrypted with the first key."""
        return SEALED_PREFIX + self._fernets[0].encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret a stored value holds. A value from before encryption (no prefix) is
        returned as it is, until `reencrypt` seals it."""
        if not stored.startswith(SEALED_PREFIX):
            return stored
        try:
            return self._all.decrypt(stored.removeprefix(SEALED_PREFIX).encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "no configured encryption key decrypts this webhook secret"
            ) from None

    def is_current(self, stored: str) -> bool:
        """Whether `stored` is sealed with the first key (nothing for `reencrypt` to do)."""
        if not stored.startswith(SEALED_PREFIX):
            return False
        try:
            self._fernets[0].decrypt(stored.removeprefix(SEALED_PREFIX).encode())
        except InvalidToken:
            return False
        return True


def secret_box_for(encryption_keys: Sequence[str], secret_keys: str | Sequence[str]) -> SecretBox:
    """The box of the settings: `ENCRYPTION_KEYS`, else keys derived from `SECRET_KEY`'s
    (newest first, so rotating `SECRET_KEY` keeps old secrets readable until `reencrypt`)."""
    derived = [
        derive_key(key) for key in ([secret_keys] if isinstance(secret_keys, str) else secret_keys)
    ]
    return SecretBox(list(encryption_keys) or derived)
