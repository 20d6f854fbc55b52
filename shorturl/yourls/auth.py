"""Who a YOURLS request is from: `signature`, `timestamp` + `signature`, or `username` + `password`.

- `signature=<API key>`: the key stands for YOURLS's signature token.
- `timestamp=<unix seconds>&signature=<md5(timestamp + token)>` (or `md5(token +
  timestamp)`; `hash=` names another hashlib digest), within 12 hours of now. Keys are
  stored hashed, so the token here is not the key but one derived from it:
  `signature_token(key)`, which `action=signature-token` shows to the key's owner.
  A plain `signature=<token>` works too.
- `username=<username or email>&password=…`, through the API's login throttle.

Anything else is 403, in YOURLS's words.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts import service as accounts
from shorturl.accounts.api_keys import (
    active_key_hashes,
    principal_from_api_key,
    principal_from_key_hash,
)
from shorturl.accounts.keys import looks_like_api_key
from shorturl.accounts.principal import Principal
from shorturl.errors import Unauthorized

__all__ = ["NONCE_LIFE", "NotAuthenticated", "authenticate", "signature_token"]

NONCE_LIFE: Final = 43200  # seconds a timestamped signature is good for (YOURLS_NONCE_LIFE)
_DIGESTS: Final = frozenset(hashlib.algorithms_guaranteed) - {"shake_128", "shake_256"}


class NotAuthenticated(Exception):
    """403: no credentials (`Please log in`) or wrong ones."""

    def __init__(self, message: str = "Invalid username or password") -> None:
        super().__init__(message)
        self.message = message


def signature_token(key_hash: str, secret_key: str) -> str:
    """The YOURLS signature token of the API key with this hash."""
    return hmac.new(
        secret_key.encode(), b"yourls-signature:" + key_hash.encode(), "sha256"
    ).hexdigest()[:32]


async def authenticate(
    request: Request, params: Mapping[str, str], session: AsyncSession
) -> Principal:
    runtime = request.app.state.runtime
    signature = params.get("signature", "").strip()
    if signature:
        timestamp = params.get("timestamp", "").strip()
        if timestamp:
            return await _timestamped(
                session, signature, timestamp, params.get("hash"), runtime.secret_keys
            )
        if looks_like_api_key(signature):
            try:
                return await principal_from_api_key(session, signature)
            except Unauthorized:
                raise NotAuthenticated() from None
        return await _by_token(session, runtime.secret_keys, lambda token: _same(signature, token))
    username, password = params.get("username", ""), params.get("password", "")
    if username and password:
        limits = runtime.limits
        try:
            user = await accounts.sign_in(
                session,
                username,
                password,
                client_ip=runtime.client_ip.from_scope(request.scope),
                throttle=limits.login if limits is not None else None,
            )
        except Unauthorized:
            raise NotAuthenticated() from None
        return accounts.principal_for(user)
    raise NotAuthenticated("Please log in")


async def _timestamped(
    session: AsyncSession,
    signature: str,
    timestamp: str,
    algorithm: str | None,
    secret_keys: Sequence[str],
) -> Principal:
    name = (algorithm or "md5").strip().lower()
    if not timestamp.isdigit() or name not in _DIGESTS:
        raise NotAuthenticated()
    if abs(time.time() - int(timestamp)) >= NONCE_LIFE:
        raise NotAuthenticated()

    def signed_by(token: str) -> bool:
        return any(
            _same(signature, hashlib.new(name, message.encode()).hexdigest())
            for message in (timestamp + token, token + timestamp)
        )

    return await _by_token(session, secret_keys, signed_by)


async def _by_token(
    session: AsyncSession, secret_keys: Sequence[str], matches: Callable[[str], bool]
) -> Principal:
    """The owner of the key whose token `matches`. YOURLS's requests do not say whose
    signature they carry, so every active key's token is tried (as YOURLS tries each user),
    under each key of `SECRET_KEY` (tokens handed out before a rotation still work)."""
    for key_hash in await active_key_hashes(session):
        if any(matches(signature_token(key_hash, key)) for key in secret_keys):
            try:
                return await principal_from_key_hash(session, key_hash)
            except Unauthorized:
                break
    raise NotAuthenticated()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.lower().encode(), expected.encode())
