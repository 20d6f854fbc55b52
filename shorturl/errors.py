"""Errors the service raises on purpose, and how they are written on the wire.

Two wire formats exist: the seed-001 root API answers `{"error": message}`; API v1 answers the
seed-003 envelope `{"success": false, "error": {code, message, details}, "meta": …}`.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccountExists",
    "AppError",
    "CustomAliasTaken",
    "DisabledByAdmin",
    "DomainExists",
    "DomainInUse",
    "Forbidden",
    "InternalError",
    "InvalidUrl",
    "LinkExpired",
    "LinkNotFound",
    "MaliciousUrl",
    "NotFound",
    "QuotaExceeded",
    "RateLimited",
    "ServiceUnavailable",
    "Unauthorized",
    "UrlNotAccessible",
    "ValidationFailed",
]


class AppError(Exception):
    """An error with an HTTP status and a seed-003 error code."""

    status_code: int = 500
    code: str = "INTERNAL_ERROR"
    message: str = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)


class ValidationFailed(AppError):
    status_code, code, message = 400, "VALIDATION_ERROR", "The request is not valid"


class InvalidUrl(AppError):
    status_code, code, message = 400, "INVALID_URL", "The provided URL is not valid"


class UrlNotAccessible(AppError):
    status_code, code, message = 400, "URL_NOT_ACCESSIBLE", "The URL is not accessible"


class MaliciousUrl(AppError):
    status_code, code, message = 400, "MALICIOUS_URL", "The URL is flagged as malicious"


class Unauthorized(AppError):
    status_code, code, message = 401, "UNAUTHORIZED", "Authentication required"


class QuotaExceeded(AppError):
    status_code, code, message = 402, "QUOTA_EXCEEDED", "Usage quota exceeded"


class Forbidden(AppError):
    status_code, code, message = 403, "FORBIDDEN", "Access denied"


class DisabledByAdmin(Forbidden):
    """An owner tried to re-enable a link an administrator disabled."""

    code, message = "DISABLED_BY_ADMIN", "An administrator disabled this link"


class LinkNotFound(AppError):
    status_code, code, message = 404, "URL_NOT_FOUND", "Short URL not found"


class NotFound(AppError):
    status_code, code, message = 404, "NOT_FOUND", "Not found"


class CustomAliasTaken(AppError):
    status_code, code, message = 409, "CUSTOM_ALIAS_TAKEN", "Custom alias already exists"


class DomainExists(AppError):
    status_code, code, message = 409, "DOMAIN_EXISTS", "This domain is already added"


class DomainInUse(AppError):
    status_code, code, message = 409, "DOMAIN_IN_USE", "Links use this domain"


class AccountExists(AppError):
    status_code, code, message = 409, "ACCOUNT_EXISTS", "An account with these details exists"


class LinkExpired(AppError):
    status_code, code, message = 410, "URL_EXPIRED", "Short URL has expired"


class RateLimited(AppError):
    status_code, code, message = 429, "RATE_LIMITED", "Rate limit exceeded"


class InternalError(AppError):
    status_code, code, message = 500, "INTERNAL_ERROR", "Internal server error"


class ServiceUnavailable(AppError):
    """A dependency (the database, Redis) cannot be reached: try again after `Retry-After`."""

    status_code, code, message = 503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable"

    def __init__(self, message: str | None = None, *, retry_after: int = 2) -> None:
        super().__init__(
            message,
            details={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )
