"""API keys of a user: create (the secret is shown once), list, revoke, and authenticate by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.keys import generate_api_key, hash_api_key, looks_like_api_key
from shorturl.accounts.models import ApiKey, User
from shorturl.accounts.principal import Principal
from shorturl.accounts.repository import AccountRepository
from shorturl.accounts.service import principal_for
from shorturl.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from shorturl.ratelimit.plans import plan_named
from shorturl.timestamps import utcnow

__all__ = [
    "MAX_KEYS_PER_USER",
    "MAX_KEY_RATE_LIMIT",
    "PERMISSIONS",
    "CreatedApiKey",
    "active_key_hashes",
    "create_api_key",
    "effective_rate_limit",
    "list_api_keys",
    "principal_from_api_key",
    "principal_from_key_hash",
    "revoke_api_key",
]

PERMISSIONS: Final = ("read", "write")
MAX_KEYS_PER_USER: Final = 50
# A key may ask for more than its plan gives (seed 003 asks for 5,000 on any plan): the limit
# enforced is the smaller of the two, so the number only needs a sane ceiling.
MAX_KEY_RATE_LIMIT: Final = 1_000_000
# `last_used` is written at most this often per key, so a busy key is not a write per request.
LAST_USED_RESOLUTION: Final = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    record: ApiKey
    key: str  # the full secret: returned to its owner this once, stored only as a hash


async def create_api_key(
    session: AsyncSession,
    user: User,
    *,
    name: str,
    permissions: Sequence[str] = PERMISSIONS,
    rate_limit: int | None = None,
    creator: Principal | None = None,
) -> CreatedApiKey:
    """A new key for `user`. `rate_limit` (requests per hour through this key) is kept as
    asked and enforced as `effective_rate_limit` (at most the plan's); a key cannot mint a
    key with rights it does not have itself."""
    name = name.strip()
    if not 1 <= len(name) <= 128:
        raise ValidationFailed("name: 1 to 128 characters", details={"field": "name"})
    granted = sorted(set(permissions), key=PERMISSIONS.index) if permissions else []
    if not granted or any(permission not in PERMISSIONS for permission in granted):
        raise ValidationFailed(
            "permissions: a non-empty list of 'read' and 'write'",
            details={"field": "permissions"},
        )
    if creator is not None and not set(granted) <= creator.permissions:
        raise Forbidden(details="A key cannot create a key with more permissions than its own")
    if rate_limit is not None and not 1 <= rate_limit <= MAX_KEY_RATE_LIMIT:
        raise ValidationFailed(
            f"rate_limit: 1 to {MAX_KEY_RATE_LIMIT:,} requests per hour",
            details={"field": "rate_limit", "max": MAX_KEY_RATE_LIMIT},
        )
    repository = AccountRepository(session)
    if await repository.count_active_keys(user.id) >= MAX_KEYS_PER_USER:
        raise ValidationFailed(f"At most {MAX_KEYS_PER_USER} active API keys per account")
    secret = generate_api_key()
    record = ApiKey(
        user_id=user.id,
        name=name,
        key_prefix=secret.prefix,
        key_hash=secret.hash,
        permissions=granted,
        rate_limit=rate_limit,
        created_at=utcnow(),
    )
    await repository.insert_key(record)
    return CreatedApiKey(record=record, key=secret.key)


def effective_rate_limit(rate_limit: int | None, plan: str) -> int:
    """API requests per hour a key really gets: its own limit, never above its owner's plan."""
    ceiling = plan_named(plan).api
    return ceiling if rate_limit is None else min(rate_limit, ceiling)


async def list_api_keys(session: AsyncSession, user_id: int) -> Sequence[ApiKey]:
    """The user's keys that still work (revoked ones are not shown)."""
    return await AccountRepository(session).active_keys(user_id)


async def revoke_api_key(session: AsyncSession, user_id: int, key_id: int) -> ApiKey:
    """Revoke one of the user's keys; it stops authenticating with the next request."""
    key = await AccountRepository(session).active_key(user_id, key_id)
    if key is None:
        raise NotFound("API key not found", details=f"No active API key key_{key_id}")
    key.revoked_at = utcnow()
    await session.flush()
    return key


async def principal_from_api_key(session: AsyncSession, key: str) -> Principal:
    """The caller an API key stands for. Unknown, revoked and disabled-owner keys are all
    Unauthorized; nothing is cached, so a revocation holds from the next request on."""
    if not looks_like_api_key(key):
        raise Unauthorized(details="The API key is not valid")
    return await principal_from_key_hash(session, hash_api_key(key))


async def principal_from_key_hash(session: AsyncSession, key_hash: str) -> Principal:
    """The caller of the key with this hash (for signatures made from it, shorturl/yourls)."""
    repository = AccountRepository(session)
    found = await repository.key_with_owner(key_hash)
    if found is None:
        raise Unauthorized(details="The API key is not valid")
    record, user = found
    now = utcnow()
    await repository.mark_key_used(record.id, now, now - LAST_USED_RESOLUTION)
    return principal_for(user, record)


async def active_key_hashes(session: AsyncSession) -> Sequence[str]:
    """The hash of every key that authenticates now (unrevoked, its owner active)."""
    return await AccountRepository(session).active_key_hashes()
