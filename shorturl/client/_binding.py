"""How one description of an API call becomes a method of both the sync and the async client.

A resource is written once as functions that build `Call`s; `sync_call` turns such a
function into a method that sends the call and returns its result, `async_call` into a
coroutine method, `sync_pages`/`async_pages` into (async) iterators over every item of every
page. The signature, docstring and type hints of the builder are those of the method.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar

from shorturl.client._http import Call

if TYPE_CHECKING:
    from shorturl.client.models import Pagination

__all__ = [
    "AsyncResource",
    "Paged",
    "SyncResource",
    "async_call",
    "async_pages",
    "sync_call",
    "sync_pages",
]

P = ParamSpec("P")
T = TypeVar("T")
ItemT = TypeVar("ItemT", covariant=True)


class SyncSender(Protocol):
    def _send(self, call: Call[T]) -> T: ...


class AsyncSender(Protocol):
    async def _send(self, call: Call[T]) -> T: ...


class Paged(Protocol[ItemT]):
    """A page of results: its items and where it sits in the whole list."""

    @property
    def items(self) -> Sequence[ItemT]: ...

    @property
    def pagination(self) -> Pagination: ...


class SyncResource:
    def __init__(self, client: SyncSender) -> None:
        self._client = client


class AsyncResource:
    def __init__(self, client: AsyncSender) -> None:
        self._client = client


def next_page(call: Call[Any], page: Paged[Any]) -> Call[Any] | None:
    """The call for the page after `page`, or None when it was the last one."""
    if not page.pagination.has_more or not page.items:
        return None
    return call.with_params(offset=page.pagination.offset + len(page.items))


def sync_call(build: Callable[P, Call[T]]) -> Callable[Concatenate[SyncResource, P], T]:
    @functools.wraps(build)
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._client._send(build(*args, **kwargs))

    return method


def async_call(
    build: Callable[P, Call[T]],
) -> Callable[Concatenate[AsyncResource, P], Awaitable[T]]:
    @functools.wraps(build)
    async def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._client._send(build(*args, **kwargs))

    return method


def sync_pages(
    build: Callable[P, Call[Paged[ItemT]]],
) -> Callable[Concatenate[SyncResource, P], Iterator[ItemT]]:
    @functools.wraps(build)
    def method(self: SyncResource, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[ItemT]:
        return _walk(self._client, build(*args, **kwargs))  # arguments checked right away

    return method


def async_pages(
    build: Callable[P, Call[Paged[ItemT]]],
) -> Callable[Concatenate[AsyncResource, P], AsyncIterator[ItemT]]:
    @functools.wraps(build)
    def method(self: AsyncResource, /, *args: P.args, **kwargs: P.kwargs) -> AsyncIterator[ItemT]:
        return _async_walk(self._client, build(*args, **kwargs))

    return method


def _walk(client: SyncSender, first: Call[Paged[ItemT]]) -> Iterator[ItemT]:
    call: Call[Any] | None = first
    while call is not None:
        page = client._send(call)
        yield from page.items
        call = next_page(call, page)


async def _async_walk(client: AsyncSender, first: Call[Paged[ItemT]]) -> AsyncIterator[ItemT]:
    call: Call[Any] | None = first
    while call is not None:
        page = await client._send(call)
        for item in page.items:
            yield item
        call = next_page(call, page)
