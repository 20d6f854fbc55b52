"""Bearer access tokens: short-lived JWTs (HS256) signed with the service's `SECRET_KEY`."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from shorturl.errors import Unauthorized
from shorturl.timestamps import utcnow

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "FRESH_LOGIN",
    "AccessToken",
    "TokenClaims",
    "issue_token",
    "read_token",
]

ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
# A token this young since its sign-in (`auth_time`) stands in for the current password where
# one is asked (email change, account deletion), as GitHub's sudo mode and OIDC's max_age do.
FRESH_LOGIN = timedelta(minutes=10)
_ALGORITHM = "HS256"
_ISSUER = "shorturl"


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    expires_at: datetime

    @property
    def expires_in(self) -> int:
        return max(0, int((self.expires_at - utcnow()).total_seconds()))


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    credential_version: str
    generation: int = 0  # the user's `token_generation` when issued (tokens before it: 0)
    auth_time: int | None = None  # epoch seconds of the sign-in that issued it

    def is_fresh(self, now: datetime | None = None) -> bool:
        """Signed in within `FRESH_LOGIN`: the password was typed moments ago."""
        if self.auth_time is None:
            return False
        now = now or utcnow()
        return 0 <= now.timestamp() - self.auth_time <= FRESH_LOGIN.total_seconds()


def credential_version(password_hash: str) -> str:
    """A short fingerprint of the password hash: a new password (or a new account that got a
    reused id) makes every token issued before it invalid."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def issue_token(
    user_id: int,
    password_hash: str,
    secret_key: str,
    lifetime: timedelta = ACCESS_TOKEN_LIFETIME,
    *,
    generation: int = 0,
) -> AccessToken:
    """A signed access token for this user, valid for `lifetime`."""
    now = utcnow()
    expires_at = now + lifetime
    claims = {
        "iss": _ISSUER,
        "sub": str(user_id),
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "typ": "access",
        "cv": credential_version(password_hash),
        "gen": generation,
        "auth_time": int(now.timestamp()),  # tokens come from a sign-in only, never a refresh
    }
    return AccessToken(jwt.encode(claims, secret_key, algorithm=_ALGORITHM), expires_at)


def read_token(token: str, secret_keys: str | Sequence[str]) -> TokenClaims:
    """The claims of a token valid under any of `secret_keys` (`SECRET_KEY` rotation);
    `Unauthorized` for a forged, expired or malformed one."""
    keys = [secret_keys] if isinstance(secret_keys, str) else list(secret_keys)
    claims = None
    for key in keys:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[_ALGORITHM],
                issuer=_ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
            break
        except jwt.InvalidSignatureError:
            continue  # signed with another key of the list, perhaps
        except jwt.ExpiredSignatureError:
            raise Unauthorized(details="The access token has expired") from None
        except jwt.PyJWTError:
            raise Unauthorized(details="The access token is not valid") from None
    if claims is None:
        raise Unauthorized(details="The access token is not valid")
    subject, version = claims.get("sub"), claims.get("cv")
    if claims.get("typ") != "access" or not isinstance(version, str):
        raise Unauthorized(details="The access token is not valid")
    if not isinstance(subject, str) or not subject.isdigit():
        raise Unauthorized(details="The access token is not valid")
    generation, auth_time = claims.get("gen", 0), claims.get("auth_time")
    if not isinstance(generation, int) or not isinstance(auth_time, (int, type(None))):
        raise Unauthorized(details="The access token is not valid")
    return TokenClaims(
        user_id=int(subject), credential_version=version, generation=generation, auth_time=auth_time
    )
