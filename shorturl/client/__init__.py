"""The Python SDK of shorturl: `Client`, `AsyncClient`, their results and their errors.

    import shorturl
    client = shorturl.Client(api_key="sk_live_…")   # or $SHORTURL_URL / $SHORTURL_API_KEY
    result = client.urls.create(long_url="https://example.com/very/long/url")
    print(result.short_url)

Needs only httpx: nothing of the server is imported.
"""

from shorturl.client._client import AsyncClient, Client
from shorturl.client._http import NOT_GIVEN
from shorturl.client.errors import (
    AccountExists,
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
