"""Password hashing with argon2id, off the event loop, in constant time for unknown accounts."""

from __future__ import annotations

import asyncio
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH", "hash_password", "verify_password"]

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256

# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): about 50 ms on one core here. The
# library default (64 MiB, 3 passes, 4 lanes) costs 200 ms, which turns every login attempt
# into a denial-of-service lever on a small machine.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _hasher.hash("decoy password for accounts that do not exist")


async def hash_password(password: str) -> str:
    """The argon2id hash of `password` (salted; safe to store)."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches `password_hash`.

    With no hash (unknown account) a decoy hash is checked instead, so the answer takes as
    long either way and timing does not reveal which accounts exist.
    """
    target = password_hash if password_hash else await asyncio.to_thread(_decoy_hash)

    def check() -> bool:
        try:
            return _hasher.verify(target, password)
        except (VerificationError, InvalidHashError):
            return False

    matches = await asyncio.to_thread(check)
    return matches and password_hash is not None
