"""`RemoteApi`: JSON GETs against a peer's API (Shlink, YOURLS, Kutt, Bitly) through the
safe fetcher, so an import address obeys the same SSRF rules as webhooks and metadata.

The API key goes only to the address the import was given: a `next` page link pointing
anywhere else is refused rather than followed with the key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from shorturl.imports.records import ImportProblem
from shorturl.net.safe_fetch import FetchFailed, FetchPolicy, SafeFetcher, TargetRefused

__all__ = ["RemoteApi", "import_fetcher"]

_ATTEMPTS: Final = 3
_RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})


def import_fetcher(allow_private: bool) -> SafeFetcher:
    """A fetcher for API imports: the SSRF rules of `ALLOW_PRIVATE_TARGETS`, with a longer
    deadline and a bigger body than a page preview (a page of links with their visits), and
    no redirects (the key would go along to wherever they point)."""
    policy = replace(
        FetchPolicy(allow_private=allow_private),
        timeout=60.0,
        max_bytes=32_000_000,
        max_redirects=0,
        user_agent="shorturl importer",
    )
    return SafeFetcher(policy)


class RemoteApi:
    def __init__(self, base_url: str, headers: Mapping[str, str], fetcher: SafeFetcher) -> None:
        base_url = base_url.strip().rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImportProblem(f"{base_url!r} is not an http(s) address")
        self.base_url = base_url
        self.origin = (parts.scheme, parts.netloc.lower())
        self.headers = {"Accept": "application/json", **headers}
        self.fetcher = fetcher

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        query = urlencode([(k, v) for k, v in (params or {}).items() if v is not None], doseq=True)
        return f"{self.base_url}{path}" + (f"?{query}" if query else "")

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """The decoded JSON at `path` (relative to the base URL)."""
        return await self.get_url(self.url(path, params))

    async def get_url(self, url: str) -> Any:
        """The decoded JSON at `url`, which must be on the base URL's scheme, host and port."""
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc.lower()) != self.origin:
            raise ImportProblem(f"the API sent a link to another site ({url}); not followed")
        for attempt in range(_ATTEMPTS):
            try:
                response = await self.fetcher.get(url, headers=self.headers)
            except TargetRefused as error:
                raise ImportProblem(f"{self.base_url} may not be fetched: {error}") from None
            except FetchFailed as error:
                if attempt + 1 == _ATTEMPTS:
                    raise ImportProblem(f"{url}: {error}") from None
                await asyncio.sleep(0.5 * 2**attempt)
                continue
            if response.status_code in _RETRY_STATUSES and attempt + 1 < _ATTEMPTS:
                await asyncio.sleep(0.5 * 2**attempt)
                continue
            break
        if response.status_code in (401, 403):
            raise ImportProblem(f"{url}: HTTP {response.status_code}, the API key was refused")
        if response.status_code >= 300 or response.truncated:
            reason = "answer too big" if response.truncated else f"HTTP {response.status_code}"
            raise ImportProblem(f"{url}: {reason}")
        try:
            return json.loads(response.content)
        except ValueError:
            raise ImportProblem(f"{url}: the answer is not JSON") from None
