"""Who is making a request: a user (through a JWT or an API key), or nobody."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ANONYMOUS", "OPERATOR", "Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a request. `user_id` is None for anonymous callers."""

    user_id: int | None = None
    username: str | None = None
    role: str = "anonymous"
    plan: str = "anonymous"
    permissions: frozenset[str] = field(default_factory=lambda: frozenset({"read", "write"}))
    api_key_id: int | None = None
    rate_limit: int | None = None
    # Signed in moments ago with a bearer token (accounts/tokens.FRESH_LOGIN): may change the
    # email or delete the account without typing the password again. Never for an API key.
    fresh_login: bool = False

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can(self, permission: str) -> bool:
        return permission in self.permissions


ANONYMOUS = Principal()
# Whoever runs the `shorturl` CLI on the service's own database: an administrator without an
# account (links they create have no owner). Never the result of an HTTP request.
OPERATOR = Principal(username="operator", role="admin", plan="enterprise")
