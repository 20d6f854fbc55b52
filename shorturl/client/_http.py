"""The request/response layer both clients share: calls, responses, errors and retries.

A resource method only describes its request as a `Call` (method, path, body, how to read
the answer). `Client` and `AsyncClient` differ only in how they send it and how they wait
between attempts; everything else — URLs, headers, reading the seed-003 envelope, turning
errors into exceptions, deciding whether and when to retry — lives here, once.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final, Generic, Literal, TypeVar
from urllib.parse import quote

import httpx

from shorturl.client.errors import (
    ConnectionFailed,
    RequestTimedOut,
    ShortURLError,
    UnexpectedResponse,
    error_class_for,
    retry_after_seconds,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "NOT_GIVEN",
    "Call",
    "ClientOptions",
    "NotGiven",
    "path_segment",
    "read_response",
    "wire_value",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

DEFAULT_BASE_URL: Final = "http://localhost:8080"
API_PREFIX: Final = "/api/v1"
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
USER_AGENT: Final = "shorturl-python/0.1.0"


class NotGiven:
    """Marks an argument left out (as opposed to `None`, which clears a field)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Final = NotGiven()

Expect = Literal["envelope", "json", "bytes"]


@dataclass(frozen=True, slots=True)
class Call(Generic[T_co]):
    """One API request and how to read its answer.

    `path` is under `/api/v1` unless `root` is set; `expect` says what the body is: the
    seed-003 envelope (its `data` goes to `parse`), plain JSON, or bytes (an image).
    `idempotent` decides retries; by default GET, PUT and DELETE are, POST and PATCH not.
    """

    method: str
    path: str
    parse: Callable[[Any], T_co]
    params: Mapping[str, Any] | None = None
    json: Any = None
    expect: Expect = "envelope"
    root: bool = False
    idempotent: bool | None = None
    content: str | bytes | None = None  # a raw body (CSV), sent with `content_type`
    content_type: str | None = None

    @property
    def retryable(self) -> bool:
        if self.idempotent is not None:
            return self.idempotent
        return self.method in IDEMPOTENT_METHODS

    def with_params(self, **changes: Any) -> Call[T_co]:
        return replace(self, params={**(self.params or {}), **changes})

    def url_path(self) -> str:
        return self.path if self.root else API_PREFIX + self.path

    def query(self) -> dict[str, Any]:
        return {
            name: wire_value(value)
            for name, value in (self.params or {}).items()
            if value is not None and not isinstance(value, NotGiven)
        }


@dataclass(frozen=True)
class ClientOptions:
    """What both clients are configured with; see `Client` for each argument."""

    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(10.0))
    max_retries: int = 2
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_wait: float = 60.0

    @classmethod
    def create(
        cls,
        *,
        base_url: str | None,
        api_key: str | None,
        token: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        max_retry_wait: float,
        headers: Mapping[str, str] | None,
    ) -> ClientOptions:
        if api_key is not None and token is not None:
            raise ValueError("give either api_key or token, not both")
        if api_key is None and token is None:
            api_key = os.environ.get("SHORTURL_API_KEY") or None
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        merged = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
        if api_key:
            merged["X-API-Key"] = api_key
        if token:
            merged["Authorization"] = f"Bearer {token}"
        return cls(
            base_url=server_root(base_url or os.environ.get("SHORTURL_URL") or DEFAULT_BASE_URL),
            headers=merged,
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
        )

    def retry_delay(
        self,
        call: Call[Any],
        attempt: int,
        response: httpx.Response | None = None,
        error: httpx.TransportError | None = None,
    ) -> float | None:
        """Seconds to wait before trying `call` again, or None to stop here.

        Only idempotent calls are retried (a retried POST could create a link twice): after
        a network failure, a 429 or a 5xx, with exponential backoff and jitter, or after the
        server's `Retry-After` when it gives one — unless that is over `max_retry_wait`.
        """
        if attempt >= self.max_retries or not call.retryable:
            return None
        if response is not None:
            if response.status_code not in RETRY_STATUSES:
                return None
            asked = retry_after_seconds(_lower(response.headers))
            if asked is not None:
                return asked if asked <= self.max_retry_wait else None
        elif error is None:
            return None
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def server_root(base_url: str) -> str:
    """The server's root URL: `https://sho.rt/api/v1/` and `https://sho.rt` both give the latter."""
    root = base_url.strip().rstrip("/")
    if root.endswith(API_PREFIX):
        root = root[: -len(API_PREFIX)]
    if not root.startswith(("http://", "https://")):
        raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
    return root


def path_segment(value: str) -> str:
    """`value` as one URL path segment: a code or an id can never walk to another route."""
    text = str(value)
    if text in ("", ".", ".."):
        raise ValueError(f"not a valid identifier: {text!r}")
    return quote(text, safe="")


def wire_value(value: Any) -> Any:
    """A Python value as the API reads it: datetimes in ISO-8601 UTC, containers walked."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {
            key: wire_value(item) for key, item in value.items() if not isinstance(item, NotGiven)
        }
    if isinstance(value, list | tuple):
        return [wire_value(item) for item in value]
    return value


def connection_error(error: httpx.TransportError, base_url: str) -> ConnectionFailed:
    if isinstance(error, httpx.TimeoutException):
        return RequestTimedOut(f"no answer from {base_url} in time ({type(error).__name__})")
    return ConnectionFailed(f"could not reach {base_url}: {error or type(error).__name__}")


def read_response(call: Call[T], response: httpx.Response) -> T:
    """The result of `call` from its answer, or the ShortURLError the answer stands for."""
    if response.is_error:
        raise error_from(response)
    if call.expect == "bytes":
        return call.parse(response.content)
    try:
        body = response.json()
    except ValueError:
        raise UnexpectedResponse(
            f"{call.method} {response.request.url} answered {response.status_code} "
            f"with a body that is not JSON; is this a shorturl server?",
            status=response.status_code,
        ) from None
    if call.expect == "json":
        return call.parse(body)
    if not isinstance(body, dict) or body.get("success") is not True or "data" not in body:
        raise UnexpectedResponse(
            f"{call.method} {response.request.url} did not answer the API v1 envelope",
            status=response.status_code,
        )
    return call.parse(body["data"])


def error_from(response: httpx.Response) -> ShortURLError:
    """The exception for an error answer: the envelope's code, else the status decides."""
    headers = _lower(response.headers)
    code: str | None = None
    message = response.reason_phrase or f"HTTP {response.status_code}"
    details: Any = None
    request_id = headers.get("x-request-id")
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code = error.get("code") if isinstance(error.get("code"), str) else None
            message = str(error.get("message") or message)
            details = error.get("details")
        elif isinstance(error, str):  # the seed-001 root API: {"error": "message"}
            message = error
        meta = body.get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("request_id"), str):
            request_id = meta["request_id"]
    cls = error_class_for(code, response.status_code)
    return cls(
        message,
        code=code or cls.code,
        status=response.status_code,
        details=details,
        request_id=request_id,
        headers=headers,
    )


def _lower(headers: httpx.Headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
