"""The seed-003 response envelope: `{"success", "data", "meta": {timestamp, request_id, …}}`."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Generic, TypeVar

from fastapi import Request
from pydantic import BaseModel

from shorturl.timestamps import UtcDateTime, utcnow

__all__ = ["Envelope", "ErrorBody", "ErrorEnvelope", "Meta", "RateLimitMeta", "meta_for", "ok"]

T = TypeVar("T")


class RateLimitMeta(BaseModel):
    limit: int
    remaining: int
    reset: int


class Meta(BaseModel):
    timestamp: UtcDateTime
    request_id: str
    rate_limit: RateLimitMeta | None = None


class Envelope(BaseModel, Generic[T]):
    success: bool = True
    data: T
    meta: Meta


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(BaseModel):
    success: bool = False
    error: ErrorBody
    meta: Meta


def request_id(request: Request) -> str:
    """This request's id (`req_…`), made on first use and echoed in `X-Request-ID`."""
    existing = getattr(request.state, "request_id", None)
    if existing is None:
        existing = request.state.request_id = "req_" + secrets.token_hex(8)
    return existing


def meta_for(request: Request, now: datetime | None = None) -> Meta:
    rate_limit = getattr(request.state, "rate_limit", None)
    return Meta(timestamp=now or utcnow(), request_id=request_id(request), rate_limit=rate_limit)


def ok(request: Request, data: T) -> Envelope[T]:
    """Wrap `data` in the success envelope."""
    return Envelope[Any](data=data, meta=meta_for(request))
