"""HMAC-SHA256 signatures of webhook deliveries, and their verification (for receivers).

The signed message is `"{timestamp}.{body}"`: the `X-ShortURL-Timestamp` header (Unix
seconds), a dot, and the raw request body. `X-ShortURL-Signature` is `sha256=<hex digest>`.
A receiver checks the signature and that the timestamp is recent (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Final

__all__ = ["SIGNATURE_PREFIX", "sign", "verify"]

SIGNATURE_PREFIX: Final = "sha256="


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The `X-ShortURL-Signature` value of `body` sent at `timestamp`."""
    message = timestamp.encode("ascii") + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """Whether `signature` is ours for `body` and `timestamp` is within `tolerance` seconds."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
