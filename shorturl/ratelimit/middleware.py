"""ASGI middleware: the seed-001 root API limit, and `X-RateLimit-*` headers on API responses.

The root API (`/shorten`, `/analytics`, `/analytics/click`) allows 60 requests a minute per
client IP, as seed 001 says, whatever the route's code does; its `X-RateLimit-Reset` is the
seconds until a request frees up (seed 001: "time until rate limit resets"). API v1 limits
are counted by `enforce_api_rate_limit`; this middleware only copies the state it left in the
request into headers, on every response including errors — there `X-RateLimit-Reset` is an
epoch timestamp, like `meta.rate_limit.reset` (seed 003).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import orjson

from shorturl.ratelimit.api import rate_limit_headers

if TYPE_CHECKING:
    from shorturl.runtime import Runtime

__all__ = ["ROOT_API_LIMIT", "ROOT_API_PATHS", "RateLimitHeaders"]

ROOT_API_PATHS: Final = frozenset({"/shorten", "/analytics", "/analytics/click"})
ROOT_API_LIMIT: Final = (60, 60)  # requests, seconds

Scope = dict[str, Any]


class RateLimitHeaders:
    def __init__(self, app: Any, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        limits = self.runtime.limits
        if scope["type"] != "http" or limits is None:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in ROOT_API_PATHS:
            await self._root_api(scope, receive, send)
        elif path.startswith("/api/"):
            await self.app(scope, receive, _with_state_headers(scope, send))
        else:
            await self.app(scope, receive, send)

    async def _root_api(self, scope: Scope, receive: Any, send: Any) -> None:
        limits = self.runtime.limits
        assert limits is not None
        amount, period = ROOT_API_LIMIT
        client_ip = self.runtime.client_ip.from_scope(scope)
        state = await limits.api.hit("root", f"ip:{client_ip}", amount, period)
        headers = rate_limit_headers(state.limit, state.remaining, state.reset_in())
        if not state.allowed:
            body = orjson.dumps({"error": f"Rate limit exceeded: {amount} requests per minute"})
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", str(state.retry_after()).encode()),
                        *headers,
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, _adding(headers, send))


def _adding(headers: list[tuple[bytes, bytes]], send: Any) -> Any:
    async def send_with_headers(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *headers]
        await send(message)

    return send_with_headers


def _with_state_headers(scope: Scope, send: Any) -> Any:
    async def send_with_headers(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            state = scope.get("state", {}).get("rate_limit")
            if state is not None:
                message["headers"] = [
                    *message.get("headers", ()),
                    *rate_limit_headers(state.limit, state.remaining, state.reset),
                ]
        await send(message)

    return send_with_headers
