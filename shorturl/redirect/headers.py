"""Reading request headers from a bare ASGI scope (the redirect never builds a Request)."""

from __future__ import annotations

from typing import Any

__all__ = ["request_host"]


def request_host(scope: dict[str, Any]) -> bytes:
    """The request's `Host` header, as sent (b'' without one)."""
    for name, value in scope["headers"]:
        if name == b"host":
            return bytes(value)
    return b""
