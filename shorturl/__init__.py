"""shorturl: a self-hosted URL shortener with click analytics, and its Python SDK.

`shorturl.Client`, `shorturl.AsyncClient`, `shorturl.ShortURLError` and the other error
classes come from `shorturl.client`, loaded on first use: `import shorturl` itself imports
nothing, and the SDK never imports the server (FastAPI, SQLAlchemy, …).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shorturl.client import (
        NOT_GIVEN,
        AccountExists,
        AsyncClient,
        Client,
        ConnectionFailed,
        CustomAliasTaken,
        DomainExists,
        DomainInUse,
        Forbidden,
        InternalError,
        InvalidUrl,
        MaliciousUrl,
        NotFound,
        QuotaExceeded,
        RateLimited,
        RequestTimedOut,
        ServerError,
        ShortURLError,
        Unauthorized,
        UnexpectedResponse,
        UrlExpired,
        UrlNotAccessible,
        UrlNotFound,
        ValidationError,
    )

__all__ = [
    "NOT_GIVEN",
    "AccountExists",
    "AsyncClient",
    "Client",
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
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("shorturl.client"), name)
    raise AttributeError(f"module 'shorturl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
