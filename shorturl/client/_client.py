"""`Client` and `AsyncClient`: the entry points of the SDK, on httpx.

Both take the same arguments and offer the same resources; they differ only in sending (and
waiting between retries) synchronously or with `await`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from shorturl.client._http import Call, ClientOptions, connection_error, read_response, wire_value
from shorturl.client.accounts import AsyncAuth, AsyncUser, Auth, User
from shorturl.client.analytics import Analytics, AsyncAnalytics
from shorturl.client.domains import AsyncDomains, Domains
from shorturl.client.models import Health
from shorturl.client.urls import AsyncUrls, Urls
from shorturl.client.webhooks import AsyncWebhooks, Webhooks

__all__ = ["AsyncClient", "Client"]

T = TypeVar("T")

_HEALTH: Call[Health] = Call("GET", "/health", Health.from_data, expect="json", root=True)


class _ClientBase:
    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        token: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int,
        max_retry_wait: float,
        headers: Mapping[str, str] | None,
    ) -> None:
        self._options = ClientOptions.create(
            base_url=base_url,
            api_key=api_key,
            token=token,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_wait=max_retry_wait,
            headers=headers,
        )

    @property
    def base_url(self) -> str:
        """The server's root URL (the API is under `/api/v1` of it)."""
        return self._options.base_url

    def _request_args(self, call: Call[Any]) -> dict[str, Any]:
        args: dict[str, Any] = {"params": call.query()}
        if call.json is not None:
            args["json"] = wire_value(call.json)
        if call.content is not None:
            args["content"] = call.content
            args["headers"] = {"Content-Type": call.content_type or "application/octet-stream"}
        return args

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class Client(_ClientBase):
    """A synchronous client of a shorturl server.

    `base_url`: the server (default: `$SHORTURL_URL`, else http://localhost:8080).
    `api_key` (sent as `X-API-Key`; default `$SHORTURL_API_KEY`) or `token` (a bearer token
    from `client.auth.login`); neither means anonymous. `timeout` in seconds (or an
    `httpx.Timeout`). Idempotent calls are retried up to `max_retries` times on network
    errors, 429 and 5xx, honouring `Retry-After` up to `max_retry_wait` seconds.
    `transport` replaces httpx's (for proxies, tests, or an app in process).

    Resources: `urls`, `analytics`, `user` (and `user.api_keys`), `webhooks`, `domains`,
    `auth`.
    Use it as a context manager, or call `close()`, to release its connections.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout: float | httpx.Timeout | None = 10.0,
        max_retries: int = 2,
        max_retry_wait: float = 60.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            api_key,
            token,
            timeout,
            max_retries,
            max_retry_wait,
            headers,
        )
        self._http = httpx.Client(
            base_url=self._options.base_url,
            headers=self._options.headers,
            timeout=self._options.timeout,
            transport=transport,
        )
        self.urls = Urls(self)
        self.analytics = Analytics(self)
        self.user = User(self)
        self.webhooks = Webhooks(self)
        self.domains = Domains(self)
        self.auth = Auth(self)

    def health(self) -> Health:
        """The server's health and the state of its database and cache (`GET /health`)."""
        return self._send(_HEALTH)

    def _send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    call.method, call.url_path(), **self._request_args(call)
                )
            except httpx.TransportError as error:
                delay = self._options.retry_delay(call, attempt, error=error)
                if delay is None:
                    raise connection_error(error, self.base_url) from error
            else:
                delay = self._options.retry_delay(call, attempt, response=response)
                if delay is None:
                    return read_response(call, response)
            time.sleep(delay)
            attempt += 1

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_ClientBase):
    """The asynchronous twin of `Client`: same arguments, same resources, every call awaited
    (`await client.urls.create(...)`, `async for link in client.urls.list()`).
    Use it with `async with`, or call `await client.aclose()`.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout: float | httpx.Timeout | None = 10.0,
        max_retries: int = 2,
        max_retry_wait: float = 60.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url,
            api_key,
            token,
            timeout,
            max_retries,
            max_retry_wait,
            headers,
        )
        self._http = httpx.AsyncClient(
            base_url=self._options.base_url,
            headers=self._options.headers,
            timeout=self._options.timeout,
            transport=transport,
        )
        self.urls = AsyncUrls(self)
        self.analytics = AsyncAnalytics(self)
        self.user = AsyncUser(self)
        self.webhooks = AsyncWebhooks(self)
        self.domains = AsyncDomains(self)
        self.auth = AsyncAuth(self)

    async def health(self) -> Health:
        """The server's health and the state of its database and cache (`GET /health`)."""
        return await self._send(_HEALTH)

    async def _send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    call.method, call.url_path(), **self._request_args(call)
                )
            except httpx.TransportError as error:
                delay = self._options.retry_delay(call, attempt, error=error)
                if delay is None:
                    raise connection_error(error, self.base_url) from error
            else:
                delay = self._options.retry_delay(call, attempt, response=response)
                if delay is None:
                    return read_response(call, response)
            await asyncio.sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
