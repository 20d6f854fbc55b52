"""`/static/…`: the stylesheet, the one optional script and the icon, from memory."""

from __future__ import annotations

import hashlib
from typing import Final

from fastapi import APIRouter, Request, Response

from shorturl.dashboard.rendering import STATIC_DIR

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_TYPES: Final = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
_ASSETS: Final = {
    path.name: (path.read_bytes(), _TYPES[path.suffix])
    for path in STATIC_DIR.iterdir()
    if path.suffix in _TYPES
}
_ETAGS: Final = {
    name: f'"{hashlib.sha256(body).hexdigest()[:16]}"' for name, (body, _) in _ASSETS.items()
}


@router.get("/static/{name}")
async def asset(name: str, request: Request) -> Response:
    found = _ASSETS.get(name)
    if found is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    body, media_type = found
    headers = {
        "ETag": _ETAGS[name],
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
        # Pages link assets with ?v=<content hash>: a changed file is a new URL.
        "Cache-Control": "public, max-age=31536000, immutable"
        if "v" in request.query_params
        else "public, max-age=300",
    }
    if request.headers.get("if-none-match") == _ETAGS[name]:
        return Response(status_code=304, headers=headers)
    if media_type == "image/svg+xml":
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return Response(body, media_type=media_type, headers=headers)
