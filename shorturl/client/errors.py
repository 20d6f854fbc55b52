"""The SDK's exceptions: one base class, `ShortURLError`, and one subclass per seed-003 code.

Every error the server answers is raised as the subclass of its `code` (an unknown code as
the class of its HTTP status), carrying `code`, `status`, `message`, `details` and
`request_id`; network failures are `ConnectionFailed` (code `CONNECTION_ERROR`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

__all__ = [
    "AccountExists",
    "ConnectionFailed",
    "CustomAliasTaken",
    "DomainExists",
    "DomainInUse",
    "Forbidden",
    "InternalError",
    "InvalidUrl",
    "MaliciousUrl",
    "NotFound",
    "QuotaExceeded",
    "RateLimited",
    "RequestTimedOut",
    "ServerError",
    "ShortURLError",
    "Unauthorized",
    "UnexpectedResponse",
    "UrlExpired",
    "UrlNotAccessible",
    "UrlNotFound",
    "ValidationError",
    "error_class_for",
]


class ShortURLError(Exception):
    """Anything that went wrong talking to a shorturl server.

    `code` is the seed-003 error code (`CUSTOM_ALIAS_TAKEN`, `RATE_LIMITED`, …), `status` the
    HTTP status (None when no answer came), `details` whatever the server added (a string, or
    a list of `{"field", "problem"}` for a `VALIDATION_ERROR`), `request_id` the server's
    `req_…` id to quote in a bug report.
    """

    code: ClassVar[str] = "ERROR"
    status_code: ClassVar[int | None] = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
        request_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]  # an instance may carry an unlisted code
        self.status = status if status is not None else self.status_code
        self.details = details
        self.request_id = request_id
        self.headers = headers or {}

    def __str__(self) -> str:
        text = f"{self.code}"
        if self.status is not None:
            text += f" ({self.status})"
        text += f": {self.message}"
        if isinstance(self.details, str) and self.details:
            text += f" ({self.details})"
        elif isinstance(self.details, list) and self.details:
            problems = [
                f"{item.get('field')}: {item.get('problem')}"
                for item in self.details
                if isinstance(item, dict)
            ]
            if problems:
                text += " (" + "; ".join(problems) + ")"
        if self.request_id:
            text += f" [{self.request_id}]"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ValidationError(ShortURLError):
    code, status_code = "VALIDATION_ERROR", 400


class InvalidUrl(ShortURLError):
    code, status_code = "INVALID_URL", 400


class UrlNotAccessible(ShortURLError):
    code, status_code = "URL_NOT_ACCESSIBLE", 400


class MaliciousUrl(ShortURLError):
    code, status_code = "MALICIOUS_URL", 400


class Unauthorized(ShortURLError):
    code, status_code = "UNAUTHORIZED", 401


class QuotaExceeded(ShortURLError):
    code, status_code = "QUOTA_EXCEEDED", 402


class Forbidden(ShortURLError):
    code, status_code = "FORBIDDEN", 403


class NotFound(ShortURLError):
    """Something asked for does not exist (an API key, a webhook, a route)."""

    code, status_code = "NOT_FOUND", 404


class UrlNotFound(NotFound):
    code, status_code = "URL_NOT_FOUND", 404


class CustomAliasTaken(ShortURLError):
    code, status_code = "CUSTOM_ALIAS_TAKEN", 409


class AccountExists(ShortURLError):
    code, status_code = "ACCOUNT_EXISTS", 409


class DomainExists(ShortURLError):
    code, status_code = "DOMAIN_EXISTS", 409


class DomainInUse(ShortURLError):
    code, status_code = "DOMAIN_IN_USE", 409


class UrlExpired(ShortURLError):
    code, status_code = "URL_EXPIRED", 410


class RateLimited(ShortURLError):
    """Too many requests. `retry_after` is how many seconds to wait, when the server said."""

    code, status_code = "RATE_LIMITED", 429

    @property
    def retry_after(self) -> float | None:
        return retry_after_seconds(self.headers)


class ServerError(ShortURLError):
    """The server (or a proxy before it) failed: any 5xx."""

    code, status_code = "SERVER_ERROR", 500


class InternalError(ServerError):
    code, status_code = "INTERNAL_ERROR", 500


class UnexpectedResponse(ShortURLError):
    """The answer is not what a shorturl server sends (wrong URL, a proxy's page, …)."""

    code = "UNEXPECTED_RESPONSE"


class ConnectionFailed(ShortURLError):
    """No answer: the server could not be reached, or the connection broke."""

    code = "CONNECTION_ERROR"


class RequestTimedOut(ConnectionFailed):
    code = "TIMEOUT"


_BY_CODE: dict[str, type[ShortURLError]] = {
    cls.code: cls
    for cls in (
        ValidationError,
        InvalidUrl,
        UrlNotAccessible,
        MaliciousUrl,
        Unauthorized,
        QuotaExceeded,
        Forbidden,
        NotFound,
        UrlNotFound,
        CustomAliasTaken,
        AccountExists,
        DomainExists,
        DomainInUse,
        UrlExpired,
        RateLimited,
        InternalError,
    )
}
# Answers without a known code (a root-API error, a proxy's 502) are classed by status.
_BY_STATUS: dict[int, type[ShortURLError]] = {
    400: ValidationError,
    401: Unauthorized,
    402: QuotaExceeded,
    403: Forbidden,
    404: NotFound,
    410: UrlExpired,
    429: RateLimited,
}


def error_class_for(code: str | None, status: int) -> type[ShortURLError]:
    """The exception class for an error answer with this `code` and HTTP `status`."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ShortURLError


def retry_after_seconds(headers: dict[str, str]) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date) or the seed's
    `X-RateLimit-Retry-After`; None when neither is there or readable."""
    for name in ("retry-after", "x-ratelimit-retry-after"):
        value = headers.get(name)
        if value is None:
            continue
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return None
