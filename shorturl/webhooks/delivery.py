"""`WebhookSender`: one signed POST of one delivery to its receiver, through the SSRF rules.

Sending knows nothing of the database: it takes what to send and returns what happened.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import orjson

from shorturl.net.safe_fetch import FetchFailed, FetchPolicy, SafeFetcher
from shorturl.webhooks.signing import sign

__all__ = ["Attempt", "Outgoing", "WebhookSender", "encode_payload"]

# Receivers answer with a status; their body is of no use beyond a hint in the log.
_MAX_RESPONSE_BYTES: Final = 4096
_ERROR_SNIPPET: Final = 200
USER_AGENT: Final = "shorturl-webhooks/1.0"
_DNS_THREADS: Final = 4


@dataclass(frozen=True, slots=True)
class Outgoing:
    url: str
    secret: str
    delivery_id: str  # public id, sent in X-ShortURL-Delivery
    event: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one POST: delivered on a 2xx answer."""

    delivered: bool
    response_status: int | None = None
    error: str | None = None


def encode_payload(payload: dict[str, Any]) -> bytes:
    return orjson.dumps(payload)


class _OwnThreadsResolver:
    """Name lookups on threads of their own. A receiver's name server that never answers
    (its owner chooses it) then ties up these threads only, not the event loop's default
    executor, where the click worker enriches its batches."""

    def __init__(self, threads: int) -> None:
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="webhook-dns")

    async def __call__(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().run_in_executor(
            self._executor,
            functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM),
        )
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class WebhookSender:
    def __init__(self, *, allow_private: bool, timeout: float) -> None:
        self._resolver = _OwnThreadsResolver(_DNS_THREADS)
        self.fetcher = SafeFetcher(
            FetchPolicy(
                allow_private=allow_private,
                timeout=timeout,
                max_bytes=_MAX_RESPONSE_BYTES,
                max_redirects=0,
                user_agent=USER_AGENT,
            ),
            resolver=self._resolver,
        )

    async def send(self, outgoing: Outgoing) -> Attempt:
        body = encode_payload(outgoing.payload)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-ShortURL-Event": outgoing.event,
            "X-ShortURL-Delivery": outgoing.delivery_id,
            "X-ShortURL-Timestamp": timestamp,
            "X-ShortURL-Signature": sign(outgoing.secret, timestamp, body),
        }
        try:
            response = await self.fetcher.post(outgoing.url, content=body, headers=headers)
        except FetchFailed as exc:
            return Attempt(delivered=False, error=str(exc)[:500] or exc.__class__.__name__)
        if 200 <= response.status_code < 300:
            return Attempt(delivered=True, response_status=response.status_code)
        snippet = response.content[:_ERROR_SNIPPET].decode("utf-8", "replace").strip()
        error = f"HTTP {response.status_code}" + (f": {snippet}" if snippet else "")
        return Attempt(delivered=False, response_status=response.status_code, error=error)

    async def aclose(self) -> None:
        await self.fetcher.aclose()
        self._resolver.close()
