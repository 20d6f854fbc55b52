"""`BodySizeLimit`: request bodies over a size limit are refused with 413 before they are read.

A pure ASGI middleware in front of the FastAPI app (the redirect front never reaches it). A
`Content-Length` over the limit is answered at once; a body without one (chunked) is
counted as it streams in and cut where it passes the limit, so nothing over the limit is
ever held in memory.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.exceptions import HTTPException
from starlette.requests import Request

from shorturl.api.errors import error_response
from shorturl.errors import AppError

__all__ = ["LARGE_BODY_PATHS", "BodySizeLimit", "PayloadTooLarge"]

# Routes made for many links at once get the larger limit.
LARGE_BODY_PATHS: Final = frozenset({"/api/v1/urls/bulk", "/api/v1/urls/import"})

Scope = dict[str, Any]
Message = dict[str, Any]


class PayloadTooLarge(AppError):
    status_code, code, message = 413, "PAYLOAD_TOO_LARGE", "The request body is too large"


class _BodyCutOff(HTTPException):
    """Raised from `receive` once a streamed body passes the limit. An HTTPException, so
    FastAPI's body parsing lets it through to the error handlers instead of making it a 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit).message)


class BodySizeLimit:
    def __init__(self, app: Any, *, default_limit: int, large_limit: int) -> None:
        self.app = app
        self.default_limit = default_limit
        self.large_limit = large_limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.large_limit if scope["path"] in LARGE_BODY_PATHS else self.default_limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            request = Request(scope)
            response = error_response(request, _too_large(limit))
            response.headers["Connection"] = "close"
            await response(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message: Message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyCutOff(limit)
            return message

        await self.app(scope, counted_receive, send)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is over {limit:,} bytes", details={"limit_bytes": limit}
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
