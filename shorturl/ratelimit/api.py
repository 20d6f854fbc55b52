"""API v1 limits: which plan bucket a request counts against, for whom, and the 429.

Buckets (per hour, `shorturl.ratelimit.plans`): `create` (POST /urls, /shorten, /urls/bulk),
`analytics` (…/analytics, …/stats, /analytics/summary), `api` (everything else). Anonymous
callers count per client IP, signed-in ones per user: one allowance per account and bucket,
shared by its token and all of its keys (50 keys never give 50 times the plan). A request
made with an API key that has its own `rate_limit` counts its `api` bucket twice: per key
against min(key limit, plan limit), and per user against the plan, and must pass both.

`enforce_api_rate_limit` runs on every v1 route (a router dependency); it leaves the state in
`request.state.rate_limit`, which the envelope shows as `meta.rate_limit` and
`RateLimitHeaders` as `X-RateLimit-*` headers. A route whose cost depends on its body (bulk
creation) calls `consume_up_to(request, principal, "create", n - 1)` once it knows `n`.
"""

from __future__ import annotations

import re
from typing import Final

from fastapi import Request

from shorturl.accounts.api_keys import effective_rate_limit
from shorturl.accounts.dependencies import get_principal
from shorturl.accounts.principal import ANONYMOUS, Principal
from shorturl.errors import AppError, RateLimited
from shorturl.ratelimit.limiter import LimitState
from shorturl.ratelimit.plans import Bucket, plan_named
from shorturl.storage.db import SessionDep

__all__ = [
    "HOUR",
    "bucket_of",
    "consume",
    "consume_up_to",
    "ensure_room",
    "enforce_api_rate_limit",
    "rate_limit_headers",
]

HOUR: Final = 3600
_CREATE_PATHS: Final = frozenset(
    {"/api/v1/urls", "/api/v1/shorten", "/api/v1/urls/bulk", "/api/v1/urls/import"}
)
_ANALYTICS_PATH: Final = re.compile(r"/api/v1/(?:analytics(?:/.*)?|urls/[^/]+/(?:analytics|stats))")
_WHAT: Final = {"create": "URL creations", "analytics": "analytics requests", "api": "requests"}


def bucket_of(method: str, path: str) -> Bucket:
    """The bucket of a v1 request, by its method and path."""
    if method == "POST" and path in _CREATE_PATHS:
        return "create"
    if _ANALYTICS_PATH.fullmatch(path):
        return "analytics"
    return "api"


def _limits(request: Request, principal: Principal, bucket: Bucket) -> list[tuple[str, int]]:
    """The (identity, limit) counters a request of `bucket` counts against: all must pass."""
    plan = plan_named(principal.plan)
    if principal.user_id is None:
        client_ip = request.app.state.runtime.client_ip.from_scope(request.scope)
        return [(f"ip:{client_ip}", plan.limit(bucket))]
    account = (f"user:{principal.user_id}", plan.limit(bucket))
    if bucket == "api" and principal.api_key_id is not None and principal.rate_limit:
        key_limit = effective_rate_limit(principal.rate_limit, principal.plan)
        return [(f"key:{principal.api_key_id}", key_limit), account]
    return [account]


def _tightest(states: list[LimitState]) -> LimitState:
    """The state to show the client: a refusal first, else the one with least room left."""
    return min(states, key=lambda state: (state.allowed, state.remaining))


async def consume(
    request: Request, principal: Principal, bucket: Bucket, cost: int = 1
) -> LimitState | None:
    """Count `cost` requests of `bucket` for this caller; RateLimited (429) past the limit.
    None when limits are off."""
    limits = request.app.state.runtime.limits
    if limits is None or cost <= 0:
        return None
    states = []
    for identity, limit in _limits(request, principal, bucket):
        states.append(await limits.api.hit(bucket, identity, limit, HOUR, cost))
        if not states[-1].allowed:  # a refused request does not use the account's allowance
            break
    state = _tightest(states)
    request.state.rate_limit = state.meta()
    if not state.allowed:
        wait = state.retry_after()
        raise RateLimited(
            f"Rate limit exceeded: {state.limit} {_WHAT[bucket]} per hour",
            details={"bucket": bucket, "limit": state.limit, "retry_after": wait},
            headers={"Retry-After": str(wait)},
        )
    return state


async def ensure_room(request: Request, principal: Principal, bucket: Bucket) -> None:
    """RateLimited (429) when this caller has no request of `bucket` left, counting nothing:
    for checks that cost before the request is counted (YOURLS's signatures)."""
    limits = request.app.state.runtime.limits
    if limits is None:
        return
    counters = _limits(request, principal, bucket)
    peeked = [await limits.api.peek(bucket, identity, limit, HOUR) for identity, limit in counters]
    state = _tightest(peeked)
    if not state.allowed:
        wait = state.retry_after()
        raise RateLimited(
            f"Rate limit exceeded: {state.limit} {_WHAT[bucket]} per hour",
            details={"bucket": bucket, "limit": state.limit, "retry_after": wait},
            headers={"Retry-After": str(wait)},
        )


async def consume_up_to(request: Request, principal: Principal, bucket: Bucket, wanted: int) -> int:
    """Count as many of `wanted` more requests of `bucket` as the limits have room for, and
    say how many that was (all of them when limits are off). Bulk creation: the items past
    the limit fail on their own instead of the whole batch."""
    limits = request.app.state.runtime.limits
    if limits is None or wanted <= 0:
        return max(wanted, 0)
    counters = _limits(request, principal, bucket)
    peeked = [await limits.api.peek(bucket, identity, limit, HOUR) for identity, limit in counters]
    granted = min([wanted, *(state.remaining for state in peeked)])
    states = peeked
    if granted > 0:
        states = [
            await limits.api.hit(bucket, identity, limit, HOUR, granted)
            for identity, limit in counters
        ]
        if not all(state.allowed for state in states):  # others took the room meanwhile
            granted = 0
    request.state.rate_limit = _tightest(states).meta()
    return granted


async def enforce_api_rate_limit(request: Request, session: SessionDep) -> None:
    """Router dependency of /api/v1: authenticate, then count the request.

    Failed authentication counts too (against the client IP), so guessing credentials is
    throttled like any anonymous traffic.
    """
    if request.app.state.runtime.limits is None:
        return
    bucket = bucket_of(request.method, request.url.path)
    try:
        principal = await get_principal(request, session)
    except AppError:
        await consume(request, getattr(request.state, "principal", None) or ANONYMOUS, bucket)
        raise
    await consume(request, principal, bucket)


def rate_limit_headers(limit: int, remaining: int, reset: int) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-ratelimit-limit", str(limit).encode()),
        (b"x-ratelimit-remaining", str(remaining).encode()),
        (b"x-ratelimit-reset", str(reset).encode()),
    ]
