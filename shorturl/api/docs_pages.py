"""`/docs` (Swagger UI) and `/redoc`: pages whose scripts and styles come from this server.

FastAPI's own pages load unpinned JavaScript from a CDN onto the dashboard's origin, with an
inline script that rules out a strict CSP. These load the pinned copies that the
`fastapi-standalone-docs` package ships (Swagger UI, ReDoc; their licences beside them), kept
in memory, plus a start-up script of ours, under a CSP that allows only this origin's
scripts. ReDoc and Swagger UI set inline styles (and ReDoc a blob: worker for its search),
hence `style-src 'unsafe-inline'` and `worker-src blob:` on these two pages only.
"""

from __future__ import annotations

import hashlib
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

__all__ = ["DOCS_CSP", "router"]

router = APIRouter(include_in_schema=False)

DOCS_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_VENDOR: Final = Path(str(files("fastapi_standalone_docs"))) / "static"
_SOURCES: Final = {
    "swagger-ui-bundle.js": _VENDOR / "swagger" / "swagger-ui-bundle.js",
    "swagger-ui.css": _VENDOR / "swagger" / "swagger-ui.css",
    "swagger-ui.LICENSE": _VENDOR / "swagger" / "LICENSE",
    "redoc.standalone.js": _VENDOR / "redoc" / "redoc.standalone.js",
    "redoc.LICENSE.txt": _VENDOR / "redoc" / "redoc.standalone.js.LICENSE.txt",
    "swagger-init.js": Path(__file__).with_name("docs_static") / "swagger-init.js",
}
_TYPES: Final = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_ASSETS: Final = {
    name: (path.read_bytes(), _TYPES.get(path.suffix, "text/plain; charset=utf-8"))
    for name, path in _SOURCES.items()
}
_ETAGS: Final = {
    name: f'"{hashlib.sha256(body).hexdigest()[:16]}"' for name, (body, _) in _ASSETS.items()
}
_HEADERS: Final = {"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"}


def _page(request: Request, title: str, head: str, body: str) -> HTMLResponse:
    root = escape(request.scope.get("root_path", ""))
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>{head.format(root=root)}</head>
{body.format(root=root, openapi=root + "/openapi.json")}</html>"""
    return HTMLResponse(html, headers=_HEADERS)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return _page(
        request,
        "shorturl API (Swagger UI)",
        '<link rel="stylesheet" href="{root}/docs/assets/swagger-ui.css">',
        '<body data-openapi-url="{openapi}"><div id="swagger-ui"></div>'
        '<script src="{root}/docs/assets/swagger-ui-bundle.js"></script>'
        '<script src="{root}/docs/assets/swagger-init.js"></script></body>',
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    return _page(
        request,
        "shorturl API (ReDoc)",
        "",
        '<body><redoc spec-url="{openapi}"></redoc>'
        '<script src="{root}/docs/assets/redoc.standalone.js"></script></body>',
    )


@router.get("/docs/assets/{name}")
async def asset(name: str, request: Request) -> Response:
    found = _ASSETS.get(name)
    if found is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    body, media_type = found
    headers = {"ETag": _ETAGS[name], "Cache-Control": "public, max-age=86400"}
    if request.headers.get("if-none-match") == _ETAGS[name]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
